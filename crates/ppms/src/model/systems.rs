//! Systems and rights: `getsystems`, `getsysrights`, `getuserrights`, `setright`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Resolution, SystemId};
use crate::parse::{Col, Column, Extra, FromRow, ParseError, RightLine, RowRef, value};

/// A system (instrument) from `getsystems`. Booleans arrive capitalised (PPMS-Q13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct System {
    /// `Core facility ref`.
    pub core_facility_ref: u32,
    /// `System id`; rows where it is not a number are skipped with a warning (PPMS-Q44).
    pub system_id: SystemId,
    /// `Type`.
    pub system_type: String,
    /// `Name`.
    pub name: String,
    /// `Localisation` (roughly, the room).
    pub localisation: String,
    /// `Active`.
    pub active: bool,
    /// `Schedules`.
    pub schedules: bool,
    /// `Stats`.
    pub stats: bool,
    /// `Bookable`.
    pub bookable: bool,
    /// `Autonomy Required`.
    pub autonomy_required: bool,
    /// `Autonomy Required After Hours`.
    pub autonomy_required_after_hours: bool,
    /// Columns this version of the crate does not know.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

static CORE: Col = {
    static C: Column = Column(&["Core facility ref", "Core facility ref."]);
    &C
};
static SYSTEM_ID: Col = {
    static C: Column = Column(&["System id"]);
    &C
};
static TYPE: Col = {
    static C: Column = Column(&["Type"]);
    &C
};
static NAME: Col = {
    static C: Column = Column(&["Name"]);
    &C
};
static LOCALISATION: Col = {
    static C: Column = Column(&["Localisation", "Location"]);
    &C
};
static ACTIVE: Col = {
    static C: Column = Column(&["Active"]);
    &C
};
static SCHEDULES: Col = {
    static C: Column = Column(&["Schedules"]);
    &C
};
static STATS: Col = {
    static C: Column = Column(&["Stats"]);
    &C
};
static BOOKABLE: Col = {
    static C: Column = Column(&["Bookable"]);
    &C
};
static AUTONOMY: Col = {
    static C: Column = Column(&["Autonomy Required"]);
    &C
};
static AUTONOMY_AH: Col = {
    static C: Column = Column(&["Autonomy Required After Hours"]);
    &C
};

impl FromRow for System {
    const COLUMNS: &'static [Col] = &[
        CORE,
        SYSTEM_ID,
        TYPE,
        NAME,
        LOCALISATION,
        ACTIVE,
        SCHEDULES,
        STATS,
        BOOKABLE,
        AUTONOMY,
        AUTONOMY_AH,
    ];
    const REQUIRED: &'static [Col] = &[SYSTEM_ID, NAME];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        let flag = |c| row.opt_bool(c).map(Option::unwrap_or_default);
        Ok(Self {
            core_facility_ref: row.opt_u32(CORE)?.unwrap_or_default(),
            system_id: SystemId(row.u32(SYSTEM_ID)?),
            system_type: row.opt_text(TYPE).unwrap_or_default(),
            name: row.text(NAME)?,
            localisation: row.opt_text(LOCALISATION).unwrap_or_default(),
            active: flag(ACTIVE)?,
            schedules: flag(SCHEDULES)?,
            stats: flag(STATS)?,
            bookable: flag(BOOKABLE)?,
            autonomy_required: flag(AUTONOMY)?,
            autonomy_required_after_hours: flag(AUTONOMY_AH)?,
            extra: row.extra(),
        })
    }
}

/// Finds the systems whose name is exactly `name` (after trimming), optionally only in one
/// `Localisation` (PPMS-Q28). `Confocal 1` never matches `Confocal 10`.
pub fn resolve_system(
    systems: &[System],
    name: &str,
    localisation: Option<&str>,
) -> Resolution<SystemId> {
    let name = name.trim();
    Resolution::from_matches(
        systems
            .iter()
            .filter(|s| s.name.trim() == name)
            .filter(|s| localisation.is_none_or(|l| s.localisation.trim() == l.trim()))
            .map(|s| s.system_id)
            .collect(),
    )
}

