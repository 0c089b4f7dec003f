//! Lenient calendar date (CS-Q13).

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A date (Dutch `datum`) whose wire format is undocumented (CS-Q13), such as
/// `geboortedatum` ("date of birth").
///
/// Accepted forms, all giving [`Date::Parsed`]:
///
/// * `YYYY-MM-DD` (`1980-02-29`);
/// * an ISO 8601 / RFC 3339 date-time, of which the date part is kept
///   (`1980-02-29T00:00:00Z`, `1980-02-29T10:00:00+02:00`, `1980-02-29 10:00:00`);
/// * `DD/MM/YYYY` and `DD-MM-YYYY`, always **day first** as in Belgium, never month first.
///
/// `null`, a missing key and the empty string give `None` on the `Option<Date>` field.
/// Any other text (including an impossible date such as `1981-02-29`) is kept as
/// [`Date::Raw`] instead of failing the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[doc(alias = "datum")]
pub enum Date {
    /// A parsed calendar date.
    Parsed(NaiveDate),
    /// Text in no accepted format, kept unchanged.
    Raw(String),
}

impl Date {
    /// Parses the accepted forms; `None` for empty text.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        Some(parse_date(t).map_or_else(|| Date::Raw(text.to_owned()), Date::Parsed))
    }

    /// The parsed date, if the text was in an accepted form.
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Date::Parsed(d) => Some(*d),
            Date::Raw(_) => None,
        }
    }
}

fn parse_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if b.len() == 10 {
        // YYYY-MM-DD
        if b[4] == b'-' && b[7] == b'-' && digits(0..4) && digits(5..7) && digits(8..10) {
            return NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
        }
        // DD/MM/YYYY or DD-MM-YYYY, day first.
        let day_first = (b[2] == b'/' && b[5] == b'/') || (b[2] == b'-' && b[5] == b'-');
        if day_first && digits(0..2) && digits(3..5) && digits(6..10) {
            let sep = b[2] as char;
            return NaiveDate::parse_from_str(t, &format!("%d{sep}%m{sep}%Y")).ok();
        }
        return None;
    }
    if b.len() > 10 && (b[10] == b'T' || b[10] == b' ') {
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Some(dt.date_naive());
        }
        for fmt in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
        ] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
                return Some(dt.date());
            }
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
            if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
                return Some(dt.date_naive());
            }
        }
    }
    None
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Date::Parsed(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Date::Raw(r) => f.write_str(r),
        }
    }
}

impl Serialize for Date {
    /// Writes `YYYY-MM-DD` for a parsed date and the raw text otherwise.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(opt_date(d)?.unwrap_or_else(|| Date::Raw(String::new())))
    }
}

/// `Option<Date>` field helper: `null` and `""` give `None`, anything else never fails.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Date::parse(&s),
        other => Some(Date::Raw(other.to_string())),
    })
}
