//! Orders, services and prices: `createorder`, `getorders`, `getorderlines`, `getservices`,
//! `getpriceslist`. Reconstructed shapes, no recording.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{CoreFacilityId, OrderRef, ProjectId, ServiceId};
use crate::parse::{
    Col, Column, Extra, FromRow, Header, ParseError, Parsed, RowPolicy, RowRef, Table, Warning,
    parse_headerless, parse_table_after, value,
};

/// An order (`getorders`, whose header is on line 2, PPMS-Q16).
///
/// Date columns are kept as sent (their format is not recorded); see [`Order::ordered_on`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Order {
    /// `Core facility ref.`
    pub core_facility_ref: Option<u32>,
    /// `Order ref.`
    pub order_ref: OrderRef,
    /// `User`.
    pub user: Option<String>,
    /// `Group`.
    pub group: Option<String>,
    /// `Project ref.`
    pub project_ref: Option<String>,
    /// `Quoted date`, as sent.
    pub quoted_date: Option<String>,
    /// `Ordered date`, as sent.
    pub ordered_date: Option<String>,
    /// `Completed date`, as sent.
    pub completed_date: Option<String>,
    /// `Status`.
    pub status: Option<String>,
    /// `Invoiced`, as sent.
    pub invoiced: Option<String>,
    /// Every other column, by header name: the comments columns land here.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Order {
    /// Parses a `getorders` body: the header is the first line holding `Order ref.`, found
    /// within the first five lines; lines before it are a preamble (PPMS-Q16).
    pub fn parse_body(body: &str, policy: RowPolicy) -> Result<Parsed<Self>, ParseError> {
        parse_table_after::<Self>(body, ORDER_REF, 5, policy)?
            .map(|(_, rows)| rows)
            .ok_or_else(no_order_header)
    }

    /// [`Order::parse_body`] as a [`Table`]: the same rows and warnings, kept as the body plus
    /// 4 bytes per row and decoded when read.
    pub fn parse_body_table(
        body: impl Into<bytes::Bytes>,
        policy: RowPolicy,
    ) -> Result<Table<Self>, ParseError> {
        Table::parse_after(body, ORDER_REF, 5, policy)?
            .map(|(_, rows)| rows)
            .ok_or_else(no_order_header)
    }

    /// The ordered date, if it parses as `YYYY/MM/DD` or `YYYY-MM-DD` (a time part is ignored).
    pub fn ordered_on(&self) -> Option<NaiveDate> {
        self.ordered_date
            .as_deref()
            .and_then(|d| value::parse_date(d).ok().flatten())
    }

    /// True when a column the model does not type (the comment columns land there) carries
    /// `marker` as a whole token (see [`marker_in`]). Used to make order creation idempotent
    /// (PPMS-Q38).
    pub fn mentions(&self, marker: &str) -> bool {
        self.extra.values().any(|v| marker_in(&v, marker))
    }
}

fn no_order_header() -> ParseError {
    ParseError::new("no header line with an `Order ref.` column")
}

/// Characters that end a marker token: whitespace and `, ; | ( ) [ ] { } < > " '`.
fn is_marker_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';' | '|' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '"' | '\''
        )
}

/// True when `text` carries `marker` as a whole token: bounded on both sides by the start or
/// end of the text, whitespace, or one of `, ; | ( ) [ ] { } < > " '`, and equal to it
/// byte for byte (case-sensitive). So `ORDER-1` is found in `batch ORDER-1` and
/// `x,ORDER-1;y`, but not in `ORDER-10`, `PRE-ORDER-1` or `order-1`.
pub fn marker_in(text: &str, marker: &str) -> bool {
    !marker.is_empty() && text.split(is_marker_separator).any(|t| t == marker)
}

