//! Pax8: a tenant of generated companies (each with one contact), orders and subscriptions,
//! plus what the requests create. Lists filter, sort and paginate as documented in the Pax8
//! reference (§3.1, §3.3, §4.1); unknown ids get the vendor's error bodies.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use billing_http_core::HttpResponse;
use billing_http_core::cassette::RecordedRequest;
use serde_json::{Map, Value, json};

use super::{Ctx, Model, Outcome, json, number_field, segments};

/// Id kinds: the first block of a synthetic UUID.
const COMPANY: u32 = 1;
const ORDER: u32 = 2;
const SUBSCRIPTION: u32 = 3;
const LINE_ITEM: u32 = 4;
const PRODUCT: u32 = 5;
const CONTACT: u32 = 6;
const USER: u32 = 9;

/// A synthetic UUID: kind and index, `0000000k-0000-4000-8000-<index>`.
fn uuid(kind: u32, i: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{i:012x}")
}

/// The (kind, index) of a synthetic UUID.
fn parse_id(id: &str) -> Option<(u32, usize)> {
    let kind = u32::from_str_radix(id.get(..8)?, 16).ok()?;
    let i = usize::from_str_radix(id.get(24..)?, 16).ok()?;
    (uuid(kind, i) == id).then_some((kind, i))
}

/// Id of synthetic Pax8 company `i` (generated companies are `0..companies`; created ones
/// follow).
pub fn pax8_company_id(i: usize) -> String {
    uuid(COMPANY, i)
}

/// The constant timestamp of generated and created items: answers do not depend on the day.
const UPDATED: &str = "2031-02-03T04:05:06.789+0100";
const CREATED_DATE: &str = "2031-05-30";

const CITIES: [(&str, &str, &str, &str); 4] = [
    ("Exampleton", "GB", "Sampleshire", "EX1 2MP"),
    ("Sampleville", "US", "CA", "90210"),
    ("Testbury", "BE", "Oost-Vlaanderen", "9000"),
    ("Mockford", "NL", "Utrecht", "3511"),
];
const SUB_STATUSES: [&str; 10] = [
    "Active",
    "Active",
    "Active",
    "Active",
    "Active",
    "Active",
    "Cancelled",
    "PendingManual",
    "Active",
    "Suspended",
];
const TERMS: [&str; 4] = ["Monthly", "Annual", "Monthly", "2-Year"];
const PRODUCTS: usize = 7;

fn company(i: usize) -> Value {
    let (city, country, state, postal) = CITIES[i % CITIES.len()];
    json!({
        "id": uuid(COMPANY, i),
        "name": format!("Example Company {i}"),
        "address": {
            "street": format!("{} Example Street", i + 1),
            "city": city,
            "postalCode": postal,
            "country": country,
            "stateOrProvince": state
        },
        "phone": "+1 555 0100",
        "website": format!("company{i}.example"),
        "externalId": format!("ext-{i}"),
        "billOnBehalfOfEnabled": i.is_multiple_of(2),
        "selfServiceAllowed": i.is_multiple_of(3),
        "orderApprovalRequired": i.is_multiple_of(5),
        "status": if i % 10 == 9 { "Inactive" } else { "Active" },
        "updatedDate": UPDATED
    })
}

fn contact(i: usize) -> Value {
    json!({
        "id": uuid(CONTACT, i),
        "firstName": "Jane",
        "lastName": format!("Roe {i}"),
        "email": format!("contact{i}@example.org"),
        "phone": "+1 555 0101",
        "createdDate": "2031-01-02",
        "types": [
            {"type": "Admin", "primary": true},
            {"type": "Billing", "primary": true},
            {"type": "Technical", "primary": true}
        ]
    })
}

fn order(i: usize, companies: usize) -> Value {
    json!({
        "id": uuid(ORDER, i),
        "companyId": uuid(COMPANY, i % companies.max(1)),
        "createdDate": "2031-01-15",
        "orderedBy": "Pax8Partner",
        "orderedByUserId": uuid(USER, 1),
        "orderedByUserEmail": "ops@example.org",
        "isScheduled": false,
        "lineItems": [{
            "id": uuid(LINE_ITEM, i),
            "productId": uuid(PRODUCT, i % PRODUCTS),
            "subscriptionId": uuid(SUBSCRIPTION, i),
            "provisionStartDate": "2031-01-15T00:00:00Z",
            "billingTerm": "Monthly",
            "quantity": 1 + i % 5
        }]
    })
}

