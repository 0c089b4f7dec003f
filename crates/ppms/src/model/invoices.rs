//! Invoices: `getinvoicelist`, `getinvoice`, `getinvoicedetails`, `getinvtracklist`.
//! Reconstructed shapes, no recording.

use chrono::NaiveDate;
use csv::StringRecord;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::parse::{
    Col, Column, Extra, FromRow, Header, ParseError, Parsed, RowPolicy, RowRef, Section,
    parse_headerless, parse_sections,
};

/// One row of `getinvoice`: the total per account. The body has no header (PPMS-Q19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct InvoiceAccountTotal {
    /// Column 1: the account number, unquoted.
    pub account: String,
    /// Column 2: the amount.
    pub amount: Decimal,
}

static ACCOUNT: Col = {
    static C: Column = Column(&["account"]);
    &C
};
static AMOUNT: Col = {
    static C: Column = Column(&["amount"]);
    &C
};

impl FromRow for InvoiceAccountTotal {
    const COLUMNS: &'static [Col] = &[ACCOUNT, AMOUNT];
    const REQUIRED: &'static [Col] = &[ACCOUNT, AMOUNT];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            account: row.text(ACCOUNT)?,
            amount: row.decimal(AMOUNT)?,
        })
    }
}

impl InvoiceAccountTotal {
    /// Parses a `getinvoice` body positionally (`has_headers(false)`, PPMS-Q19).
    pub fn parse_body(body: &str, policy: RowPolicy) -> Result<Parsed<Self>, ParseError> {
        parse_headerless(body, &Header::new(["account", "amount"]), policy)
    }
}

/// Header names of `getinvoicedetails` sections (the KCL invoice mailer and the official
/// document); a line with at least three of them, starting with one, is a section header.
const INVOICE_HEADER_NAMES: &[&str] = &[
    "Reference",
    "User",
    "Group",
    "Project",
    "Affiliation",
    "Session Type",
    "System Type",
    "System",
    "Date",
    "Start time",
    "Duration",
    "Duration (booked)",
    "Duration (used)",
    "Used by others",
    "Booked by others",
    "Cancelled",
    "Cancelled date",
    "User comments",
    "Notes",
    "Account number",
    "Account number (subsidy)",
    "Rebate",
    "Fee",
    "Subsidy",
    "Final Amount",
];

fn is_invoice_name(cell: &str) -> bool {
    let cell = cell.trim();
    INVOICE_HEADER_NAMES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(cell))
}

fn is_invoice_header(record: &StringRecord) -> bool {
    record.get(0).is_some_and(is_invoice_name)
        && record.iter().filter(|c| is_invoice_name(c)).take(3).count() >= 3
}

/// The detail of an invoice (`getinvoicedetails`): preamble lines, then sections (sessions,
/// trainings, ...) each with its own header (PPMS-Q18).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[non_exhaustive]
pub struct InvoiceDetails {
    /// The lines before the first header (three in the known bodies), verbatim.
    pub preamble: Vec<String>,
    /// The sections in body order. Read rows with [`Section::rows`] and
    /// [`RowRef::raw`] / [`RowRef::decimal`] by column name.
    pub sections: Vec<Section>,
}

impl InvoiceDetails {
    /// Parses a non-empty `getinvoicedetails` body.
    pub fn parse_body(body: &str) -> Result<Self, ParseError> {
        let s = parse_sections(body, is_invoice_header, 3)?;
        Ok(Self {
            preamble: s.preamble,
            sections: s.sections,
        })
    }

    /// The sum of the `Final Amount` column over every section; rows where it is empty are
    /// skipped, and a value that is not a number is an error.
    pub fn total(&self) -> Result<Decimal, ParseError> {
        let mut total = Decimal::ZERO;
        for section in &self.sections {
            for row in section.rows() {
                if let Some(v) = row.opt_decimal(&Column(&["Final Amount"]))? {
                    total += v;
                }
            }
        }
        Ok(total)
    }
}