/// Checks a marker for [`crate::Orders::create_once`]: 1 to 100 characters, none of them
/// whitespace, a control character or a separator of [`marker_in`] (so that it is always one
/// token). Letters, digits and `- _ . : / # + = @` are fine: `relay-2024-0001`,
/// `inv:4711/line:2`.
pub fn check_marker(marker: &str) -> Result<(), String> {
    let len = marker.chars().count();
    if len == 0 || len > 100 {
        return Err(format!("a marker has 1 to 100 characters, not {len}"));
    }
    if let Some(c) = marker
        .chars()
        .find(|c| is_marker_separator(*c) || c.is_control())
    {
        return Err(format!("a marker cannot contain {c:?}"));
    }
    Ok(())
}

pub(crate) static ORDER_REF: Col = {
    static C: Column = Column(&["Order ref.", "Order ref", "Order reference", "orderref"]);
    &C
};
static CORE: Col = {
    static C: Column = Column(&["Core facility ref.", "Core facility ref", "Core facility"]);
    &C
};
static USER: Col = {
    static C: Column = Column(&["User", "Login"]);
    &C
};
static GROUP: Col = {
    static C: Column = Column(&["Group"]);
    &C
};
static PROJECT: Col = {
    static C: Column = Column(&["Project ref.", "Project ref", "Project"]);
    &C
};
static QUOTED: Col = {
    static C: Column = Column(&["Quoted date", "Quoted"]);
    &C
};
static ORDERED: Col = {
    static C: Column = Column(&["Ordered date", "Ordered", "Order date"]);
    &C
};
static COMPLETED: Col = {
    static C: Column = Column(&["Completed date", "Completed"]);
    &C
};
static STATUS: Col = {
    static C: Column = Column(&["Status"]);
    &C
};
static INVOICED: Col = {
    static C: Column = Column(&["Invoiced"]);
    &C
};

fn order_ref(row: &RowRef<'_>, col: Col) -> Result<OrderRef, ParseError> {
    let raw = row.raw(col).unwrap_or_default();
    raw.parse().map(OrderRef).map_err(|_| {
        ParseError::at_line(row.line(), format!("order ref {raw:?} is not a number"))
            .with_column(col.name())
    })
}

impl FromRow for Order {
    const COLUMNS: &'static [Col] = &[
        CORE, ORDER_REF, USER, GROUP, PROJECT, QUOTED, ORDERED, COMPLETED, STATUS, INVOICED,
    ];
    const REQUIRED: &'static [Col] = &[ORDER_REF];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            core_facility_ref: row.opt_u32(CORE)?,
            order_ref: order_ref(row, ORDER_REF)?,
            user: row.opt_text(USER),
            group: row.opt_text(GROUP),
            project_ref: row.opt_text(PROJECT),
            quoted_date: row.opt_text(QUOTED),
            ordered_date: row.opt_text(ORDERED),
            completed_date: row.opt_text(COMPLETED),
            status: row.opt_text(STATUS),
            invoiced: row.opt_text(INVOICED),
            extra: row.extra(),
        })
    }
}

/// One line of an order (`getorderlines`; the header position varies, PPMS-Q17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct OrderLine {
    /// Core facility.
    pub core_facility_ref: Option<u32>,
    /// Order ref.
    pub order_ref: Option<OrderRef>,
    /// `Order ID`: the line's id.
    pub order_id: Option<String>,
    /// Service id.
    pub service_id: Option<ServiceId>,
    /// Quantity.
    pub quantity: Option<Decimal>,
    /// User.
    pub user: Option<String>,
    /// `Group`.
    pub group: Option<String>,
    /// Project ref.
    pub project_ref: Option<String>,
    /// Quoted date, as sent.
    pub quoted_date: Option<String>,
    /// Ordered date, as sent.
    pub ordered_date: Option<String>,
    /// Completed date, as sent.
    pub completed_date: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Invoiced, as sent.
    pub invoiced: Option<String>,
    /// Columns this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

pub(crate) static ORDER_ID: Col = {
    static C: Column = Column(&["Order ID", "Order id", "orderid"]);
    &C
};
static SERVICE_ID: Col = {
    static C: Column = Column(&["Service id", "Service ID", "serviceid", "Service"]);
    &C
};
static QUANTITY: Col = {
    static C: Column = Column(&["Quantity"]);
    &C
};