/// Finds the systems whose `Localisation` contains `location_contains` and whose name
/// contains `name_contains`, both compared case-insensitively after trimming; an empty (or
/// blank) needle does not filter. In list order.
///
/// This is the substring search of pyppms' `get_systems_matching`, for people looking for
/// instruments; to map the running sheet's exact names to ids use [`resolve_system`], where
/// `Confocal 1` never matches `Confocal 10` (PPMS-Q28).
pub fn systems_matching<'a>(
    systems: &'a [System],
    location_contains: &str,
    name_contains: &str,
) -> Vec<&'a System> {
    let location = location_contains.trim().to_lowercase();
    let name = name_contains.trim().to_lowercase();
    systems
        .iter()
        .filter(|s| s.localisation.to_lowercase().contains(&location))
        .filter(|s| s.name.to_lowercase().contains(&name))
        .collect()
}

/// A right as read from the server. Unknown letters are kept (workspace rule for enums); it is
/// its own enum rather than a `wire_enum!` because rights are ranked
/// ([`SystemRightsExt::effective_right`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Right {
    /// `A`: autonomous (the default, as for `setright`).
    #[default]
    Autonomous,
    /// `N`: novice.
    Novice,
    /// `S`: superuser.
    Superuser,
    /// `D`: deactivated.
    Deactivated,
    /// Any other letter, as sent.
    Unknown(String),
}

impl Right {
    /// Reads a right letter (case-insensitive).
    pub fn from_letter(letter: &str) -> Self {
        match letter.trim().to_ascii_uppercase().as_str() {
            "A" => Self::Autonomous,
            "N" => Self::Novice,
            "S" => Self::Superuser,
            "D" => Self::Deactivated,
            _ => Self::Unknown(letter.trim().to_owned()),
        }
    }

    /// The wire letter (`A`, `N`, `S`, `D`, or the unknown text as sent); see
    /// [`Right::label`] for people.
    pub fn as_str(&self) -> &str {
        self.letter()
    }

    /// The wire letter (`A`, `N`, `S`, `D`, or the unknown text as sent).
    pub fn letter(&self) -> &str {
        match self {
            Self::Autonomous => "A",
            Self::Novice => "N",
            Self::Superuser => "S",
            Self::Deactivated => "D",
            Self::Unknown(s) => s,
        }
    }

    /// An English label for people: `Autonomous`, `Novice`, `Superuser`, `Deactivated`, or the
    /// letter as sent for an unknown one.
    pub fn label(&self) -> &str {
        match self {
            Self::Autonomous => "Autonomous",
            Self::Novice => "Novice",
            Self::Superuser => "Superuser",
            Self::Deactivated => "Deactivated",
            Self::Unknown(s) => s,
        }
    }

    /// Precedence used by [`SystemRightsExt::effective_right`]: S > A > N > D > unknown
    /// (an inference; the reference gives no official order).
    fn rank(&self) -> u8 {
        match self {
            Self::Superuser => 4,
            Self::Autonomous => 3,
            Self::Novice => 2,
            Self::Deactivated => 1,
            Self::Unknown(_) => 0,
        }
    }
}

/// A right that can be written with `setright`: exactly the four valid letters (PPMS-Q31; the
/// server would answer `done` to any letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RightType {
    /// `A`: autonomous (the server's default).
    #[default]
    Autonomous,
    /// `N`: novice.
    Novice,
    /// `S`: superuser.
    Superuser,
    /// `D`: deactivated.
    Deactivated,
}

impl std::str::FromStr for Right {
    type Err = std::convert::Infallible;
    /// Reads a letter as [`Right::from_letter`] does; unknown letters are kept.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_letter(s))
    }
}

impl fmt::Display for Right {
    /// The wire letter; see [`Right::label`] for people.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

impl RightType {
    /// An English label for people (`Autonomous`, `Novice`, `Superuser`, `Deactivated`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Autonomous => "Autonomous",
            Self::Novice => "Novice",
            Self::Superuser => "Superuser",
            Self::Deactivated => "Deactivated",
        }
    }

    /// The wire letter.
    pub fn letter(self) -> &'static str {
        match self {
            Self::Autonomous => "A",
            Self::Novice => "N",
            Self::Superuser => "S",
            Self::Deactivated => "D",
        }
    }
}

impl fmt::Display for RightType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

impl From<RightType> for Right {
    fn from(r: RightType) -> Self {
        Right::from_letter(r.letter())
    }
}

/// One line of `getsysrights`: a user's right on the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct SystemRight {
    /// The right.
    pub right: Right,
    /// The user's login.
    pub login: String,
}

