//! Bookings: `getbooking`, `nextbooking`, `getrunningsheet`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Resolution, SystemId, User};
use crate::parse::{
    BookingRecord, Col, Column, Extra, FromRow, ParseError, Parsed, RowPolicy, RowRef, parse_table,
    value,
};

/// The booking running now on a system (`getbooking`).
///
/// PUMAPI sends the minutes until the booking ends; the absolute end is computed from the
/// moment the response was received (PPMS-Q25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct CurrentBooking {
    /// The booking's user.
    pub login: String,
    /// The system asked about.
    pub system_id: SystemId,
    /// The session id, when sent.
    pub session: Option<String>,
    /// Minutes until the booking ends, as sent.
    pub minutes_remaining: i64,
    /// When the response was received.
    pub received_at: DateTime<Utc>,
    /// `received_at + minutes_remaining`.
    pub ends_at: DateTime<Utc>,
}

impl CurrentBooking {
    /// Builds the booking from its raw record and the receive time.
    pub fn from_record(
        record: BookingRecord,
        system_id: SystemId,
        received_at: DateTime<Utc>,
    ) -> Self {
        Self {
            ends_at: received_at + Duration::minutes(record.minutes),
            login: record.login,
            system_id,
            session: record.session,
            minutes_remaining: record.minutes,
            received_at,
        }
    }
}

/// The next booking on a system (`nextbooking`). PUMAPI gives no end time for it.
///
/// An absent next booking means "none within the server's horizon": a booking far in the
/// future (about ten years in one report) is not returned either, so `None` does not prove
/// that the system is free forever (PPMS-Q26).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct UpcomingBooking {
    /// The booking's user.
    pub login: String,
    /// The system asked about.
    pub system_id: SystemId,
    /// The session id, when sent.
    pub session: Option<String>,
    /// Minutes until the booking starts, as sent.
    pub minutes_until_start: i64,
    /// When the response was received.
    pub received_at: DateTime<Utc>,
    /// `received_at + minutes_until_start`.
    pub starts_at: DateTime<Utc>,
}

impl UpcomingBooking {
    /// Builds the booking from its raw record and the receive time.
    pub fn from_record(
        record: BookingRecord,
        system_id: SystemId,
        received_at: DateTime<Utc>,
    ) -> Self {
        Self {
            starts_at: received_at + Duration::minutes(record.minutes),
            login: record.login,
            system_id,
            session: record.session,
            minutes_until_start: record.minutes,
            received_at,
        }
    }
}

/// One booking of the running sheet (`getrunningsheet`).
///
/// `user_full_name` is `"<lname> <fname>"`, not a login (PPMS-Q27), and `system_name` is a
/// system **name** (PPMS-Q28); see [`FullNameIndex`] and [`super::resolve_system`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct RunningSheetEntry {
    /// `Location`.
    pub location: String,
    /// The day asked for.
    pub day: NaiveDate,
    /// `Start time` on `day` (facility local time, no zone).
    pub start: NaiveDateTime,
    /// `End time`; `00:00` (or any time before the start) rolls over to the next day
    /// (PPMS-Q29).
    pub end: NaiveDateTime,
    /// `Object`: the system name.
    pub system_name: String,
    /// `User`: the full name "LAST FIRST".
    pub user_full_name: String,
    /// `Training` (content undocumented).
    pub training: Option<String>,
    /// `Assisted` (content undocumented).
    pub assisted: Option<String>,
    /// Columns this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl RunningSheetEntry {
    /// `end - start`.
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

static LOCATION: Col = {
    static C: Column = Column(&["Location"]);
    &C
};
static START: Col = {
    static C: Column = Column(&["Start time"]);
    &C
};
static END: Col = {
    static C: Column = Column(&["End time"]);
    &C
};
static OBJECT: Col = {
    static C: Column = Column(&["Object"]);
    &C
};
static USER: Col = {
    static C: Column = Column(&["User"]);
    &C
};
static TRAINING: Col = {
    static C: Column = Column(&["Training"]);
    &C
};
static ASSISTED: Col = {
    static C: Column = Column(&["Assisted"]);
    &C
};

struct SheetRow(RunningSheetEntry);

impl FromRow for SheetRow {
    const COLUMNS: &'static [Col] = &[LOCATION, START, END, OBJECT, USER, TRAINING, ASSISTED];
    const REQUIRED: &'static [Col] = &[START, END, OBJECT, USER];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        let err = |col: &str, e: String| ParseError::at_line(row.line(), e).with_column(col);
        let start = value::parse_time(row.raw(START).unwrap_or_default())
            .map_err(|e| err("Start time", e))?;
        let end =
            value::parse_time(row.raw(END).unwrap_or_default()).map_err(|e| err("End time", e))?;
        let day = NaiveDate::MIN;
        Ok(SheetRow(RunningSheetEntry {
            location: row.opt_text(LOCATION).unwrap_or_default(),
            day,
            start: day.and_time(start),
            end: day.and_time(end),
            system_name: row.text(OBJECT)?,
            user_full_name: row.text(USER)?,
            training: row.opt_text(TRAINING),
            assisted: row.opt_text(ASSISTED),
            extra: row.extra(),
        }))
    }
}