/// The 13 columns of `getorderlines` in the order the UC Davis fork reads them, used only when
/// a body has no header (PPMS-Q17).
pub(crate) const ORDER_LINE_POSITIONAL: [&str; 13] = [
    "Core facility ref.",
    "Order ref.",
    "Order ID",
    "Service id",
    "Quantity",
    "User",
    "Group",
    "Project ref.",
    "Quoted date",
    "Ordered date",
    "Completed date",
    "Status",
    "Invoiced",
];

impl OrderLine {
    /// Parses a `getorderlines` body: the header is the first line holding `Order ID` within
    /// the first five lines; when there is none, every line is read by position in the 13-column
    /// order of the UC Davis fork, with a warning (PPMS-Q17).
    pub fn parse_body(body: &str, policy: RowPolicy) -> Result<Parsed<Self>, ParseError> {
        if let Some((_, rows)) = parse_table_after::<Self>(body, ORDER_ID, 5, policy)? {
            return Ok(rows);
        }
        let mut rows = parse_headerless::<Self>(body, &Header::new(ORDER_LINE_POSITIONAL), policy)?;
        rows.warnings.insert(
            0,
            Warning {
                line: 1,
                message: "no `Order ID` header; columns read by position".into(),
            },
        );
        Ok(rows)
    }
}

impl FromRow for OrderLine {
    const COLUMNS: &'static [Col] = &[
        CORE, ORDER_REF, ORDER_ID, SERVICE_ID, QUANTITY, USER, GROUP, PROJECT, QUOTED, ORDERED,
        COMPLETED, STATUS, INVOICED,
    ];
    const REQUIRED: &'static [Col] = &[ORDER_ID];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            core_facility_ref: row.opt_u32(CORE)?,
            order_ref: match row.raw(ORDER_REF) {
                Some(v) if !v.is_empty() => Some(order_ref(row, ORDER_REF)?),
                _ => None,
            },
            order_id: row.opt_text(ORDER_ID),
            service_id: row.opt_u32(SERVICE_ID)?.map(ServiceId),
            quantity: row.opt_decimal(QUANTITY)?,
            user: row.opt_text(USER),
            group: row.opt_text(GROUP),
            project_ref: row.opt_text(PROJECT),
            quoted_date: row.opt_text(QUOTED),
            ordered_date: row.opt_text(ORDERED),
            completed_date: row.opt_text(COMPLETED),
            status: row.opt_text(STATUS),
            invoiced: row.opt_text(INVOICED),
            extra: row.extra(),
        })
    }
}

/// A service that can be ordered (`getservices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Service {
    /// `Name`.
    pub name: String,
    /// `Service id`.
    pub service_id: ServiceId,
    /// `Group`.
    pub group: Option<String>,
    /// `Active` (capitalised `True`/`False` on the wire, PPMS-Q13).
    pub active: bool,
    /// Columns this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

static S_NAME: Col = {
    static C: Column = Column(&["Name"]);
    &C
};
static S_ID: Col = {
    static C: Column = Column(&["Service id", "Service ID"]);
    &C
};
static S_GROUP: Col = {
    static C: Column = Column(&["Group"]);
    &C
};
static S_ACTIVE: Col = {
    static C: Column = Column(&["Active"]);
    &C
};

impl FromRow for Service {
    const COLUMNS: &'static [Col] = &[S_NAME, S_ID, S_GROUP, S_ACTIVE];
    const REQUIRED: &'static [Col] = &[S_ID];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            name: row.opt_text(S_NAME).unwrap_or_default(),
            service_id: ServiceId(row.u32(S_ID)?),
            group: row.opt_text(S_GROUP),
            active: row.opt_bool(S_ACTIVE)?.unwrap_or(true),
            extra: row.extra(),
        })
    }
}