impl SystemRight {
    pub(crate) fn from_line(line: RightLine) -> Self {
        Self {
            right: Right::from_letter(&line.letter),
            login: value::text(&line.value),
        }
    }
}

/// One line of `getuserrights`: the user's right on a system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct UserRight {
    /// The right.
    pub right: Right,
    /// The system.
    pub system_id: SystemId,
}

impl UserRight {
    pub(crate) fn from_line(line: RightLine) -> Result<Self, ParseError> {
        let id = value::parse_u32(&line.value).map_err(|e| ParseError::at_line(line.line, e))?;
        Ok(Self {
            right: Right::from_letter(&line.letter),
            system_id: SystemId(id),
        })
    }
}

/// Helpers over the lines of `getsysrights`, which may list one login several times and
/// includes deactivated rights (PPMS-Q32).
pub trait SystemRightsExt {
    /// Every right of every login, in body order per login.
    fn by_login(&self) -> BTreeMap<&str, Vec<&Right>>;
    /// Deduplicated logins, excluding logins whose **only** rights are `D`.
    fn active_logins(&self) -> BTreeSet<&str>;
    /// The strongest right of a login, with the precedence S > A > N > D (an inference).
    fn effective_right(&self, login: &str) -> Option<&Right>;
}

impl SystemRightsExt for [SystemRight] {
    fn by_login(&self) -> BTreeMap<&str, Vec<&Right>> {
        let mut out: BTreeMap<&str, Vec<&Right>> = BTreeMap::new();
        for r in self {
            out.entry(r.login.as_str()).or_default().push(&r.right);
        }
        out
    }

    fn active_logins(&self) -> BTreeSet<&str> {
        self.iter()
            .filter(|r| r.right != Right::Deactivated)
            .map(|r| r.login.as_str())
            .collect()
    }

