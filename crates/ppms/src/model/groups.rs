//! Groups (units): `getgroup`, `newgroup`, `updgroup`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::parse::{Col, Column, Extra, FromRow, ParseError, RowRef};

/// A PPMS group (`getgroup`).
///
/// The data row has two more fields than the header (PPMS-Q14); current servers send 14
/// columns where the 2014 document lists 11 (PPMS-Q15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Group {
    /// `unitlogin`.
    pub unitlogin: String,
    /// `unitname`.
    pub unitname: Option<String>,
    /// `headname`.
    pub headname: Option<String>,
    /// `heademail`.
    pub heademail: Option<String>,
    /// `unitbcode` (the request parameter is spelt `unitBcode`).
    pub unitbcode: Option<String>,
    /// `department`.
    pub department: Option<String>,
    /// `institution`.
    pub institution: Option<String>,
    /// `address`: lines separated by `|`; see [`Group::address_lines`] (PPMS-Q45).
    pub address: Option<String>,
    /// `affiliation`.
    pub affiliation: Option<String>,
    /// `ext`: an external group.
    pub external: bool,
    /// `active`.
    pub active: bool,
    /// `admname`.
    pub admin_name: Option<String>,
    /// `admemail`.
    pub admin_email: Option<String>,
    /// `creationdate` (`YYYY/MM/DD`, may be empty).
    pub creation_date: Option<NaiveDate>,
    /// Columns this version of the crate does not know, and non-empty surplus fields.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Group {
    /// The address split into its lines at `|` (PPMS-Q45), trimmed, empty lines dropped.
    pub fn address_lines(&self) -> Vec<&str> {
        self.address
            .as_deref()
            .map(|a| {
                a.split('|')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

static UNITLOGIN: Col = {
    static C: Column = Column(&["unitlogin"]);
    &C
};
static UNITNAME: Col = {
    static C: Column = Column(&["unitname"]);
    &C
};
static HEADNAME: Col = {
    static C: Column = Column(&["headname"]);
    &C
};
static HEADEMAIL: Col = {
    static C: Column = Column(&["heademail"]);
    &C
};
static UNITBCODE: Col = {
    static C: Column = Column(&["unitbcode"]);
    &C
};
static DEPARTMENT: Col = {
    static C: Column = Column(&["department"]);
    &C
};
static INSTITUTION: Col = {
    static C: Column = Column(&["institution"]);
    &C
};
static ADDRESS: Col = {
    static C: Column = Column(&["address"]);
    &C
};
static AFFILIATION: Col = {
    static C: Column = Column(&["affiliation"]);
    &C
};
static EXT: Col = {
    static C: Column = Column(&["ext"]);
    &C
};
static ACTIVE: Col = {
    static C: Column = Column(&["active"]);
    &C
};
static ADMNAME: Col = {
    static C: Column = Column(&["admname"]);
    &C
};
static ADMEMAIL: Col = {
    static C: Column = Column(&["admemail"]);
    &C
};
static CREATIONDATE: Col = {
    static C: Column = Column(&["creationdate"]);
    &C
};

impl FromRow for Group {
    const COLUMNS: &'static [Col] = &[
        UNITLOGIN,
        UNITNAME,
        HEADNAME,
        HEADEMAIL,
        UNITBCODE,
        DEPARTMENT,
        INSTITUTION,
        ADDRESS,
        AFFILIATION,
        EXT,
        ACTIVE,
        ADMNAME,
        ADMEMAIL,
        CREATIONDATE,
    ];
    const REQUIRED: &'static [Col] = &[UNITLOGIN];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            unitlogin: row.text(UNITLOGIN)?,
            unitname: row.opt_text(UNITNAME),
            headname: row.opt_text(HEADNAME),
            heademail: row.opt_text(HEADEMAIL),
            unitbcode: row.opt_text(UNITBCODE),
            department: row.opt_text(DEPARTMENT),
            institution: row.opt_text(INSTITUTION),
            address: row.opt_text(ADDRESS),
            affiliation: row.opt_text(AFFILIATION),
            external: row.opt_bool(EXT)?.unwrap_or(false),
            active: row.opt_bool(ACTIVE)?.unwrap_or(true),
            admin_name: row.opt_text(ADMNAME),
            admin_email: row.opt_text(ADMEMAIL),
            creation_date: row.date(CREATIONDATE)?,
            extra: row.extra(),
        })
    }
}