/// A price-list entry (`getpriceslist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct PriceListEntry {
    /// `priority`.
    pub priority: Option<i64>,
    /// `service`: **not** the `getservices` id; see [`PriceListEntry::global_service_id`].
    pub service: u32,
    /// `affiliationid`.
    pub affiliation_id: Option<u32>,
    /// `projectid`.
    pub project_id: Option<ProjectId>,
    /// `Price` (`price` in JSON).
    pub price: Decimal,
    /// `minDate` (JSON only).
    pub min_date: Option<NaiveDate>,
    /// `maxDate` (JSON only).
    pub max_date: Option<NaiveDate>,
    /// Columns this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl PriceListEntry {
    /// The `getservices`-compatible id: `core_id * 10000 + service` (PPMS-Q43). This rule comes
    /// from one client only (the CRUK plugin).
    pub fn global_service_id(&self, core_id: CoreFacilityId) -> u64 {
        u64::from(core_id.0) * 10_000 + u64::from(self.service)
    }
}

static P_PRIORITY: Col = {
    static C: Column = Column(&["priority"]);
    &C
};
static P_SERVICE: Col = {
    static C: Column = Column(&["service"]);
    &C
};
static P_AFFILIATION: Col = {
    static C: Column = Column(&["affiliationid"]);
    &C
};
static P_PROJECT: Col = {
    static C: Column = Column(&["projectid"]);
    &C
};
static P_PRICE: Col = {
    static C: Column = Column(&["Price"]);
    &C
};
static P_MIN: Col = {
    static C: Column = Column(&["minDate"]);
    &C
};
static P_MAX: Col = {
    static C: Column = Column(&["maxDate"]);
    &C
};

impl FromRow for PriceListEntry {
    const COLUMNS: &'static [Col] = &[
        P_PRIORITY,
        P_SERVICE,
        P_AFFILIATION,
        P_PROJECT,
        P_PRICE,
        P_MIN,
        P_MAX,
    ];
    const REQUIRED: &'static [Col] = &[P_SERVICE, P_PRICE];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            priority: match row.raw(P_PRIORITY) {
                Some(v) if !value::is_none_marker(v) => Some(row.i64(P_PRIORITY)?),
                _ => None,
            },
            service: row.u32(P_SERVICE)?,
            affiliation_id: row.opt_u32(P_AFFILIATION)?,
            project_id: row.opt_u32(P_PROJECT)?.map(ProjectId),
            price: row.decimal(P_PRICE)?,
            min_date: row.date(P_MIN)?,
            max_date: row.date(P_MAX)?,
            extra: row.extra(),
        })
    }
}

/// The date sent as `completeddate`: the type decides the wire format (PPMS-Q41).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompletionDate {
    /// Sent as `YYYY-MM-DD`.
    Date(NaiveDate),
    /// Sent as `YYYY-MM-DD hh:mm:ss`.
    DateTime(NaiveDateTime),
}

impl CompletionDate {
    /// The wire form.
    pub fn wire(&self) -> String {
        match self {
            Self::Date(d) => d.format("%Y-%m-%d").to_string(),
            Self::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// The state an order is created in (PPMS-Q39). "Completed but not accepted" cannot be
/// expressed, because the server silently ignores it.
///
/// Later transitions are not supported: the only state-change action known by name,
/// `updateorderphase`, is undocumented (use [`crate::Client::raw_action`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InitialOrderState {
    /// Neither flag is sent.
    #[default]
    Pending,
    /// `accepted=true`.
    Accepted,
    /// `accepted=true`, `completed=true` and `completeddate`.
    Completed {
        /// The completion date.
        date: CompletionDate,
    },
}

/// One `createorder` call: one service, one quantity, hence one order line (PPMS-Q38).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NewOrder {
    /// `serviceid` (mandatory).
    pub service_id: ServiceId,
    /// `login` (mandatory): the user the order is for.
    pub login: String,
    /// `quantity` (mandatory).
    pub quantity: Decimal,
    /// `projectid`.
    pub project_id: Option<ProjectId>,
    /// `accepted` / `completed` / `completeddate`.
    pub state: InitialOrderState,
    /// `comments`: the user's comment.
    pub comments: Option<String>,
    /// `scomments`: the staff comment (wire name configurable, PPMS-Q40).
    pub staff_comments: Option<String>,
    /// `bcode`: the account to charge.
    pub bcode: Option<String>,
}

impl NewOrder {
    /// An order with its three mandatory fields.
    pub fn new(
        service_id: ServiceId,
        login: impl Into<String>,
        quantity: impl Into<Decimal>,
    ) -> Self {
        Self {
            service_id,
            login: login.into(),
            quantity: quantity.into(),
            project_id: None,
            state: InitialOrderState::Pending,
            comments: None,
            staff_comments: None,
            bcode: None,
        }
    }

