//! Synthetic data generators: large, deterministic data sets generated per request, so
//! scale and performance tests need no giant cassettes. Nothing is held in memory.

use billing_http_core::cassette::RecordedRequest;
use serde_json::{Value, json};

/// A synthetic data set.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Synthetic {
    /// `count` PPMS users: PUMAPI `action=getusers` lists their logins, `action=getuser`
    /// answers one (CSV header + row, CRLF line endings), an unknown login gets an empty body.
    PpmsUsers {
        /// How many users.
        count: usize,
    },
    /// Pax8 companies, orders and subscriptions, paginated with `page`/`size` in the
    /// `{content, page}` envelope; single items by id; and a token endpoint.
    Pax8 {
        /// How many companies.
        companies: usize,
        /// How many orders.
        orders: usize,
        /// How many subscriptions.
        subscriptions: usize,
    },
}

impl Synthetic {
    /// `count` PPMS users (logins `user00000`, `user00001`, ...).
    pub fn ppms_users(count: usize) -> Self {
        Synthetic::PpmsUsers { count }
    }

    /// Pax8 data sets of the given sizes.
    pub fn pax8(companies: usize, orders: usize, subscriptions: usize) -> Self {
        Synthetic::Pax8 {
            companies,
            orders,
            subscriptions,
        }
    }

    /// The answer to `req` if this data set handles it: status, content type, body.
    pub(crate) fn answer(&self, req: &RecordedRequest) -> Option<(u16, &'static str, Vec<u8>)> {
        match self {
            Synthetic::PpmsUsers { count } => ppms_users(*count, req),
            Synthetic::Pax8 {
                companies,
                orders,
                subscriptions,
            } => pax8(*companies, *orders, *subscriptions, req),
        }
    }
}

/// Login of synthetic PPMS user `i`.
pub fn ppms_login(i: usize) -> String {
    format!("user{i:05}")
}

const PPMS_USER_HEADER: &str =
    "login,lname,fname,email,phone,bcode,affiliation,unitlogin,mustchpwd,mustchbcode,active\r\n";

fn ppms_users(count: usize, req: &RecordedRequest) -> Option<(u16, &'static str, Vec<u8>)> {
    const TEXT: &str = "text/plain; charset=utf-8";
    match req.field("action")? {
        "getusers" => {
            if req.field("active") == Some("false") {
                return Some((200, TEXT, Vec::new()));
            }
            let mut body = String::with_capacity(count * 11);
            for i in 0..count {
                body.push_str(&ppms_login(i));
                body.push_str("\r\n");
            }
            Some((200, TEXT, body.into_bytes()))
        }
        "getuser" => {
            let login = req.field("login")?;
            let i = login
                .strip_prefix("user")
                .filter(|d| d.len() == 5)
                .and_then(|d| d.parse::<usize>().ok())
                .filter(|i| *i < count);
            let Some(i) = i else {
                return Some((200, TEXT, Vec::new()));
            };
            let body = format!(
                "{PPMS_USER_HEADER}\"{login}\",\"Doe\",\"Jane {i}\",\"{login}@example.org\",\
                 \"+1 555 01{:02}\",\"\",\"\",\"lab{:03}\",false,false,true\r\n",
                i % 100,
                i % 50
            );
            Some((200, TEXT, body.into_bytes()))
        }
        _ => None,
    }
}

fn uuid(kind: u32, i: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{i:012x}")
}

fn company(i: usize) -> Value {
    json!({
        "id": uuid(1, i),
        "name": format!("Example Company {i}"),
        "address": {
            "street": format!("{} Example Street", i + 1),
            "city": "Exampleton",
            "postalCode": "EX1 2MP",
            "country": "GB",
            "stateOrProvince": "Sampleshire"
        },
        "phone": "+1 555 0100",
        "website": format!("company{i}.example"),
        "externalId": format!("ext-{i}"),
        "billOnBehalfOfEnabled": i.is_multiple_of(2),
        "selfServiceAllowed": false,
        "orderApprovalRequired": false,
        "status": "Active",
        "updatedDate": "2031-02-03T04:05:06.789+0100"
    })
}

