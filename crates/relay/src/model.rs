//! The relay's vocabulary: order lines, statuses, reason codes, line records, timestamps.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// Milliseconds since the Unix epoch (UTC): how the store keeps instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub i64);

impl Millis {
    /// The instant of a [`std::time::SystemTime`], saturating outside the `i64` range.
    pub fn from_system(t: std::time::SystemTime) -> Self {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Millis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Millis(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// This instant plus `d`, saturating.
    pub fn plus(self, d: std::time::Duration) -> Self {
        Millis(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// The time from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: Millis) -> std::time::Duration {
        std::time::Duration::from_millis(
            u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0),
        )
    }

    /// RFC 3339 in UTC with milliseconds (`2025-03-01T12:00:00.000Z`).
    pub fn rfc3339(self) -> String {
        match Utc.timestamp_millis_opt(self.0).single() {
            Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
            None => String::new(),
        }
    }
}

impl Serialize for Millis {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// Where a line is (the reference's §6: the public code's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// The relay holds the line and nobody is working on it yet.
    Received,
    /// A worker is pushing it right now (it holds a lease).
    Processing,
    /// The ERP confirmed the line. Final.
    Completed,
    /// The line reached a terminal state and needs a person (see its reason code).
    Failed,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 4] = [
        Status::Received,
        Status::Processing,
        Status::Completed,
        Status::Failed,
    ];

    /// The wire and database text.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Processing => "processing",
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = UnknownWord;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or(UnknownWord)
    }
}

/// A status or reason code the relay does not know (a database written by another version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown status or reason code")]
pub struct UnknownWord;

/// Why a line failed, or what its last attempt ran into (the reference's §6 table). Stable and
/// machine-readable; every one comes with a human-readable `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasonCode {
    /// The ERP timed out, was unreachable, or answered 429 or 5xx; a retry is scheduled.
    ErpUnavailable,
    /// The tenant's ERP credentials were rejected and the tenant is paused.
    ErpAuth,
    /// The product number is unknown in the ERP, or has no mapping.
    InvalidProduct,
    /// The case or worksheet is unknown or closed in the ERP.
    InvalidCase,
    /// The ERP refused the line; its message is kept.
    ErpRejected,
    /// Transient failures continued past the retry limit.
    RetriesExhausted,
    /// A push may have reached the ERP and the adapter cannot check.
    OutcomeUnknown,
    /// Removed from the queue by an operator.
    ClearedByOperator,
}

impl ReasonCode {
    /// Every code.
    pub const ALL: [ReasonCode; 8] = [
        ReasonCode::ErpUnavailable,
        ReasonCode::ErpAuth,
        ReasonCode::InvalidProduct,
        ReasonCode::InvalidCase,
        ReasonCode::ErpRejected,
        ReasonCode::RetriesExhausted,
        ReasonCode::OutcomeUnknown,
        ReasonCode::ClearedByOperator,
    ];

    /// The wire and database text.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::ErpUnavailable => "erp_unavailable",
            ReasonCode::ErpAuth => "erp_auth",
            ReasonCode::InvalidProduct => "invalid_product",
            ReasonCode::InvalidCase => "invalid_case",
            ReasonCode::ErpRejected => "erp_rejected",
            ReasonCode::RetriesExhausted => "retries_exhausted",
            ReasonCode::OutcomeUnknown => "outcome_unknown",
            ReasonCode::ClearedByOperator => "cleared_by_operator",
        }
    }

    /// `true` when a line with this code is `failed` for good (until an operator retries it).
    pub fn is_terminal(self) -> bool {
        !matches!(self, ReasonCode::ErpUnavailable | ReasonCode::ErpAuth)
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReasonCode {
    type Err = UnknownWord;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReasonCode::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or(UnknownWord)
    }
}

/// One dispense to be billed, in canonical form (aliases resolved, decimals exact).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderLine {
    /// The dispensing system's id of the dispense: the idempotency key within the tenant.
    pub unique_id: String,
    /// The case or worksheet in the ERP.
    pub case_nr: String,
    /// The product number in the dispensing system (mapped to the ERP's at push time).
    pub product_nr: String,
    /// The quantity, exact and normalised (`5.0` is kept as `5`).
    pub product_amount: Decimal,
    /// When the dispense happened, in UTC.
    pub dispensed_at: Option<DateTime<Utc>>,
}

impl OrderLine {
    /// A line from its fields (the amount is normalised).
    pub fn new(
        unique_id: impl Into<String>,
        case_nr: impl Into<String>,
        product_nr: impl Into<String>,
        product_amount: Decimal,
    ) -> Self {
        OrderLine {
            unique_id: unique_id.into(),
            case_nr: case_nr.into(),
            product_nr: product_nr.into(),
            product_amount: product_amount.normalize(),
            dispensed_at: None,
        }
    }

    /// Sets when the dispense happened.
    #[must_use]
    pub fn dispensed_at(mut self, at: DateTime<Utc>) -> Self {
        self.dispensed_at = Some(at);
        self
    }

