//! PPMS (PUMAPI): users with the `active` filter, and orders that `createorder` adds.

use std::sync::Mutex;

use billing_http_core::cassette::RecordedRequest;

use super::{Ctx, Model, Outcome, text};

/// Login of synthetic PPMS user `i` (`user00000`).
pub fn ppms_login(i: usize) -> String {
    format!("user{i:05}")
}

const USER_HEADER: &str =
    "login,lname,fname,email,phone,bcode,affiliation,unitlogin,mustchpwd,mustchbcode,active\r\n";

/// `active` active users, then `inactive` inactive ones.
#[derive(Debug)]
pub(crate) struct Users {
    active: usize,
    inactive: usize,
}

impl Users {
    pub(crate) fn new(active: usize, inactive: usize) -> Self {
        Users { active, inactive }
    }

    fn index(&self, login: &str) -> Option<usize> {
        login
            .strip_prefix("user")
            .filter(|d| d.len() == 5 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|i| *i < self.active.saturating_add(self.inactive))
    }
}

/// PUMAPI's boolean spellings.
fn flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

impl Model for Users {
    fn answer(&self, req: &RecordedRequest, _ctx: &Ctx<'_>) -> Outcome {
        match req.field("action") {
            Some("getusers") => {
                let all = 0..self.active.saturating_add(self.inactive);
                let range = match req.field("active").and_then(flag) {
                    Some(true) => 0..self.active,
                    Some(false) => self.active..all.end,
                    None => all,
                };
                let mut body = String::with_capacity(range.len() * 11);
                for i in range {
                    body.push_str(&ppms_login(i));
                    body.push_str("\r\n");
                }
                Outcome::Answer(text(200, body))
            }
            Some("getuser") => {
                let login = req.field("login").unwrap_or_default();
                let Some(i) = self.index(login) else {
                    return Outcome::Unknown(text(200, ""));
                };
                let active = i < self.active;
                Outcome::Answer(text(
                    200,
                    format!(
                        "{USER_HEADER}\"{login}\",\"Doe\",\"Jane {i}\",\"{login}@example.org\",\
                         \"+1 555 01{:02}\",\"\",\"\",\"lab{:03}\",false,false,{active}\r\n",
                        i % 100,
                        i % 50
                    ),
                ))
            }
            _ => Outcome::Pass,
        }
    }
}

/// The first reference `createorder` hands out.
const FIRST_ORDER_REF: u64 = 90_001;

/// The date of every synthetic order (fixed: answers do not depend on the day).
const ORDER_DATE: &str = "2031/01/15";

const ORDERS_HEADER: &str = "Core facility ref.,Order ref.,User,Group,Project ref.,Quoted date,\
    Ordered date,Completed date,Status,Invoiced,Comments,Staff comments\r\n";

const LINES_HEADER: &str = "Core facility ref.,Order ref.,Order ID,Service id,Quantity,User,\
    Group,Project ref.,Quoted date,Ordered date,Completed date,Status,Invoiced\r\n";

#[derive(Debug, Clone)]
struct Order {
    reference: u64,
    login: String,
    service: String,
    quantity: String,
    project: String,
    comments: String,
    staff_comments: String,
}

/// Orders created through `createorder`.
#[derive(Debug, Default)]
pub(crate) struct Orders {
    created: Mutex<Vec<Order>>,
}

/// A CSV cell, quoted.
fn cell(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The core facility of a `getorders` body ("Orders of core 3"), else 1.
fn core_of(body: &str) -> String {
    body.lines()
        .next()
        .and_then(|l| l.trim().strip_prefix("Orders of core "))
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("1")
        .to_owned()
}

impl Orders {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Order>> {
        self.created.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn create(&self, req: &RecordedRequest) -> Outcome {
        let field = |n: &str| req.field(n).map(str::trim).unwrap_or_default().to_owned();
        let (login, service, quantity) = (field("login"), field("serviceid"), field("quantity"));
        let quantity_ok = quantity
            .parse::<f64>()
            .is_ok_and(|q| q.is_finite() && q > 0.0);
        if login.is_empty() || service.parse::<u64>().is_err() || !quantity_ok {
            // PPMS answers a plain message for a rejected order (see createorder_rejected).
            return Outcome::Unknown(text(200, "Invalid service\r\n"));
        }
        let mut created = self.lock();
        let reference = FIRST_ORDER_REF.saturating_add(created.len() as u64);
        created.push(Order {
            reference,
            login,
            service,
            quantity,
            project: field("projectid"),
            comments: field("comments"),
            staff_comments: field("scomments"),
        });
        Outcome::Answer(text(200, format!("{reference}\r\n")))
    }

    fn list(&self, req: &RecordedRequest, ctx: &Ctx<'_>) -> Outcome {
        let created = self.lock().clone();
        if created.is_empty() {
            return Outcome::Pass;
        }
        let recorded = (ctx.recorded)(req)
            .filter(|r| r.status.is_success())
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .filter(|b| b.contains("Order ref."));
        let mut body = recorded.unwrap_or_else(|| format!("Orders of core 1\r\n{ORDERS_HEADER}"));
        if !body.ends_with('\n') {
            body.push_str("\r\n");
        }
        let core = core_of(&body);
        for o in &created {
            body.push_str(&format!(
                "{core},{},{},\"\",{},\"\",\"{ORDER_DATE}\",\"\",\"Ordered\",\"No\",{},{}\r\n",
                o.reference,
                cell(&o.login),
                cell(&o.project),
                cell(&o.comments),
                cell(&o.staff_comments),
            ));
        }
        Outcome::Answer(text(200, body))
    }

    fn lines(&self, req: &RecordedRequest, ctx: &Ctx<'_>) -> Outcome {
        let Some(reference) = req
            .field("orderref")
            .and_then(|r| r.trim().parse::<u64>().ok())
        else {
            return Outcome::Pass;
        };
        let Some(o) = self
            .lock()
            .iter()
            .find(|o| o.reference == reference)
            .cloned()
        else {
            return Outcome::Pass;
        };
        let orders = RecordedRequest::new(&req.method, &req.path).with_form("action", "getorders");
        let core = (ctx.recorded)(&orders)
            .map(|r| core_of(&String::from_utf8_lossy(&r.body)))
            .unwrap_or_else(|| "1".to_owned());
        Outcome::Answer(text(
            200,
            format!(
                "Order {reference}\r\nCore {core}\r\n{LINES_HEADER}{core},{reference},\"L-1\",{},{},{},\"\",{},\"\",\"{ORDER_DATE}\",\"\",\"Ordered\",\"No\"\r\n",
                o.service,
                o.quantity,
                cell(&o.login),
                cell(&o.project),
            ),
        ))
    }
}

impl Model for Orders {
    fn answer(&self, req: &RecordedRequest, ctx: &Ctx<'_>) -> Outcome {
        match req.field("action") {
            Some("createorder") => self.create(req),
            Some("getorders") => self.list(req, ctx),
            Some("getorderlines") => self.lines(req, ctx),
            _ => Outcome::Pass,
        }
    }
}