/// Finds the `YYYYMMDD` date embedded in an invoice reference such as
/// `PPMS2-ExampleCore-20240131-DRAFT`, by pattern (an 8-digit segment between dashes), never by
/// position (PPMS-Q45). Returns `None` when there is none.
pub fn invoice_date(reference: &str) -> Option<NaiveDate> {
    reference
        .split('-')
        .skip(1)
        .filter(|s| s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()))
        .find_map(|s| NaiveDate::parse_from_str(s, "%Y%m%d").ok())
}

/// The `filter` of `getinvtracklist`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvoiceTrackingFilter {
    /// `tosend`.
    ToSend,
    /// `sent`.
    Sent,
    /// `paid`.
    Paid,
    /// `unpaid`.
    Unpaid,
}

impl InvoiceTrackingFilter {
    /// An English label for people (`To send`, `Sent`, `Paid`, `Unpaid`).
    pub fn label(self) -> &'static str {
        match self {
            Self::ToSend => "To send",
            Self::Sent => "Sent",
            Self::Paid => "Paid",
            Self::Unpaid => "Unpaid",
        }
    }

    /// The wire value.
    pub fn wire_value(self) -> &'static str {
        match self {
            Self::ToSend => "tosend",
            Self::Sent => "sent",
            Self::Paid => "paid",
            Self::Unpaid => "unpaid",
        }
    }
}

/// One row of `getinvtracklist`. Columns are mapped by name from the document's list; all are
/// kept as text because their formats are not recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct InvoiceTracking {
    /// `Invoice tracking ref.`
    pub tracking_ref: Option<String>,
    /// `Core facility ref.`
    pub core_facility_ref: Option<String>,
    /// `Invoice date`.
    pub invoice_date: Option<String>,
    /// `PPMS invoice ref`.
    pub invoice_ref: Option<String>,
    /// `Bcode`.
    pub bcode: Option<String>,
    /// `PO`.
    pub po: Option<String>,
    /// `Date created`.
    pub date_created: Option<String>,
    /// `Amount`.
    pub amount: Option<Decimal>,
    /// `Paid`.
    pub paid: Option<String>,
    /// `Reference Payment`.
    pub payment_reference: Option<String>,
    /// `Date Payment`.
    pub payment_date: Option<String>,
    /// `Address`.
    pub address: Option<String>,
    /// `Emails`.
    pub emails: Option<String>,
    /// `Metadata1` to `Metadata6` and any column this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

static T_REF: Col = {
    static C: Column = Column(&["Invoice tracking ref.", "Invoice tracking ref"]);
    &C
};
static T_CORE: Col = {
    static C: Column = Column(&["Core facility ref.", "Core facility ref"]);
    &C
};
static T_DATE: Col = {
    static C: Column = Column(&["Invoice date"]);
    &C
};
static T_INVOICE: Col = {
    static C: Column = Column(&["PPMS invoice ref", "PPMS invoice ref.", "Invoice ref"]);
    &C
};
static T_BCODE: Col = {
    static C: Column = Column(&["Bcode"]);
    &C
};
static T_PO: Col = {
    static C: Column = Column(&["PO"]);
    &C
};
static T_CREATED: Col = {
    static C: Column = Column(&["Date created"]);
    &C
};
static T_AMOUNT: Col = {
    static C: Column = Column(&["Amount"]);
    &C
};
static T_PAID: Col = {
    static C: Column = Column(&["Paid"]);
    &C
};
static T_PAYREF: Col = {
    static C: Column = Column(&["Reference Payment"]);
    &C
};
static T_PAYDATE: Col = {
    static C: Column = Column(&["Date Payment"]);
    &C
};
static T_ADDRESS: Col = {
    static C: Column = Column(&["Address"]);
    &C
};
static T_EMAILS: Col = {
    static C: Column = Column(&["Emails"]);
    &C
};

