//! Experience: `getuserexp`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::SystemId;
use crate::parse::{Col, Column, Extra, FromRow, ParseError, RowRef};

/// A user's experience on a system (`getuserexp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Experience {
    /// `login`.
    pub login: String,
    /// `id`: the system.
    pub system_id: SystemId,
    /// `booked_hours` (decimal, although only whole hours have been seen).
    pub booked_hours: Decimal,
    /// `used_hours`.
    pub used_hours: Decimal,
    /// `last_res`: `YYYY/MM/DD` or `n/a` (PPMS-Q20).
    pub last_reservation: Option<NaiveDate>,
    /// `last_train`: `YYYY/MM/DD` or `n/a`.
    pub last_training: Option<NaiveDate>,
    /// Columns this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

static LOGIN: Col = {
    static C: Column = Column(&["login"]);
    &C
};
static ID: Col = {
    static C: Column = Column(&["id"]);
    &C
};
static BOOKED: Col = {
    static C: Column = Column(&["booked_hours", "booked hours"]);
    &C
};
static USED: Col = {
    static C: Column = Column(&["used_hours", "used hours"]);
    &C
};
static LAST_RES: Col = {
    static C: Column = Column(&["last_res"]);
    &C
};
static LAST_TRAIN: Col = {
    static C: Column = Column(&["last_train"]);
    &C
};

impl FromRow for Experience {
    const COLUMNS: &'static [Col] = &[LOGIN, ID, BOOKED, USED, LAST_RES, LAST_TRAIN];
    const REQUIRED: &'static [Col] = &[LOGIN, ID];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            login: row.text(LOGIN)?,
            system_id: SystemId(row.u32(ID)?),
            booked_hours: row.opt_decimal(BOOKED)?.unwrap_or_default(),
            used_hours: row.opt_decimal(USED)?.unwrap_or_default(),
            last_reservation: row.date(LAST_RES)?,
            last_training: row.date(LAST_TRAIN)?,
            extra: row.extra(),
        })
    }
}

impl Experience {
    /// Parses a `getuserexp` body sent with `format=json`: an array, even for one record, whose
    /// keys are `booked hours` / `used hours` (PPMS-Q23). The result equals what the CSV body
    /// gives. A body that is not JSON is an error here.
    pub fn from_json_body(body: &str) -> Result<Vec<Self>, ParseError> {
        crate::parse::parse_json_rows(body)?
            .ok_or_else(|| ParseError::new("getuserexp body is not JSON"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{RowPolicy, parse_table};

    const CSV: &str = "login,id,booked_hours,used_hours,last_res,last_train\r\n\"jdoe\",17,12,10,2023/11/02,n/a\r\n\"asmith\",17,0,0,n/a,n/a\r\n";
    const JSON: &str = r#"[{"login":"jdoe","id":17,"booked hours":12,"used hours":10,"last_res":"2023/11/02","last_train":"n/a"},{"login":"asmith","id":"17","booked hours":"0","used hours":0,"last_res":"n/a","last_train":"n/a"}]"#;

    #[test]
    fn ppms_q20_getuserexp_dates_and_na() {
        let p = parse_table::<Experience>(CSV, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].last_reservation, NaiveDate::from_ymd_opt(2023, 11, 2));
        assert_eq!(p[0].last_training, None);
        assert_eq!(p[0].booked_hours, Decimal::from(12));
    }

    #[test]
    fn ppms_q23_json_and_csv_give_the_same_experience() {
        let csv = parse_table::<Experience>(CSV, RowPolicy::Strict)
            .unwrap()
            .into_items();
        let json = Experience::from_json_body(JSON).unwrap();
        assert_eq!(csv, json);
        assert!(Experience::from_json_body("not json").is_err());
    }
}
