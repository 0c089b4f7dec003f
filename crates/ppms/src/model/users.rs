//! Users: `getuser`, `getusers`, `newuser`, `upduser`, `auth`.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::parse::{Col, Column, Extra, FromRow, ParseError, RowRef};

/// The `active` tri-state filter of `getusers`, `getgroups` and `getgroupusers` (PPMS-Q37).
///
/// `Inactive` returns **only** inactive entries; `All` (the default) sends no parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActiveFilter {
    /// Active and inactive entries: no `active` parameter is sent.
    #[default]
    All,
    /// `active=true`: active entries only.
    Active,
    /// `active=false`: inactive entries only.
    Inactive,
}

impl ActiveFilter {
    /// An English label for people (`All`, `Active`, `Inactive`).
    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }

    /// The wire value of the `active` parameter, if one is sent.
    pub fn wire_value(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            Self::Active => Some("true"),
            Self::Inactive => Some("false"),
        }
    }
}

/// A PPMS user (`getuser`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct User {
    /// `login`.
    pub login: String,
    /// `lname`.
    pub last_name: String,
    /// `fname`.
    pub first_name: String,
    /// `email`; may be empty.
    pub email: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `bcode`: the default account number.
    pub bcode: Option<String>,
    /// `affiliation`.
    pub affiliation: Option<String>,
    /// `unitlogin`: the user's group.
    pub unitlogin: String,
    /// `mustchpwd`.
    pub must_change_password: bool,
    /// `mustchbcode`.
    pub must_change_bcode: bool,
    /// `active`.
    pub active: bool,
    /// Columns this version of the crate does not know (PPMS-Q15).
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl User {
    /// Parses a `getuser` body sent with `format=json` (an object). A body that is not JSON,
    /// such as the answer for an unknown login or a bare `"\r\n"`, gives `None` (PPMS-Q23).
    pub fn from_json_body(body: &str) -> Result<Option<Self>, ParseError> {
        Ok(crate::parse::parse_json_rows::<Self>(body)?.and_then(|v| v.into_iter().next()))
    }

    /// `"<lname> <fname>"`, the form the running sheet uses in its `User` column (PPMS-Q27).
    pub fn full_name(&self) -> String {
        format!("{} {}", self.last_name, self.first_name)
    }
}

static LOGIN: Col = {
    static C: Column = Column(&["login"]);
    &C
};
static LNAME: Col = {
    static C: Column = Column(&["lname"]);
    &C
};
static FNAME: Col = {
    static C: Column = Column(&["fname"]);
    &C
};
static EMAIL: Col = {
    static C: Column = Column(&["email"]);
    &C
};
static PHONE: Col = {
    static C: Column = Column(&["phone"]);
    &C
};
static BCODE: Col = {
    static C: Column = Column(&["bcode"]);
    &C
};
static AFFILIATION: Col = {
    static C: Column = Column(&["affiliation"]);
    &C
};
static UNITLOGIN: Col = {
    static C: Column = Column(&["unitlogin"]);
    &C
};
static MUSTCHPWD: Col = {
    static C: Column = Column(&["mustchpwd"]);
    &C
};
static MUSTCHBCODE: Col = {
    static C: Column = Column(&["mustchbcode"]);
    &C
};
static ACTIVE: Col = {
    static C: Column = Column(&["active"]);
    &C
};