fn order(i: usize, companies: usize) -> Value {
    json!({
        "id": uuid(2, i),
        "companyId": uuid(1, i % companies.max(1)),
        "createdDate": "2031-01-15",
        "orderedBy": "Pax8 Partner",
        "orderedByUserId": uuid(9, 1),
        "orderedByUserEmail": "ops@example.org",
        "isScheduled": false,
        "lineItems": [{
            "id": uuid(4, i),
            "productId": uuid(5, i % 7),
            "subscriptionId": uuid(3, i),
            "provisionStartDate": "2031-01-15T00:00:00Z",
            "billingTerm": "Monthly",
            "quantity": 1 + i % 5
        }]
    })
}

fn subscription(i: usize, companies: usize) -> Value {
    json!({
        "id": uuid(3, i),
        "companyId": uuid(1, i % companies.max(1)),
        "productId": uuid(5, i % 7),
        "productName": format!("Example Product {}", i % 7),
        "quantity": 1 + i % 5,
        "startDate": "2031-06-01T00:00:00Z",
        "createdDate": "2031-05-30T12:00:00.000-0500",
        "billingStart": "2031-06-01",
        "status": "Active",
        "price": 12.5,
        "partnerCost": 10.25,
        "currencyCode": "EUR",
        "billingTerm": "Monthly",
        "commitmentTerm": null
    })
}

fn pax8(
    companies: usize,
    orders: usize,
    subscriptions: usize,
    req: &RecordedRequest,
) -> Option<(u16, &'static str, Vec<u8>)> {
    const JSON: &str = "application/json";
    let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let last = *segments.last()?;
    if req.method == "POST" && last == "token" {
        let body = json!({
            "access_token": "sandbox-token",
            "token_type": "Bearer",
            "expires_in": 86400
        });
        return Some((200, JSON, body.to_string().into_bytes()));
    }
    if req.method != "GET" {
        return None;
    }
    type Gen = fn(usize, usize) -> Value;
    let table: [(&str, usize, Gen); 3] = [
        ("companies", companies, |i, _| company(i)),
        ("orders", orders, order),
        ("subscriptions", subscriptions, subscription),
    ];
    for (name, total, generate) in table {
        if last == name {
            let page: usize = req.field("page").and_then(|p| p.parse().ok()).unwrap_or(0);
            let size: usize = req
                .field("size")
                .and_then(|p| p.parse().ok())
                .unwrap_or(10)
                .clamp(1, 200);
            let start = page.saturating_mul(size).min(total);
            let end = start.saturating_add(size).min(total);
            let content: Vec<Value> = (start..end).map(|i| generate(i, companies)).collect();
            let body = json!({
                "content": content,
                "page": {
                    "size": size,
                    "totalElements": total,
                    "totalPages": total.div_ceil(size),
                    "number": page
                }
            });
            return Some((200, JSON, body.to_string().into_bytes()));
        }
        if segments.len() >= 2 && segments[segments.len() - 2] == name {
            let found = parse_id(last).filter(|&(kind, i)| {
                i < total && generate_id(name, i) == uuid(kind, i) && uuid(kind, i) == last
            });
            return Some(match found {
                Some((_, i)) => (200, JSON, generate(i, companies).to_string().into_bytes()),
                None => (
                    404,
                    JSON,
                    json!({"type": "NotFound", "message": format!("{name} not found"), "status": 404})
                        .to_string()
                        .into_bytes(),
                ),
            });
        }
    }
    None
}

fn parse_id(id: &str) -> Option<(u32, usize)> {
    let kind = u32::from_str_radix(id.get(..8)?, 16).ok()?;
    let i = usize::from_str_radix(id.get(24..)?, 16).ok()?;
    Some((kind, i))
}

fn generate_id(name: &str, i: usize) -> String {
    let kind = match name {
        "companies" => 1,
        "orders" => 2,
        _ => 3,
    };
    uuid(kind, i)
}

/// Id of synthetic Pax8 company `i` (orders and subscriptions use kinds 2 and 3).
pub fn pax8_company_id(i: usize) -> String {
    uuid(1, i)
}