    /// The amount as exact decimal text (`"5"`, `"5.25"`).
    pub fn amount_text(&self) -> String {
        self.product_amount.normalize().to_string()
    }

    /// `dispensed_at` as normalised RFC 3339 text.
    pub fn dispensed_at_text(&self) -> Option<String> {
        self.dispensed_at
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    /// Same content as `other`: the comparison behind 200 (same) and 409 (different) at
    /// ingest. Decimals compare by value (`"5"`, `5` and `5.0` are equal).
    pub fn same_content(&self, other: &OrderLine) -> bool {
        self.unique_id == other.unique_id
            && self.case_nr == other.case_nr
            && self.product_nr == other.product_nr
            && self.product_amount.normalize() == other.product_amount.normalize()
            && self.dispensed_at == other.dispensed_at
    }
}

/// A stored line: its content, status and queue state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineRecord {
    /// The tenant.
    pub tenant: String,
    /// Position in the tenant's received order.
    pub seq: i64,
    /// The content.
    pub line: OrderLine,
    /// The status.
    pub status: Status,
    /// The reason code of a failure, or of the last failed attempt (text as stored).
    pub reason_code: Option<String>,
    /// The human-readable reason.
    pub reason: Option<String>,
    /// The id of the created line or order in the ERP, when known.
    pub erp_reference: Option<String>,
    /// Push attempts so far.
    pub attempts: u32,
    /// Not claimed before this instant.
    pub next_attempt_at: Millis,
    /// An earlier push may have reached the ERP: the next attempt asks the adapter first.
    pub check_first: bool,
    /// The holder of the lease while `processing`.
    pub lease_owner: Option<String>,
    /// When the lease expires.
    pub lease_expires_at: Option<Millis>,
    /// The in-flight slot while `processing`.
    pub slot: Option<u32>,
    /// When the line was accepted.
    pub received_at: Millis,
    /// The last change.
    pub updated_at: Millis,
    /// When the ERP confirmed it.
    pub completed_at: Option<Millis>,
}

impl LineRecord {
    /// The status reply of §5.3: no body content, no credential.
    pub fn status_reply(&self) -> StatusReply {
        StatusReply {
            unique_id: self.line.unique_id.clone(),
            status: self.status,
            reason_code: self.reason_code.clone(),
            reason: self.reason.clone(),
            erp_reference: self.erp_reference.clone(),
            attempts: self.attempts,
            received_at: self.received_at,
            updated_at: self.updated_at,
            completed_at: self.completed_at,
        }
    }
}

/// The status of one line as the API shows it (§5.3). It never holds the request body or a
/// credential: only these fields exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatusReply {
    /// The line's unique id.
    pub unique_id: String,
    /// Its status.
    pub status: Status,
    /// The reason code of a failure or of the last failed attempt.
    pub reason_code: Option<String>,
    /// The reason text.
    pub reason: Option<String>,
    /// The ERP's id of the created line, when known.
    pub erp_reference: Option<String>,
    /// Push attempts so far.
    pub attempts: u32,
    /// When the relay accepted the line.
    pub received_at: Millis,
    /// The last change.
    pub updated_at: Millis,
    /// When the ERP confirmed it.
    pub completed_at: Option<Millis>,
}

/// Lines per status of one tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatusCounts {
    /// `received`.
    pub received: u64,
    /// `processing`.
    pub processing: u64,
    /// `completed`.
    pub completed: u64,
    /// `failed`.
    pub failed: u64,
}

impl StatusCounts {
    /// Adds `n` lines of `status`.
    pub fn add(&mut self, status: Status, n: u64) {
        match status {
            Status::Received => self.received += n,
            Status::Processing => self.processing += n,
            Status::Completed => self.completed += n,
            Status::Failed => self.failed += n,
        }
    }

    /// All lines.
    pub fn total(&self) -> u64 {
        self.received + self.processing + self.completed + self.failed
    }
}

/// Cuts `text` to at most `max` characters (on a character boundary), adding `…` when cut.
pub fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        for c in ReasonCode::ALL {
            assert_eq!(c.as_str().parse::<ReasonCode>(), Ok(c));
        }
        assert!("preceived".parse::<Status>().is_err());
        assert!(!ReasonCode::ErpAuth.is_terminal());
        assert!(ReasonCode::OutcomeUnknown.is_terminal());
    }

    #[test]
    fn millis_saturate_and_format() {
        assert_eq!(
            Millis(i64::MAX).plus(std::time::Duration::MAX),
            Millis(i64::MAX)
        );
        assert_eq!(Millis(5).since(Millis(10)), std::time::Duration::ZERO);
        assert_eq!(Millis(0).rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Millis(i64::MAX).rfc3339(), "");
    }

    #[test]
    fn bounded_cuts_on_characters() {
        assert_eq!(bounded("ééé", 2), "éé…");
        assert_eq!(bounded("abc", 3), "abc");
    }
}