/// The fields of `newgroup` / `updgroup`. Only set fields are sent.
///
/// Both actions are upserts on the server (PPMS-Q35).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupParams {
    /// `unitlogin` (mandatory).
    pub unitlogin: String,
    /// `unitname`.
    pub unitname: Option<String>,
    /// `headname`; the document advises "last-name, first-name".
    pub headname: Option<String>,
    /// `heademail`.
    pub heademail: Option<String>,
    /// `unitBcode` (note the capital B on the wire).
    pub unitbcode: Option<String>,
    /// `department`.
    pub department: Option<String>,
    /// `institution`.
    pub institution: Option<String>,
    /// `address`, lines separated by `|`.
    pub address: Option<String>,
    /// `ext`: an external group.
    pub external: Option<bool>,
    /// `affiliation`.
    pub affiliation: Option<String>,
    /// `active` (sent by `updgroup` only).
    pub active: Option<bool>,
}

impl GroupParams {
    /// Parameters naming only the group.
    pub fn new(unitlogin: impl Into<String>) -> Self {
        Self {
            unitlogin: unitlogin.into(),
            ..Self::default()
        }
    }

    pub(crate) fn fields(&self, with_active: bool) -> Vec<(&'static str, String)> {
        let mut out = vec![("unitlogin", self.unitlogin.clone())];
        let texts = [
            ("unitname", &self.unitname),
            ("headname", &self.headname),
            ("heademail", &self.heademail),
            ("unitBcode", &self.unitbcode),
            ("department", &self.department),
            ("institution", &self.institution),
            ("address", &self.address),
            ("affiliation", &self.affiliation),
        ];
        out.extend(
            texts
                .into_iter()
                .filter_map(|(k, v)| v.clone().map(|v| (k, v))),
        );
        if let Some(ext) = self.external {
            out.push(("ext", ext.to_string()));
        }
        if let (true, Some(active)) = (with_active, self.active) {
            out.push(("active", active.to_string()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{RowPolicy, parse_table};

    pub(crate) const GETGROUP: &str = "unitlogin,unitname,headname,heademail,unitbcode,department,institution,address,affiliation,ext,active,admname,admemail,creationdate\r\n\"doe_lab\",\"Doe Lab\",\"Jane Doe\",\"jane.doe@example.org\",\"DOE-001\",\"Cell Biology\",\"Example University\",\"Building 4|Main Street 1\",\"\",false,true,\"\",\"\",\"2021/03/15\",\"\",\r\n";

    #[test]
    fn ppms_q14_getgroup_extra_trailing_fields() {
        let p = parse_table::<Group>(GETGROUP, RowPolicy::Strict).unwrap();
        let g = &p[0];
        assert_eq!(g.creation_date, NaiveDate::from_ymd_opt(2021, 3, 15));
        assert!(g.extra.is_empty());
        assert!(p.warnings.is_empty());
        let short = GETGROUP.replace(",\"2021/03/15\",\"\",\r\n", "\r\n");
        let p = parse_table::<Group>(&short, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].creation_date, None);
        assert_eq!(p[0].admin_email, None);
    }

    #[test]
    fn ppms_q15_unknown_column_kept_and_missing_column_tolerated() {
        let body = GETGROUP
            .replace("creationdate\r\n", "creationdate,foo\r\n")
            .replace("\"2021/03/15\",\"\",\r\n", "\"2021/03/15\",\"bar\"\r\n");
        let p = parse_table::<Group>(&body, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].extra.get("foo").as_deref(), Some("bar"));
        let body = GETGROUP.replace(",creationdate\r\n", "\r\n");
        let p = parse_table::<Group>(&body, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].unitlogin, "doe_lab");
        assert_eq!(p[0].creation_date, None);
    }

    #[test]
    fn ppms_q45_address_lines_split_on_pipe() {
        let p = parse_table::<Group>(GETGROUP, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].address_lines(), vec!["Building 4", "Main Street 1"]);
    }

    #[test]
    fn group_params_use_the_unitbcode_wire_spelling() {
        let mut p = GroupParams::new("doe_lab");
        p.unitbcode = Some("X".into());
        p.active = Some(true);
        assert!(p.fields(false).contains(&("unitBcode", "X".to_owned())));
        assert!(!p.fields(false).iter().any(|(k, _)| *k == "active"));
        assert!(p.fields(true).iter().any(|(k, _)| *k == "active"));
    }
}