impl FromRow for InvoiceTracking {
    const COLUMNS: &'static [Col] = &[
        T_REF, T_CORE, T_DATE, T_INVOICE, T_BCODE, T_PO, T_CREATED, T_AMOUNT, T_PAID, T_PAYREF,
        T_PAYDATE, T_ADDRESS, T_EMAILS,
    ];
    const REQUIRED: &'static [Col] = &[];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            tracking_ref: row.opt_text(T_REF),
            core_facility_ref: row.opt_text(T_CORE),
            invoice_date: row.opt_text(T_DATE),
            invoice_ref: row.opt_text(T_INVOICE),
            bcode: row.opt_text(T_BCODE),
            po: row.opt_text(T_PO),
            date_created: row.opt_text(T_CREATED),
            amount: row.opt_decimal(T_AMOUNT)?,
            paid: row.opt_text(T_PAID),
            payment_reference: row.opt_text(T_PAYREF),
            payment_date: row.opt_text(T_PAYDATE),
            address: row.opt_text(T_ADDRESS),
            emails: row.opt_text(T_EMAILS),
            extra: row.extra(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    pub(crate) const DETAILS: &str = "\"Invoice PPMS2-ExampleCore-20240131-DRAFT\"\r\n\"Example Core Facility\"\r\n\"Period: 2024/01/01 - 2024/01/31\"\r\nReference,User,Group,Project,Session Type,System Type,System,Date,Start time,Duration (booked),Duration (used),Notes,Fee,Subsidy,Final Amount\r\n\"S-1\",\"jdoe\",\"doe_lab\",\"P1\",\"Session\",\"Confocal\",\"Confocal 1\",\"2024/01/10\",\"08:00\",\"2.0\",\"1.5\",\"\",\"60.00\",\"0\",\"60.00\"\r\n\"S-2\",\"asmith\",\"doe_lab\",\"P1\",\"Session\",\"Confocal\",\"Confocal 1\",\"2024/01/11\",\"09:00\",\"1.0\",\"1.0\",\"note, with comma\",\"30.00\",\"0\",\"30.00\"\r\nReference,User,Group,Session Type,System,Date,Duration,Fee,Final Amount\r\n\"T-1\",\"bwong\",\"doe_lab\",\"Training\",\"Confocal 1\",\"2024/01/12\",\"3.0\",\"45.00\",\"45.00\"\r\n";

    #[test]
    fn ppms_q18_preamble_and_two_sections() {
        let d = InvoiceDetails::parse_body(DETAILS).unwrap();
        assert_eq!(d.preamble.len(), 3);
        assert_eq!(d.sections.len(), 2);
        assert_eq!(d.sections[0].len(), 2);
        assert_eq!(d.sections[1].len(), 1);
        assert!(d.sections[1].header().contains(&Column(&["Duration"])));
        assert!(
            !d.sections[1]
                .header()
                .contains(&Column(&["Duration (booked)"]))
        );
        assert_eq!(
            d.sections[0].row(1).unwrap().raw(&Column(&["Notes"])),
            Some("note, with comma")
        );
        assert_eq!(d.total().unwrap(), Decimal::from(135));
    }

    #[test]
    fn ppms_q19_getinvoice_has_no_header() {
        let p = InvoiceAccountTotal::parse_body(
            "\"ACC-1\",120.50\r\n\"ACC-2\",80\r\n",
            RowPolicy::Strict,
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].account, "ACC-1");
        assert_eq!(p[0].amount.to_string(), "120.50");
    }

    #[test]
    fn ppms_q45_invoice_date_by_pattern() {
        let want = NaiveDate::from_ymd_opt(2024, 1, 31);
        assert_eq!(invoice_date("PPMS2-ExampleCore-20240131-DRAFT"), want);
        assert_eq!(invoice_date("PPMS2-X-20240131-FINAL"), want);
        assert_eq!(invoice_date("PPMS2-X-FINAL"), None);
        assert_eq!(invoice_date("20240131"), None);
    }
}