/// Parses a `getrunningsheet` body for `day`. The header is separated by `", "` (PPMS-Q11);
/// an empty body is a day without bookings.
pub fn parse_running_sheet(
    body: &str,
    day: NaiveDate,
    policy: RowPolicy,
) -> Result<Parsed<RunningSheetEntry>, ParseError> {
    let rows = parse_table::<SheetRow>(body, policy)?;
    Ok(rows.map(|SheetRow(mut e)| {
        let (start, end) = (e.start.time(), e.end.time());
        e.day = day;
        e.start = day.and_time(start);
        e.end = if end == chrono::NaiveTime::MIN || end < start {
            day.succ_opt().unwrap_or(day).and_time(end)
        } else {
            day.and_time(end)
        };
        e
    }))
}

/// Maps running-sheet full names back to logins (PPMS-Q27).
///
/// Names are compared case-insensitively with runs of whitespace collapsed. Several accounts
/// can share a full name: [`FullNameIndex::resolve`] then returns all of them.
#[derive(Debug, Clone, Default)]
pub struct FullNameIndex {
    by_name: BTreeMap<String, Vec<String>>,
}

impl FullNameIndex {
    /// Indexes users by [`User::full_name`].
    pub fn new<'a>(users: impl IntoIterator<Item = &'a User>) -> Self {
        let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for u in users {
            by_name
                .entry(Self::key(&u.full_name()))
                .or_default()
                .push(u.login.clone());
        }
        Self { by_name }
    }

    fn key(name: &str) -> String {
        name.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }

    /// Every login whose full name is `full_name`.
    pub fn resolve(&self, full_name: &str) -> Resolution<String> {
        Resolution::from_matches(
            self.by_name
                .get(&Self::key(full_name))
                .cloned()
                .unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{RowPolicy, parse_booking_record, parse_table};

    pub(crate) const SHEET: &str = "Location, Start time, End time, Object, User, Training, Assisted\r\n\"Room B12\",\"08:00\",\"10:30\",\"Confocal 1\",\"Doe Jane\",\"\",\"\"\r\n\"Room B12\",\"22:00\",\"00:00\",\"Confocal 1\",\"Smith Anna\",\"\",\"\"\r\n";

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, 5, 10).unwrap()
    }

    #[test]
    fn ppms_q11_running_sheet_header_names_are_trimmed() {
        let p = parse_running_sheet(SHEET, day(), RowPolicy::Strict).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].system_name, "Confocal 1");
        assert_eq!(p[0].user_full_name, "Doe Jane");
        assert_eq!(p[0].start, day().and_hms_opt(8, 0, 0).unwrap());
        let glued = SHEET.replace(
            "Location, Start time, End time",
            "LocationStart timeEnd time",
        );
        let err = parse_running_sheet(&glued, day(), RowPolicy::Strict).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("Start time"));
    }

    #[test]
    fn ppms_q29_midnight_end_rolls_over() {
        let p = parse_running_sheet(SHEET, day(), RowPolicy::Strict).unwrap();
        let late = &p[1];
        assert_eq!(
            late.end,
            NaiveDate::from_ymd_opt(2030, 5, 11)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        );
        assert_eq!(late.duration(), Duration::hours(2));
        assert_eq!(p[0].duration(), Duration::minutes(150));
    }

    #[test]
    fn ppms_q25_absolute_times_from_receive_time() {
        let at = DateTime::parse_from_rfc3339("2030-01-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let next = parse_booking_record("asmith\r\n1500\r\n210035\r\n").unwrap();
        let next = UpcomingBooking::from_record(next, SystemId(17), at);
        assert_eq!(next.starts_at.to_rfc3339(), "2030-01-02T13:00:00+00:00");
        assert_eq!(next.minutes_until_start, 1500);
        let cur = parse_booking_record("jdoe\r\n45\r\n210034\r\n").unwrap();
        let cur = CurrentBooking::from_record(cur, SystemId(17), at);
        assert_eq!(cur.ends_at.to_rfc3339(), "2030-01-01T12:45:00+00:00");
    }

    #[test]
    fn ppms_q27_full_name_resolution_reports_ambiguity() {
        let body = "login,lname,fname,email,phone,bcode,affiliation,unitlogin,mustchpwd,mustchbcode,active\r\n\"jdoe\",\"Doe\",\"Jane\",\"\",\"\",\"\",\"\",\"g\",false,false,true\r\n\"jdoe2\",\"Doe\",\"Jane\",\"\",\"\",\"\",\"\",\"g\",false,false,true\r\n";
        let users = parse_table::<User>(body, RowPolicy::Strict).unwrap();
        let index = FullNameIndex::new(users.iter());
        let sheet = parse_running_sheet(SHEET, day(), RowPolicy::Strict).unwrap();
        assert_eq!(
            index.resolve(&sheet[0].user_full_name),
            Resolution::Ambiguous(vec!["jdoe".into(), "jdoe2".into()])
        );
        assert_eq!(
            index.resolve(&sheet[1].user_full_name),
            Resolution::NotFound
        );
        assert!(index.resolve("Nobody Here").candidates().is_empty());
    }
}