    fn effective_right(&self, login: &str) -> Option<&Right> {
        self.iter()
            .filter(|r| r.login == login)
            .map(|r| &r.right)
            .max_by_key(|r| r.rank())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{RowPolicy, parse_rights, parse_table};

    pub(crate) const GETSYSTEMS: &str = "Core facility ref,System id,Type,Name,Localisation,Active,Schedules,Stats,Bookable,Autonomy Required,Autonomy Required After Hours\r\n3,17,\"Confocal Microscope\",\"Confocal 1\",\"Room B12\",True,True,True,True,False,False\r\n3,18,\"Cell Sorter\",\"Sorter 2\",\"Room B14\",False,True,False,True,True,True\r\n";
    const GETSYSRIGHTS: &str =
        "S:facility-admin\r\nA:jdoe\r\nN:asmith\r\nA:bwong\r\nD:cold-user\r\nS:bwong\r\n";

    #[test]
    fn parses_the_illustrative_getsystems() {
        let p = parse_table::<System>(GETSYSTEMS, RowPolicy::Strict).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].system_id, SystemId(17));
        assert!(p[0].active && !p[1].active);
        assert!(p[1].autonomy_required_after_hours);
    }

    #[test]
    fn ppms_q07_line_endings_do_not_change_the_result() {
        let crlf = parse_table::<System>(GETSYSTEMS, RowPolicy::Strict).unwrap();
        let lf = parse_table::<System>(&GETSYSTEMS.replace("\r\n", "\n"), RowPolicy::Strict);
        let spaced = parse_table::<System>(&GETSYSTEMS.replace("\r\n", " \r\n"), RowPolicy::Strict);
        assert_eq!(lf.unwrap(), crlf);
        assert_eq!(spaced.unwrap(), crlf);
    }

    #[test]
    fn ppms_q12_comma_in_quoted_localisation_keeps_columns() {
        let body = GETSYSTEMS.replace("\"Room B12\"", "\"Room B12, east wing\"");
        let p = parse_table::<System>(&body, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].localisation, "Room B12, east wing");
        assert!(p[0].active);
    }

    #[test]
    fn ppms_q22_tab_after_system_id() {
        let body = GETSYSTEMS.replace("3,17,", "3,17\t,");
        let p = parse_table::<System>(&body, RowPolicy::Strict).unwrap();
        assert_eq!(p[0].system_id, SystemId(17));
    }

    #[test]
    fn ppms_q44_row_with_bad_id_is_skipped_with_a_warning() {
        let body = GETSYSTEMS.replace("3,18,", "3,not-a-number,");
        let p = parse_table::<System>(&body, RowPolicy::SkipAndWarn).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, 3);
        assert!(parse_table::<System>(&body, RowPolicy::Strict).is_err());
    }

    #[test]
    fn ppms_q28_exact_system_name_match() {
        let body = GETSYSTEMS.replace("\"Sorter 2\"", "\"Confocal 10\"");
        let systems = parse_table::<System>(&body, RowPolicy::Strict).unwrap();
        assert_eq!(
            resolve_system(&systems, "Confocal 1", None),
            Resolution::Unique(SystemId(17))
        );
        assert_eq!(
            resolve_system(&systems, "Confocal 1", Some("Room B14")),
            Resolution::NotFound
        );
        let twice = body.replace("\"Confocal 10\"", "\"Confocal 1\"");
        let systems = parse_table::<System>(&twice, RowPolicy::Strict).unwrap();
        assert_eq!(
            resolve_system(&systems, "Confocal 1", None),
            Resolution::Ambiguous(vec![SystemId(17), SystemId(18)])
        );
    }

    #[test]
    fn ppms_q31_right_type_has_exactly_four_letters() {
        let all = [
            RightType::Autonomous,
            RightType::Novice,
            RightType::Superuser,
            RightType::Deactivated,
        ];
        let letters: Vec<_> = all.iter().map(|r| r.letter()).collect();
        assert_eq!(letters, ["A", "N", "S", "D"]);
        assert_eq!(RightType::default().letter(), "A");
    }

    #[test]
    fn ppms_q32_duplicates_and_deactivated_rights() {
        let rights: Vec<SystemRight> = parse_rights(GETSYSRIGHTS)
            .unwrap()
            .into_iter()
            .map(SystemRight::from_line)
            .collect();
        assert_eq!(rights.len(), 6);
        let active: Vec<_> = rights.active_logins().into_iter().collect();
        assert_eq!(active, ["asmith", "bwong", "facility-admin", "jdoe"]);
        assert_eq!(rights.effective_right("bwong"), Some(&Right::Superuser));
        assert_eq!(
            rights.effective_right("cold-user"),
            Some(&Right::Deactivated)
        );
        assert_eq!(rights.by_login()["bwong"].len(), 2);
    }

    #[test]
    fn unknown_right_letters_are_kept() {
        assert_eq!(Right::from_letter("Z"), Right::Unknown("Z".into()));
        assert_eq!(Right::from_letter("a"), Right::Autonomous);
        assert_eq!(Right::from_letter("Z").label(), "Z");
        assert_eq!(Right::from_letter("S").label(), "Superuser");
        assert_eq!(Right::from_letter("n").to_string(), "N");
        for r in ["A", "N", "S", "D", "Q"] {
            assert_eq!(r.parse::<Right>().unwrap().as_str(), r, "round trip");
        }
        assert_eq!(RightType::Deactivated.label(), "Deactivated");
    }

    #[test]
    fn systems_matching_is_a_case_insensitive_substring_search() {
        let body = GETSYSTEMS.replace("\"Sorter 2\"", "\"Confocal 10\"");
        let systems = parse_table::<System>(&body, RowPolicy::Strict).unwrap();
        let ids = |v: Vec<&System>| v.iter().map(|s| s.system_id.0).collect::<Vec<_>>();
        // unlike resolve_system, "confocal 1" finds "Confocal 10" too
        assert_eq!(ids(systems_matching(&systems, "", "confocal 1")), [17, 18]);
        assert_eq!(ids(systems_matching(&systems, "b14", " CONFOCAL ")), [18]);
        assert_eq!(ids(systems_matching(&systems, "room b", "")), [17, 18]);
        assert_eq!(ids(systems_matching(&systems, "", "")), [17, 18]);
        assert!(systems_matching(&systems, "room c", "").is_empty());
        assert!(systems_matching(&systems, "", "sorter").is_empty());
    }
}
#[cfg(test)]
mod column_identity {
    use super::*;

    #[test]
    fn static_columns_keep_their_identity_for_fast_lookups() {
        let listed = <System as FromRow>::COLUMNS[1];
        assert!(std::ptr::eq(listed, SYSTEM_ID));
    }
}
