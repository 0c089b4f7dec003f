//! `Pax8DateTime`: the lenient date/time type used for every date or time in a response.
//!
//! The spec's examples mix RFC 3339 timestamps, offsets without a colon (`-0600`), values without
//! an offset and bare dates in fields declared `date-time` (PAX8-Q16). `Pax8DateTime` keeps the raw
//! string, stores the best parse it could make, never fails on a string, and serialises back to the
//! identical raw text.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The best interpretation of a date/time string received from Pax8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParsedDateTime {
    /// A timestamp with an offset (`Z`, `+02:00` or `-0600`).
    WithOffset(DateTime<FixedOffset>),
    /// A timestamp without an offset.
    Local(NaiveDateTime),
    /// A bare date (`2031-04-05`).
    Date(NaiveDate),
    /// Not a recognised date form; only the raw string is available.
    Unparsed,
}

/// A date or time exactly as Pax8 sent it, plus its best parse (PAX8-Q16).
#[derive(Clone, PartialEq, Eq)]
pub struct Pax8DateTime {
    raw: String,
    parsed: ParsedDateTime,
}

const OFFSET_FORMATS: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"];
const LOCAL_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
];

impl Pax8DateTime {
    /// Parses a string leniently. Never fails: unknown forms become [`ParsedDateTime::Unparsed`].
    pub fn parse(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let parsed = parse_lenient(raw.trim());
        Self { raw, parsed }
    }

    /// The string exactly as received.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The best parse of the string.
    pub fn parsed(&self) -> ParsedDateTime {
        self.parsed
    }

    /// The calendar date, for every parsed form (for an offset timestamp, the date in its own
    /// offset).
    pub fn date(&self) -> Option<NaiveDate> {
        match self.parsed {
            ParsedDateTime::WithOffset(dt) => Some(dt.date_naive()),
            ParsedDateTime::Local(dt) => Some(dt.date()),
            ParsedDateTime::Date(d) => Some(d),
            ParsedDateTime::Unparsed => None,
        }
    }

    /// The instant in UTC, only when the string carried an offset.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        match self.parsed {
            ParsedDateTime::WithOffset(dt) => Some(dt.with_timezone(&Utc)),
            _ => None,
        }
    }

    /// The timestamp with its offset, only when the string carried one.
    pub fn with_offset(&self) -> Option<DateTime<FixedOffset>> {
        match self.parsed {
            ParsedDateTime::WithOffset(dt) => Some(dt),
            _ => None,
        }
    }

    /// The instant in UTC, assuming UTC when the string had no offset and midnight for a bare
    /// date. Useful for sorting; `None` only for unparsed strings.
    pub fn assume_utc(&self) -> Option<DateTime<Utc>> {
        match self.parsed {
            ParsedDateTime::WithOffset(dt) => Some(dt.with_timezone(&Utc)),
            ParsedDateTime::Local(dt) => Some(dt.and_utc()),
            ParsedDateTime::Date(d) => d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc()),
            ParsedDateTime::Unparsed => None,
        }
    }
}

fn parse_lenient(s: &str) -> ParsedDateTime {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return ParsedDateTime::WithOffset(dt);
    }
    for f in OFFSET_FORMATS {
        if let Ok(dt) = DateTime::parse_from_str(s, f) {
            return ParsedDateTime::WithOffset(dt);
        }
    }
    for f in LOCAL_FORMATS {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return ParsedDateTime::Local(dt);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return ParsedDateTime::Date(d);
    }
    ParsedDateTime::Unparsed
}

impl fmt::Debug for Pax8DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pax8DateTime({:?})", self.raw)
    }
}

impl fmt::Display for Pax8DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl From<&str> for Pax8DateTime {
    fn from(s: &str) -> Self {
        Self::parse(s)
    }
}

impl From<String> for Pax8DateTime {
    fn from(s: String) -> Self {
        Self::parse(s)
    }
}

impl Serialize for Pax8DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Pax8DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Numbers (epoch values) are kept as their text, unparsed, rather than failing a page.
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Self::parse(s)),
            other => Ok(Self {
                raw: other.to_string(),
                parsed: ParsedDateTime::Unparsed,
            }),
        }
    }
}

/// Request-side formatting: dates as `YYYY-MM-DD` (§3.4).
pub(crate) fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Request-side formatting: date-times as RFC 3339 with `Z` for UTC (§3.4, PAX8-Q24).
pub(crate) fn format_datetime(dt: &DateTime<FixedOffset>) -> String {
    dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Serde helper: `Option<DateTime<FixedOffset>>` written as RFC 3339 (requests).
pub(crate) mod rfc3339_opt {
    use chrono::{DateTime, FixedOffset};
    use serde::Serializer;

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(dt) => s.serialize_str(&super::format_datetime(dt)),
            None => s.serialize_none(),
        }
    }
}
