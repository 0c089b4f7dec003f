//! Projects and billing codes: `getprojects`, `getbcodes`. Reconstructed shapes, no recording.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ProjectId;
use crate::parse::{Col, Column, Extra, FromRow, ParseError, RowRef, value};

/// A project (`getprojects`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Project {
    /// `Core facility ref.`
    pub core_facility_ref: Option<u32>,
    /// `Project name`.
    pub name: String,
    /// `Phase`.
    pub phase: Option<String>,
    /// `Active`.
    pub active: bool,
    /// `Bcode`.
    pub bcode: Option<String>,
    /// `Project ref.`: the project id.
    pub project_ref: ProjectId,
    /// `Affiliation`.
    pub affiliation: Option<String>,
    /// `Project Type`.
    pub project_type: Option<String>,
    /// `Project Group`.
    pub project_group: Option<String>,
    /// `Descr`.
    pub description: Option<String>,
    /// Columns this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

static CORE: Col = {
    static C: Column = Column(&["Core facility ref.", "Core facility ref"]);
    &C
};
static NAME: Col = {
    static C: Column = Column(&["Project name", "Name"]);
    &C
};
static PHASE: Col = {
    static C: Column = Column(&["Phase"]);
    &C
};
static ACTIVE: Col = {
    static C: Column = Column(&["Active"]);
    &C
};
static BCODE: Col = {
    static C: Column = Column(&["Bcode", "Account number"]);
    &C
};
static REF: Col = {
    static C: Column = Column(&["Project ref.", "Project ref", "Project id", "projectid"]);
    &C
};
static AFFILIATION: Col = {
    static C: Column = Column(&["Affiliation"]);
    &C
};
static PTYPE: Col = {
    static C: Column = Column(&["Project Type"]);
    &C
};
static PGROUP: Col = {
    static C: Column = Column(&["Project Group"]);
    &C
};
static DESCR: Col = {
    static C: Column = Column(&["Descr", "Description"]);
    &C
};

impl FromRow for Project {
    const COLUMNS: &'static [Col] = &[
        CORE,
        NAME,
        PHASE,
        ACTIVE,
        BCODE,
        REF,
        AFFILIATION,
        PTYPE,
        PGROUP,
        DESCR,
    ];
    const REQUIRED: &'static [Col] = &[REF];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            core_facility_ref: row.opt_u32(CORE)?,
            name: row.opt_text(NAME).unwrap_or_default(),
            phase: row.opt_text(PHASE),
            active: row.opt_bool(ACTIVE)?.unwrap_or(true),
            bcode: row.opt_text(BCODE),
            project_ref: ProjectId(row.u32(REF)?),
            affiliation: row.opt_text(AFFILIATION),
            project_type: row.opt_text(PTYPE),
            project_group: row.opt_text(PGROUP),
            description: row.opt_text(DESCR),
            extra: row.extra(),
        })
    }
}

/// A billing code row (`getbcodes`). Column names differ between sources (PPMS-Q15), so every
/// column is matched with aliases and all of them are text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct BillingCode {
    /// `User`.
    pub user: Option<String>,
    /// `Group`.
    pub group: Option<String>,
    /// `Project`.
    pub project: Option<String>,
    /// `Bcode` (the account number); split codes look like `SPLIT|50|ACC-A|50|ACC-B`, see
    /// [`parse_split_code`].
    pub bcode: Option<String>,
    /// `Subsidy`.
    pub subsidy: Option<String>,
    /// `Charges`.
    pub charges: Option<String>,
    /// Columns this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

static B_USER: Col = {
    static C: Column = Column(&["User"]);
    &C
};
static B_GROUP: Col = {
    static C: Column = Column(&["Group"]);
    &C
};
static B_PROJECT: Col = {
    static C: Column = Column(&["Project"]);
    &C
};
static B_BCODE: Col = {
    static C: Column = Column(&["Bcode", "Account number", "Account"]);
    &C
};
static B_SUBSIDY: Col = {
    static C: Column = Column(&["Subsidy"]);
    &C
};
static B_CHARGES: Col = {
    static C: Column = Column(&["Charges"]);
    &C
};

impl FromRow for BillingCode {
    const COLUMNS: &'static [Col] = &[B_USER, B_GROUP, B_PROJECT, B_BCODE, B_SUBSIDY, B_CHARGES];
    const REQUIRED: &'static [Col] = &[B_BCODE];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            user: row.opt_text(B_USER),
            group: row.opt_text(B_GROUP),
            project: row.opt_text(B_PROJECT),
            bcode: row.opt_text(B_BCODE),
            subsidy: row.opt_text(B_SUBSIDY),
            charges: row.opt_text(B_CHARGES),
            extra: row.extra(),
        })
    }
}

/// Splits an account code of the form `SPLIT|<pct>|<account>|<pct>|<account>...` into
/// `(percent, account)` pairs (PPMS-Q45). Returns `None` for a code that is not a well-formed
/// split code.
pub fn parse_split_code(raw: &str) -> Option<Vec<(Decimal, String)>> {
    let mut parts = raw.trim().split('|').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("split") {
        return None;
    }
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return None;
    }
    rest.chunks(2)
        .map(|pair| match pair {
            [pct, account] if !account.is_empty() => value::parse_decimal(pct)
                .ok()
                .map(|p| (p, (*account).to_owned())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{RowPolicy, parse_table};

    #[test]
    fn ppms_q45_split_codes_give_pairs() {
        let pairs = parse_split_code("SPLIT|50|ACC-A|50|ACC-B").unwrap();
        assert_eq!(
            pairs,
            vec![
                (Decimal::from(50), "ACC-A".into()),
                (Decimal::from(50), "ACC-B".into())
            ]
        );
        assert_eq!(parse_split_code("ACC-A"), None);
        assert_eq!(parse_split_code("SPLIT|50"), None);
        assert_eq!(parse_split_code("SPLIT|x|ACC"), None);
    }

    #[test]
    fn ppms_q11_padded_bcode_headers_are_trimmed() {
        let body = "User, Group, Project, Bcode, Subsidy, Charges\r\n\"jdoe\", \"doe_lab\", \"P1\", \"ACC-1\", \"0\", \"yes\"\r\n";
        let p = parse_table::<BillingCode>(body, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].bcode.as_deref(), Some("ACC-1"));
        assert_eq!(p[0].group.as_deref(), Some("doe_lab"));
    }

    #[test]
    fn projects_map_by_name_with_dotted_headers() {
        let body = "Core facility ref.,Project name,Phase,Active,Bcode,Project ref.,Affiliation,Project Type,Project Group,Descr\r\n3,\"Imaging study\",\"Running\",True,\"ACC-1\",42,\"Academic\",\"Research\",\"doe_lab\",\"A, b\"\r\n";
        let p = parse_table::<Project>(body, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].project_ref, ProjectId(42));
        assert_eq!(p[0].description.as_deref(), Some("A, b"));
        assert_eq!(p[0].core_facility_ref, Some(3));
    }
}