    /// Sets the project.
    #[must_use]
    pub fn project(mut self, project: ProjectId) -> Self {
        self.project_id = Some(project);
        self
    }

    /// Sets the initial state.
    #[must_use]
    pub fn state(mut self, state: InitialOrderState) -> Self {
        self.state = state;
        self
    }

    /// Sets the user's comment.
    #[must_use]
    pub fn comments(mut self, text: impl Into<String>) -> Self {
        self.comments = Some(text.into());
        self
    }

    /// Sets the staff comment.
    #[must_use]
    pub fn staff_comments(mut self, text: impl Into<String>) -> Self {
        self.staff_comments = Some(text.into());
        self
    }

    /// Sets the account to charge.
    #[must_use]
    pub fn bcode(mut self, bcode: impl Into<String>) -> Self {
        self.bcode = Some(bcode.into());
        self
    }

    /// The form fields, with the staff comment under `staff_comment_field` (PPMS-Q40).
    pub(crate) fn fields(&self, staff_comment_field: &str) -> Vec<(String, String)> {
        let mut out = vec![
            ("serviceid".to_owned(), self.service_id.to_string()),
            ("login".to_owned(), self.login.clone()),
            ("quantity".to_owned(), self.quantity.normalize().to_string()),
        ];
        if let Some(p) = self.project_id {
            out.push(("projectid".into(), p.to_string()));
        }
        match self.state {
            InitialOrderState::Pending => {}
            InitialOrderState::Accepted => out.push(("accepted".into(), "true".into())),
            InitialOrderState::Completed { date } => {
                out.push(("accepted".into(), "true".into()));
                out.push(("completed".into(), "true".into()));
                out.push(("completeddate".into(), date.wire()));
            }
        }
        if let Some(c) = &self.comments {
            out.push(("comments".into(), c.clone()));
        }
        if let Some(c) = &self.staff_comments {
            out.push((staff_comment_field.to_owned(), c.clone()));
        }
        if let Some(b) = &self.bcode {
            out.push(("bcode".into(), b.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{RowPolicy, parse_table, parse_table_after};

    fn field<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
        f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn ppms_q39_initial_state_form_fields() {
        let date = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        let o = NewOrder::new(ServiceId(112), "jdoe", 2).state(InitialOrderState::Completed {
            date: CompletionDate::Date(date),
        });
        let f = o.fields("scomments");
        assert_eq!(field(&f, "accepted"), Some("true"));
        assert_eq!(field(&f, "completed"), Some("true"));
        assert_eq!(field(&f, "completeddate"), Some("2024-01-31"));
        let f = NewOrder::new(ServiceId(112), "jdoe", 2).fields("scomments");
        assert_eq!(field(&f, "accepted"), None);
        assert_eq!(field(&f, "completed"), None);
    }

    #[test]
    fn ppms_q41_completeddate_format_follows_the_type() {
        let t = NaiveDate::from_ymd_opt(2024, 1, 31)
            .unwrap()
            .and_hms_opt(14, 5, 0)
            .unwrap();
        assert_eq!(CompletionDate::DateTime(t).wire(), "2024-01-31 14:05:00");
        assert_eq!(CompletionDate::Date(t.date()).wire(), "2024-01-31");
    }

    #[test]
    fn ppms_q40_staff_comment_wire_name() {
        let o = NewOrder::new(ServiceId(1), "jdoe", 1).staff_comments("ref-1");
        assert_eq!(field(&o.fields("scomments"), "scomments"), Some("ref-1"));
        assert_eq!(field(&o.fields("Scomments"), "Scomments"), Some("ref-1"));
        assert_eq!(field(&o.fields("Scomments"), "scomments"), None);
    }

    #[test]
    fn ppms_q43_global_service_id() {
        let body = "priority,service,affiliationid,projectid,Price\r\n1,112,2,,45.50\r\n";
        let p = parse_table::<PriceListEntry>(body, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].global_service_id(CoreFacilityId(7)), 70112);
        assert_eq!(p[0].project_id, None);
        assert_eq!(p[0].price.to_string(), "45.50");
    }

    #[test]
    fn ppms_q16_getorders_header_on_line_two() {
        let rows = "Core facility ref.,Order ref.,User,Group,Project ref.,Quoted date,Ordered date,Completed date,Status,Invoiced\r\n3,48213,\"jdoe\",\"doe_lab\",\"42\",\"\",\"2024/01/10\",\"\",\"Ordered\",\"No\"\r\n3,48214,\"asmith\",\"doe_lab\",\"\",\"\",\"2024/01/11\",\"\",\"Completed\",\"Yes\"\r\n";
        let with = format!("Orders of core 3\r\n{rows}");
        for body in [with.as_str(), rows] {
            let (_, p) = parse_table_after::<Order>(body, ORDER_REF, 5, RowPolicy::Strict)
                .unwrap()
                .unwrap();
            assert_eq!(p.len(), 2);
            assert_eq!(p[1].order_ref, OrderRef(48214));
            assert_eq!(p[0].ordered_on(), NaiveDate::from_ymd_opt(2024, 1, 10));
        }
    }

    #[test]
    fn ppms_q17_getorderlines_header_anywhere_or_absent() {
        let header = ORDER_LINE_POSITIONAL.join(",");
        let rows = "3,48213,\"L-1\",112,2,\"jdoe\",\"doe_lab\",\"42\",\"\",\"2024/01/10\",\"\",\"Ordered\",\"No\"\r\n3,48213,\"L-2\",113,1,\"jdoe\",\"doe_lab\",\"42\",\"\",\"2024/01/10\",\"\",\"Ordered\",\"No\"\r\n";
        let line1 = format!("{header}\r\n{rows}");
        let line3 = format!("Order 48213\r\nCore 3\r\n{header}\r\n{rows}");
        let parsed: Vec<Vec<OrderLine>> = [line1.as_str(), line3.as_str(), rows]
            .iter()
            .map(|b| {
                OrderLine::parse_body(b, RowPolicy::Strict)
                    .unwrap()
                    .into_items()
            })
            .collect();
        assert_eq!(parsed[0].len(), 2);
        assert_eq!(parsed[0][1].service_id, Some(ServiceId(113)));
        assert_eq!(parsed[0][0].order_ref, Some(OrderRef(48213)));
        assert_eq!(parsed[0], parsed[1]);
        assert_eq!(parsed[0], parsed[2]);
        let headerless = OrderLine::parse_body(rows, RowPolicy::Strict).unwrap();
        assert_eq!(headerless.warnings.len(), 1);
    }

    #[test]
    fn services_parse_capitalised_booleans() {
        let body = "Name,Service id,Group,Active\r\n\"Sequencing run\",112,\"Genomics\",True\r\n\"Old\",113,\"Genomics\",False\r\n";
        let p = parse_table::<Service>(body, RowPolicy::Strict).unwrap();
        assert!(p[0].active && !p[1].active);
        assert_eq!(p[1].service_id, ServiceId(113));
    }
}