impl FromRow for User {
    const COLUMNS: &'static [Col] = &[
        LOGIN,
        LNAME,
        FNAME,
        EMAIL,
        PHONE,
        BCODE,
        AFFILIATION,
        UNITLOGIN,
        MUSTCHPWD,
        MUSTCHBCODE,
        ACTIVE,
    ];
    const REQUIRED: &'static [Col] = &[LOGIN];

    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
        let login = row.text(LOGIN)?;
        if login.is_empty() {
            return Err(ParseError::at_line(row.line(), "empty login").with_column("login"));
        }
        Ok(Self {
            login,
            last_name: row.opt_text(LNAME).unwrap_or_default(),
            first_name: row.opt_text(FNAME).unwrap_or_default(),
            email: row.opt_text(EMAIL),
            phone: row.opt_text(PHONE),
            bcode: row.opt_text(BCODE),
            affiliation: row.opt_text(AFFILIATION),
            unitlogin: row.opt_text(UNITLOGIN).unwrap_or_default(),
            must_change_password: row.opt_bool(MUSTCHPWD)?.unwrap_or(false),
            must_change_bcode: row.opt_bool(MUSTCHBCODE)?.unwrap_or(false),
            active: row.bool(ACTIVE)?,
            extra: row.extra(),
        })
    }
}

/// Why `auth` with a login and password refused the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum AuthRefusal {
    /// `nopwd`: wrong password (inferred from the name).
    BadPassword,
    /// `nosys`: no right on the system (with `rightcheck=true`).
    NoSystemRight,
    /// `notime`: outside the permitted time (inferred from the name).
    OutsidePermittedTime,
}

impl AuthRefusal {
    /// An English label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::BadPassword => "Wrong password",
            Self::NoSystemRight => "No right on the system",
            Self::OutsidePermittedTime => "Outside the permitted time",
        }
    }
}

/// The answer to `auth` with a login and password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// `OK`; `admin` is true when an `ADM` line followed (admin or superuser).
    Accepted {
        /// True for an admin or superuser.
        admin: bool,
    },
    /// `nopwd`, `nosys` or `notime`.
    Refused(AuthRefusal),
}

/// The fields of `newuser` / `upduser`. Only set fields are sent.
///
/// `newuser` and `upduser` are upserts on the server (PPMS-Q35): see
/// [`crate::Users::create`] for the checked variant.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UserParams {
    /// `login` (mandatory).
    pub login: String,
    /// `lname` (mandatory for `newuser`).
    pub last_name: Option<String>,
    /// `fname` (mandatory for `newuser`).
    pub first_name: Option<String>,
    /// `email` (mandatory for `newuser`).
    pub email: Option<String>,
    /// `unitlogin`: the group (mandatory for `newuser`).
    pub unitlogin: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `bcode`: the account number.
    pub bcode: Option<String>,
    /// `affiliation`.
    pub affiliation: Option<String>,
    /// `pwd`: clear text or a base64 `{MD5}` / `{SSHA}` hash. Redacted everywhere.
    pub password: Option<SecretString>,
    /// `mustchpwd`.
    pub must_change_password: Option<bool>,
    /// `mustchbcode`.
    pub must_change_bcode: Option<bool>,
    /// `active` (sent by `upduser` only).
    pub active: Option<bool>,
}

impl UserParams {
    /// Parameters for `newuser` with its five mandatory fields.
    pub fn new(
        login: impl Into<String>,
        last_name: impl Into<String>,
        first_name: impl Into<String>,
        email: impl Into<String>,
        unitlogin: impl Into<String>,
    ) -> Self {
        Self {
            login: login.into(),
            last_name: Some(last_name.into()),
            first_name: Some(first_name.into()),
            email: Some(email.into()),
            unitlogin: Some(unitlogin.into()),
            ..Self::default()
        }
    }

    /// Parameters for `upduser` touching only the login (set the fields to change).
    pub fn update(login: impl Into<String>) -> Self {
        Self {
            login: login.into(),
            ..Self::default()
        }
    }