fn subscription(i: usize, companies: usize) -> Value {
    let day = 1 + i % 28;
    json!({
        "id": uuid(SUBSCRIPTION, i),
        "companyId": uuid(COMPANY, i % companies.max(1)),
        "productId": uuid(PRODUCT, i % PRODUCTS),
        "productName": format!("Example Product {}", i % PRODUCTS),
        "quantity": 1 + i % 5,
        "startDate": format!("2031-06-{day:02}T00:00:00Z"),
        "createdDate": format!("2031-05-{day:02}T12:00:00.000-0500"),
        "billingStart": format!("2031-06-{day:02}"),
        "status": SUB_STATUSES[i % SUB_STATUSES.len()],
        "price": 12.5 + (i % 9) as f64,
        "partnerCost": 10.25 + (i % 9) as f64,
        "currencyCode": "EUR",
        "billingTerm": TERMS[i % TERMS.len()],
        "commitmentTerm": null
    })
}

/// The Pax8 error envelope (as recorded in the pax8 errors cassette).
fn error_body(status: u16, kind: &str, message: &str, path: &str, details: Value) -> HttpResponse {
    json(
        status,
        &json!({
            "details": details,
            "instance": format!("/public/v1{path}"),
            "message": message,
            "status": status,
            "type": kind
        }),
    )
}

/// 404 for an id this tenant does not hold (a recording of the request may answer instead).
fn not_found(what: &str, id: &str, path: &str) -> Outcome {
    Outcome::Unknown(error_body(
        404,
        "NOT_FOUND",
        &format!("{what} Not Found: {id}"),
        path,
        json!([]),
    ))
}

/// 422 for an invalid write.
fn invalid(message: &str, path: &str) -> Outcome {
    Outcome::Answer(error_body(
        422,
        "UNPROCESSABLE_ENTITY",
        message,
        path,
        json!([]),
    ))
}

/// One list resource: its filters (query name, JSON pointer) and sort fields.
struct Resource {
    filters: &'static [(&'static str, &'static str)],
    sorts: &'static [(&'static str, &'static str)],
}

const COMPANIES: Resource = Resource {
    filters: &[
        ("city", "/address/city"),
        ("country", "/address/country"),
        ("stateOrProvince", "/address/stateOrProvince"),
        ("postalCode", "/address/postalCode"),
        ("selfServiceAllowed", "/selfServiceAllowed"),
        ("billOnBehalfOfEnabled", "/billOnBehalfOfEnabled"),
        ("orderApprovalRequired", "/orderApprovalRequired"),
        ("status", "/status"),
    ],
    sorts: &[
        ("name", "/name"),
        ("city", "/address/city"),
        ("country", "/address/country"),
        ("stateOrProvince", "/address/stateOrProvince"),
        ("postalCode", "/address/postalCode"),
    ],
};
const ORDERS: Resource = Resource {
    filters: &[("companyId", "/companyId")],
    sorts: &[],
};
const SUBSCRIPTIONS: Resource = Resource {
    filters: &[
        ("companyId", "/companyId"),
        ("status", "/status"),
        ("productId", "/productId"),
        ("billingTerm", "/billingTerm"),
    ],
    sorts: &[
        ("quantity", "/quantity"),
        ("startDate", "/startDate"),
        ("endDate", "/endDate"),
        ("createdDate", "/createdDate"),
        ("billingStart", "/billingStart"),
        ("price", "/price"),
    ],
};

