//! API2 models (JSON): `GetSessionsList`, `GetUsersList`, `GetGroupsList`, `GetPPMSAccounts`,
//! and configurable `ReportNNNN` ids. Reconstructed from client code, no recording.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Numbers and booleans that API2 may send as JSON numbers, booleans or strings.
mod lenient {
    use super::*;

    pub(super) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    }

    pub(super) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().replace(',', ".").parse().ok(),
            _ => None,
        })
    }

    pub(super) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) => n.as_i64().map(|i| i != 0),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" | "" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    pub(super) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(crate::parse::value::text(&s)),
            other => Some(other.to_string()),
        })
    }
}

/// A session from API2 `GetSessionsList`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Api2Session {
    /// `cancelled`.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub cancelled: Option<bool>,
    /// `hour`: a **quarter-hour index**, not an hour (PPMS-Q48); see [`Api2Session::start_time`].
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub hour: Option<i64>,
    /// `hoursBooked`.
    #[serde(default, rename = "hoursBooked", deserialize_with = "lenient::opt_f64")]
    pub hours_booked: Option<f64>,
    /// `userName`.
    #[serde(default, rename = "userName", deserialize_with = "lenient::opt_string")]
    pub user_name: Option<String>,
    /// `systemName`.
    #[serde(
        default,
        rename = "systemName",
        deserialize_with = "lenient::opt_string"
    )]
    pub system_name: Option<String>,
    /// Every other key.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Api2Session {
    /// The start time from the quarter-hour index: hour = index / 4, minutes = 15 × (index mod 4)
    /// (PPMS-Q48). `None` when the index is absent or outside a day.
    pub fn start_time(&self) -> Option<NaiveTime> {
        quarter_hour(self.hour?)
    }
}

pub(crate) fn quarter_hour(index: i64) -> Option<NaiveTime> {
    if !(0..96).contains(&index) {
        return None;
    }
    let h = u32::try_from(index / 4).ok()?;
    let m = u32::try_from(15 * (index % 4)).ok()?;
    NaiveTime::from_hms_opt(h, m, 0)
}

/// A user from API2 `GetUsersList`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Api2User {
    /// `id`: the numeric user id (used by `SetSessionBooking`).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    /// `firstName`.
    #[serde(
        default,
        rename = "firstName",
        deserialize_with = "lenient::opt_string"
    )]
    pub first_name: Option<String>,
    /// `lastName`.
    #[serde(default, rename = "lastName", deserialize_with = "lenient::opt_string")]
    pub last_name: Option<String>,
    /// Every other key.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A group from API2 `GetGroupsList`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Api2Group {
    /// `id`.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    /// `name` ("Last, First").
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// `head`: an e-mail address.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub head: Option<String>,
    /// `department`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub department: Option<String>,
    /// `institution`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub institution: Option<String>,
    /// Every other key.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// An account from API2 `GetPPMSAccounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Api2Account {
    /// `bcode`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bcode: Option<String>,
    /// `descriptionShort`.
    #[serde(
        default,
        rename = "descriptionShort",
        deserialize_with = "lenient::opt_string"
    )]
    pub description_short: Option<String>,
    /// Every other key.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The action name of a site-specific API2 report, e.g. `Report1848` (PPMS-Q49). Numbers
/// differ per instance: never hard-code them, configure them in [`Reports`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReportId(pub String);

impl ReportId {
    /// A report id; a bare number `1848` becomes `Report1848`.
    pub fn new(id: impl Into<String>) -> Self {
        let id = id.into();
        let id = id.trim();
        if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
            Self(format!("Report{id}"))
        } else {
            Self(id.to_owned())
        }
    }

    /// True when the id has the `Report<digits>` form.
    pub fn is_well_formed(&self) -> bool {
        self.0
            .strip_prefix("Report")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }
}

impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The site's map from logical report names (`order_details`, `order_search`, ...) to report ids
/// (PPMS-Q49).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reports {
    map: BTreeMap<String, ReportId>,
}

impl Reports {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a logical name.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, id: ReportId) -> Self {
        self.map.insert(name.into(), id);
        self
    }

    /// The report id for a logical name.
    pub fn get(&self, name: &str) -> Option<&ReportId> {
        self.map.get(name)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ppms_q48_quarter_hour_index() {
        assert_eq!(quarter_hour(37), NaiveTime::from_hms_opt(9, 15, 0));
        assert_eq!(quarter_hour(0), NaiveTime::from_hms_opt(0, 0, 0));
        assert_eq!(quarter_hour(96), None);
        let s: Api2Session = serde_json::from_str(
            r#"{"hour":"37","cancelled":"false","userName":"Doe Jane","x":1}"#,
        )
        .unwrap();
        assert_eq!(s.start_time(), NaiveTime::from_hms_opt(9, 15, 0));
        assert_eq!(s.cancelled, Some(false));
        assert!(s.extra.contains_key("x"));
    }

    #[test]
    fn ppms_q49_report_ids_and_logical_names() {
        assert_eq!(ReportId::new("1848").0, "Report1848");
        assert!(ReportId::new("Report1234").is_well_formed());
        assert!(!ReportId::new("Report").is_well_formed());
        let r = Reports::new().with("order_search", ReportId::new("Report2167"));
        assert_eq!(
            r.get("order_search").map(|r| r.0.as_str()),
            Some("Report2167")
        );
        assert!(r.get("order_details").is_none());
    }
}