    /// The non-secret form fields, in documented order.
    pub(crate) fn fields(&self, with_active: bool) -> Vec<(&'static str, String)> {
        let mut out = vec![("login", self.login.clone())];
        let texts = [
            ("lname", &self.last_name),
            ("fname", &self.first_name),
            ("email", &self.email),
            ("unitlogin", &self.unitlogin),
            ("phone", &self.phone),
            ("bcode", &self.bcode),
            ("affiliation", &self.affiliation),
        ];
        out.extend(
            texts
                .into_iter()
                .filter_map(|(k, v)| v.clone().map(|v| (k, v))),
        );
        let flags = [
            ("mustchpwd", self.must_change_password),
            ("mustchbcode", self.must_change_bcode),
            ("active", if with_active { self.active } else { None }),
        ];
        out.extend(
            flags
                .into_iter()
                .filter_map(|(k, v)| v.map(|b| (k, b.to_string()))),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{RowPolicy, parse_table};

    const GETUSER: &str = "login,lname,fname,email,phone,bcode,affiliation,unitlogin,mustchpwd,mustchbcode,active\r\n\"jdoe\",\"Doe\",\"Jane\",\"jane.doe@example.org\",\"+1 555 0100\",\"\",\"\",\"doe_lab\",false,false,true\r\n";

    #[test]
    fn parses_the_illustrative_getuser() {
        let users = parse_table::<User>(GETUSER, RowPolicy::Strict).unwrap();
        let u = &users[0];
        assert_eq!(u.login, "jdoe");
        assert_eq!(u.full_name(), "Doe Jane");
        assert_eq!(u.bcode, None);
        assert_eq!(u.phone.as_deref(), Some("+1 555 0100"));
        assert!(u.active && !u.must_change_password);
    }

    #[test]
    fn ppms_q12_colon_in_a_quoted_value_is_kept() {
        let body = GETUSER.replace("\"Doe\"", "\"Doe: Jane\"");
        let users = parse_table::<User>(&body, RowPolicy::Strict).unwrap();
        assert_eq!(users[0].last_name, "Doe: Jane");
    }

    #[test]
    fn ppms_q21_getuser_entity_in_last_name_is_decoded() {
        let body = GETUSER.replace("\"Doe\"", "\"O&#39;Brien\"");
        let users = parse_table::<User>(&body, RowPolicy::Strict).unwrap();
        assert_eq!(users[0].last_name, "O'Brien");
    }

    #[test]
    fn ppms_q13_mandatory_active_rejects_non_booleans() {
        let body = GETUSER.replace("false,false,true", "false,false,yes");
        assert!(parse_table::<User>(&body, RowPolicy::Strict).is_err());
        let body = GETUSER.replace("false,false,true", "False,False,True");
        assert!(parse_table::<User>(&body, RowPolicy::Strict).unwrap()[0].active);
    }

    #[test]
    fn ppms_q23_json_getuser_and_not_found_bodies() {
        let json = r#"{"login":"jdoe","lname":"Doe","fname":"Jane","email":"jane.doe@example.org","phone":"+1 555 0100","bcode":"","affiliation":"","unitlogin":"doe_lab","mustchpwd":false,"mustchbcode":false,"active":true}"#;
        let from_json = User::from_json_body(json).unwrap();
        let from_csv = parse_table::<User>(GETUSER, RowPolicy::Strict)
            .unwrap()
            .into_items()
            .pop();
        assert_eq!(from_json, from_csv);
        assert_eq!(User::from_json_body("\r\n").unwrap(), None);
        assert_eq!(User::from_json_body("unknown user").unwrap(), None);
    }

    #[test]
    fn ppms_q37_active_filter_wire_values() {
        assert_eq!(ActiveFilter::default().wire_value(), None);
        assert_eq!(ActiveFilter::Active.wire_value(), Some("true"));
        assert_eq!(ActiveFilter::Inactive.wire_value(), Some("false"));
    }

    #[test]
    fn user_params_send_only_set_fields() {
        let mut p = UserParams::new("jdoe", "Doe", "Jane", "jane.doe@example.org", "doe_lab");
        p.active = Some(false);
        let f = p.fields(false);
        assert_eq!(f.len(), 5);
        assert!(p.fields(true).contains(&("active", "false".to_owned())));
    }
}