/// `true` if the JSON value equals a query value (enums case-insensitively, booleans and
/// numbers by their text).
fn value_matches(value: Option<&Value>, wanted: &str) -> bool {
    match value {
        Some(Value::String(s)) => s.eq_ignore_ascii_case(wanted),
        Some(Value::Bool(b)) => b.to_string().eq_ignore_ascii_case(wanted),
        Some(Value::Number(n)) => n.to_string() == wanted,
        _ => false,
    }
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        // Missing and null values sort last.
        (Some(Value::Null) | None, Some(Value::Null) | None) => Ordering::Equal,
        (Some(Value::Null) | None, _) => Ordering::Greater,
        (_, Some(Value::Null) | None) => Ordering::Less,
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

/// What a list request asks for.
struct ListQuery {
    page: usize,
    size: usize,
    filters: Vec<(&'static str, String)>,
    sort: Option<(&'static str, bool)>,
}

impl ListQuery {
    fn new(req: &RecordedRequest, resource: &Resource) -> Self {
        let filters = resource
            .filters
            .iter()
            .filter_map(|(name, pointer)| req.field(name).map(|v| (*pointer, v.to_owned())))
            .collect();
        // `sort=field` (ascending), `sort=field,asc` or `sort=field,desc`; an undocumented
        // field is ignored, as the vendor ignores it on orders.
        let sort = req.field("sort").and_then(|s| {
            let (field, direction) = s.split_once(',').unwrap_or((s, "asc"));
            let pointer = resource
                .sorts
                .iter()
                .find(|(name, _)| *name == field.trim())?
                .1;
            Some((pointer, direction.trim().eq_ignore_ascii_case("desc")))
        });
        ListQuery {
            page: number_field(req, "page").unwrap_or(0),
            size: number_field(req, "size").unwrap_or(10).clamp(1, 200),
            filters,
            sort,
        }
    }

    fn keeps(&self, item: &Value) -> bool {
        self.filters
            .iter()
            .all(|(pointer, wanted)| value_matches(item.pointer(pointer), wanted))
    }

    /// The `{content, page}` envelope of one page of `total` items.
    fn envelope(&self, content: Vec<Value>, total: usize) -> Outcome {
        Outcome::Answer(json(
            200,
            &json!({
                "content": content,
                "page": {
                    "size": self.size,
                    "totalElements": total,
                    "totalPages": total.div_ceil(self.size),
                    "number": self.page
                }
            }),
        ))
    }

    fn window(&self, total: usize) -> std::ops::Range<usize> {
        let start = self.page.saturating_mul(self.size).min(total);
        start..start.saturating_add(self.size).min(total)
    }
}

/// What the requests wrote.
#[derive(Debug, Default)]
struct State {
    companies: Vec<Value>,
    /// Contacts per company id, once a request touched them (the generated contact first).
    contacts: BTreeMap<String, Vec<Value>>,
    orders: Vec<Value>,
    subscriptions: Vec<Value>,
    /// Ids handed out to created contacts and line items.
    serial: usize,
}

/// The Pax8 model.
#[derive(Debug)]
pub(crate) struct Pax8 {
    companies: usize,
    orders: usize,
    subscriptions: usize,
    state: Mutex<State>,
}

/// Which company a `companyId` names.
enum CompanyRef {
    Generated(usize),
    Created(Value),
    Unknown,
}

/// The three primary contact types an `Active` company needs (PAX8-Q37).
fn has_primary_contacts(contacts: &[Value]) -> bool {
    ["Admin", "Billing", "Technical"].iter().all(|t| {
        contacts.iter().any(|c| {
            c["types"].as_array().is_some_and(|types| {
                types
                    .iter()
                    .any(|x| x["type"] == *t && x["primary"].as_bool() == Some(true))
            })
        })
    })
}

impl Pax8 {
    pub(crate) fn new(companies: usize, orders: usize, subscriptions: usize) -> Self {
        Pax8 {
            companies,
            orders,
            subscriptions,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn company_ref(&self, state: &State, id: &str) -> CompanyRef {
        match parse_id(id) {
            Some((COMPANY, i)) if i < self.companies => CompanyRef::Generated(i),
            _ => state
                .companies
                .iter()
                .find(|c| c["id"] == id)
                .cloned()
                .map_or(CompanyRef::Unknown, CompanyRef::Created),
        }
    }

    fn contacts_of(&self, state: &State, company_id: &str) -> Vec<Value> {
        if let Some(list) = state.contacts.get(company_id) {
            return list.clone();
        }
        match parse_id(company_id) {
            Some((COMPANY, i)) if i < self.companies => vec![contact(i)],
            _ => Vec::new(),
        }
    }

    /// A list of generated items (`0..generated`, or only `indices` when a companyId picks
    /// them) followed by created ones, filtered, sorted and paged.
    fn list(
        &self,
        query: &ListQuery,
        generated: usize,
        indices: Option<Vec<usize>>,
        make: impl Fn(usize) -> Value,
        created: &[Value],
    ) -> Outcome {
        if query.filters.is_empty() && query.sort.is_none() && indices.is_none() {
            // Fast path: index arithmetic, nothing generated beyond the page.
            let total = generated.saturating_add(created.len());
            let content = query
                .window(total)
                .map(|i| match i.checked_sub(generated) {
                    Some(c) => created[c].clone(),
                    None => make(i),
                })
                .collect();
            return query.envelope(content, total);
        }
        let generated_items: Box<dyn Iterator<Item = usize>> = match indices {
            Some(list) => Box::new(list.into_iter()),
            None => Box::new(0..generated),
        };
        let mut items: Vec<Value> = generated_items
            .map(make)
            .chain(created.iter().cloned())
            .filter(|item| query.keeps(item))
            .collect();
        if let Some((pointer, descending)) = query.sort {
            items.sort_by(|a, b| {
                let o = compare(a.pointer(pointer), b.pointer(pointer));
                if descending { o.reverse() } else { o }
            });
        }
        let total = items.len();
        let window = query.window(total);
        query.envelope(items.drain(window).collect(), total)
    }

    /// The generated indices of a `companyId` filter: `Err` for an unknown company.
    fn company_indices(
        &self,
        state: &State,
        req: &RecordedRequest,
        generated: usize,
    ) -> Result<Option<Vec<usize>>, ()> {
        let Some(id) = req.field("companyId") else {
            return Ok(None);
        };
        match self.company_ref(state, id) {
            CompanyRef::Generated(c) => Ok(Some(
                (c..generated).step_by(self.companies.max(1)).collect(),
            )),
            CompanyRef::Created(_) => Ok(Some(Vec::new())),
            CompanyRef::Unknown => Err(()),
        }
    }

    fn create_company(&self, req: &RecordedRequest, path: &str) -> Outcome {
        let Some(Value::Object(body)) = &req.json else {
            return invalid("request body must be a company", path);
        };
        if body
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return invalid("name is required", path);
        }
        let mut state = self.lock();
        let id = uuid(
            COMPANY,
            self.companies.saturating_add(state.companies.len()),
        );
        let mut company = Map::new();
        for key in [
            "name",
            "address",
            "phone",
            "website",
            "externalId",
            "billOnBehalfOfEnabled",
            "selfServiceAllowed",
            "orderApprovalRequired",
        ] {
            if let Some(v) = body.get(key) {
                company.insert(key.to_owned(), v.clone());
            }
        }
        company.insert("id".into(), json!(id));
        company.insert("updatedDate".into(), json!(UPDATED));
        let mut contacts = Vec::new();
        for c in body
            .get("contacts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            state.serial += 1;
            contacts.push(new_contact(c, state.serial));
        }
        let status = if has_primary_contacts(&contacts) {
            "Active"
        } else {
            "Inactive"
        };
        company.insert("status".into(), json!(status));
        let company = Value::Object(company);
        state.contacts.insert(id, contacts);
        state.companies.push(company.clone());
        Outcome::Answer(json(200, &company))
    }

    /// After a contact write on a created company, its status follows PAX8-Q37.
    fn refresh_status(&self, state: &mut State, company_id: &str) {
        let active = has_primary_contacts(&self.contacts_of(state, company_id));
        if let Some(c) = state.companies.iter_mut().find(|c| c["id"] == company_id) {
            c["status"] = json!(if active { "Active" } else { "Inactive" });
        }
    }

    fn contacts(
        &self,
        req: &RecordedRequest,
        path: &str,
        company_id: &str,
        rest: &[&str],
    ) -> Outcome {
        let mut state = self.lock();
        if matches!(self.company_ref(&state, company_id), CompanyRef::Unknown) {
            return not_found("Company", company_id, path);
        }
        let mut list = self.contacts_of(&state, company_id);
        match (req.method.as_str(), rest) {
            ("GET", []) => {
                let query = ListQuery::new(
                    req,
                    &Resource {
                        filters: &[],
                        sorts: &[],
                    },
                );
                // Documented order: creation, newest first.
                list.reverse();
                let total = list.len();
                let window = query.window(total);
                query.envelope(list.drain(window).collect(), total)
            }
            ("POST", []) => {
                let Some(body @ Value::Object(_)) = &req.json else {
                    return invalid("request body must be a contact", path);
                };
                state.serial += 1;
                let created = new_contact(body, state.serial);
                list.push(created.clone());
                state.contacts.insert(company_id.to_owned(), list);
                self.refresh_status(&mut state, company_id);
                Outcome::Answer(json(200, &created))
            }
            (method, [contact_id]) => {
                let Some(pos) = list.iter().position(|c| c["id"] == *contact_id) else {
                    return not_found("Contact", contact_id, path);
                };
                match method {
                    "GET" => Outcome::Answer(json(200, &list[pos])),
                    "PUT" => {
                        let Some(body @ Value::Object(_)) = &req.json else {
                            return invalid("request body must be a contact", path);
                        };
                        // A full replacement (PAX8-Q11): the id and creation date stay.
                        let mut replaced = body.clone();
                        replaced["id"] = list[pos]["id"].clone();
                        replaced["createdDate"] = list[pos]["createdDate"].clone();
                        list[pos] = replaced.clone();
                        state.contacts.insert(company_id.to_owned(), list);
                        self.refresh_status(&mut state, company_id);
                        Outcome::Answer(json(200, &replaced))
                    }
                    "DELETE" => {
                        list.remove(pos);
                        state.contacts.insert(company_id.to_owned(), list);
                        self.refresh_status(&mut state, company_id);
                        Outcome::Answer(super::text(204, ""))
                    }
                    _ => Outcome::Pass,
                }
            }
            _ => Outcome::Pass,
        }
    }

    fn create_order(&self, req: &RecordedRequest, path: &str) -> Outcome {
        let Some(Value::Object(body)) = &req.json else {
            return invalid("request body must be an order", path);
        };
        let company_id = body
            .get("companyId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut state = self.lock();
        let active = match self.company_ref(&state, company_id) {
            CompanyRef::Generated(i) => company(i)["status"] == "Active",
            CompanyRef::Created(c) => c["status"] == "Active",
            // An exactly recorded order for a recorded company still answers as recorded.
            CompanyRef::Unknown => {
                return Outcome::Unknown(error_body(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    "companyId is not valid",
                    path,
                    json!([]),
                ));
            }
        };
        if !active {
            return invalid("Orders require an Active company", path);
        }
        let lines = body
            .get("lineItems")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if lines.is_empty() {
            return invalid("lineItems must not be empty", path);
        }
        for line in &lines {
            let ok = line["productId"].is_string()
                && line["quantity"].as_f64().is_some_and(|q| q > 0.0)
                && line["billingTerm"].is_string();
            if !ok {
                return invalid(
                    "every line item needs productId, quantity and billingTerm",
                    path,
                );
            }
        }
        let mock = req
            .field("isMock")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let order_id = uuid(ORDER, self.orders.saturating_add(state.orders.len()));
        let mut items = Vec::new();
        let mut subscriptions = Vec::new();
        for line in &lines {
            state.serial += 1;
            let subscription_id = (!mock).then(|| {
                uuid(
                    SUBSCRIPTION,
                    self.subscriptions
                        .saturating_add(state.subscriptions.len())
                        .saturating_add(subscriptions.len()),
                )
            });
            let mut item = json!({
                "id": uuid(LINE_ITEM, 1_000_000_000usize.saturating_add(state.serial)),
                "productId": line["productId"],
                "subscriptionId": subscription_id,
                "billingTerm": line["billingTerm"],
                "quantity": line["quantity"],
            });
            for key in ["commitmentTermId", "provisionStartDate"] {
                if let Some(v) = line.get(key) {
                    item[key] = v.clone();
                }
            }
            if let Some(id) = subscription_id {
                subscriptions.push(json!({
                    "id": id,
                    "companyId": company_id,
                    "productId": line["productId"],
                    "quantity": line["quantity"],
                    "startDate": line.get("provisionStartDate").cloned().unwrap_or(json!("2031-06-01T00:00:00Z")),
                    "createdDate": format!("{CREATED_DATE}T12:00:00.000-0500"),
                    "billingStart": "2031-06-01",
                    "status": "Active",
                    "currencyCode": "EUR",
                    "billingTerm": line["billingTerm"],
                    "commitmentTerm": null
                }));
            }
            items.push(item);
        }
        let order = json!({
            "id": order_id,
            "companyId": company_id,
            "createdDate": CREATED_DATE,
            "orderedBy": "Pax8Partner",
            "isScheduled": false,
            "lineItems": items
        });
        if !mock {
            state.orders.push(order.clone());
            state.subscriptions.extend(subscriptions);
        }
        Outcome::Answer(json(200, &order))
    }

    /// One generated or created item by id.
    fn get(
        &self,
        kind: u32,
        generated: usize,
        make: impl Fn(usize) -> Value,
        created: &[Value],
        id: &str,
    ) -> Option<Value> {
        match parse_id(id) {
            Some((k, i)) if k == kind && i < generated => Some(make(i)),
            _ => created.iter().find(|c| c["id"] == id).cloned(),
        }
    }
}

fn new_contact(body: &Value, serial: usize) -> Value {
    let mut c = body.clone();
    c["id"] = json!(uuid(CONTACT, 1_000_000_000usize.saturating_add(serial)));
    c["createdDate"] = json!(CREATED_DATE);
    c
}

impl Model for Pax8 {
    fn answer(&self, req: &RecordedRequest, _ctx: &Ctx<'_>) -> Outcome {
        let segs = segments(&req.path);
        if req.method == "POST" && segs.last() == Some(&"token") {
            return Outcome::Answer(json(
                200,
                &json!({
                    "access_token": "sandbox-token",
                    "token_type": "Bearer",
                    "expires_in": 86400
                }),
            ));
        }
        // Clients may put a prefix (`/v1/`) before the resource.
        let Some(start) = segs
            .iter()
            .position(|s| matches!(*s, "companies" | "orders" | "subscriptions"))
        else {
            return Outcome::Pass;
        };
        let segs = &segs[start..];
        let path = format!("/{}", segs.join("/"));
        let (companies, orders, subscriptions) = (self.companies, self.orders, self.subscriptions);
        match (req.method.as_str(), segs) {
            ("GET", ["companies"]) => {
                let state = self.lock();
                self.list(
                    &ListQuery::new(req, &COMPANIES),
                    companies,
                    None,
                    company,
                    &state.companies,
                )
            }
            ("POST", ["companies"]) => self.create_company(req, &path),
            ("GET", ["companies", id]) => {
                let state = self.lock();
                match self.get(COMPANY, companies, company, &state.companies, id) {
                    Some(c) => Outcome::Answer(json(200, &c)),
                    None => not_found("Company", id, &path),
                }
            }
            (_, ["companies", id, "contacts", rest @ ..]) if rest.len() <= 1 => {
                self.contacts(req, &path, id, rest)
            }
            ("GET", ["orders"]) => {
                let state = self.lock();
                let Ok(indices) = self.company_indices(&state, req, orders) else {
                    let id = req.field("companyId").unwrap_or_default();
                    return not_found("Company", id, &path);
                };
                let created: Vec<Value> = state.orders.clone();
                drop(state);
                self.list(
                    &ListQuery::new(req, &ORDERS),
                    orders,
                    indices,
                    |i| order(i, companies),
                    &created,
                )
            }
            ("POST", ["orders"]) => self.create_order(req, &path),
            ("GET", ["orders", id]) => {
                let state = self.lock();
                match self.get(ORDER, orders, |i| order(i, companies), &state.orders, id) {
                    Some(o) => Outcome::Answer(json(200, &o)),
                    None => not_found("Order", id, &path),
                }
            }
            ("GET", ["subscriptions"]) => {
                let state = self.lock();
                let Ok(indices) = self.company_indices(&state, req, subscriptions) else {
                    return Outcome::Unknown(error_body(
                        403,
                        "FORBIDDEN",
                        "Invalid companyId",
                        &path,
                        json!([{"message": "companyId is not valid", "status": "403", "type": "INVALID_PARAM"}]),
                    ));
                };
                let created: Vec<Value> = state.subscriptions.clone();
                drop(state);
                self.list(
                    &ListQuery::new(req, &SUBSCRIPTIONS),
                    subscriptions,
                    indices,
                    |i| subscription(i, companies),
                    &created,
                )
            }
            ("GET", ["subscriptions", id]) => {
                let state = self.lock();
                match self.get(
                    SUBSCRIPTION,
                    subscriptions,
                    |i| subscription(i, companies),
                    &state.subscriptions,
                    id,
                ) {
                    Some(s) => Outcome::Answer(json(200, &s)),
                    None => not_found("Subscription", id, &path),
                }
            }
            _ => Outcome::Pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_foreign_ids_do_not_parse() {
        assert_eq!(parse_id(&uuid(COMPANY, 42)), Some((COMPANY, 42)));
        assert_eq!(parse_id("11111111-2222-4333-8444-555555555555"), None);
        assert_eq!(parse_id("not-a-company"), None);
        assert_eq!(
            parse_id("../../etc/passwd-0000-4000-8000-000000000001"),
            None
        );
    }

    #[test]
    fn active_needs_a_primary_contact_of_each_type() {
        assert!(has_primary_contacts(&[contact(0)]));
        let partial = json!({"types": [{"type": "Admin", "primary": true}]});
        assert!(!has_primary_contacts(&[partial]));
    }
}
