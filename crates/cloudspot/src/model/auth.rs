//! Legacy external-app user-login models (feature `legacy-user-auth`).
//!
//! **Deprecated by the vendor on 2023-03-14**: see [`crate::user`]. All four are flat objects
//! without a `data` envelope.

use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
use serde_json::Value;

use crate::de;

/// Placeholder written instead of a secret when a model is serialised.
pub const REDACTED: &str = "[redacted]";

/// Answer to sign-in (`auth/signin-external-app/`).
#[derive(Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthResponse {
    /// `token`: the session token, sent afterwards as `X-ERP-TOKEN`. Redacted in `Debug`
    /// and written as `"[redacted]"` when serialised.
    #[serde(
        rename = "token",
        default,
        deserialize_with = "opt_secret",
        serialize_with = "ser_secret"
    )]
    pub token: Option<SecretString>,
    /// `permissions`: the user's permission slugs for this external app (CS-Q17).
    #[serde(rename = "permissions", default, deserialize_with = "permissions")]
    pub permissions: Vec<Permission>,
    /// `company`: UID of the user's company.
    #[serde(rename = "company", default, deserialize_with = "de::opt_string")]
    pub company: Option<String>,
}

impl fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthResponse")
            .field("token", &self.token.as_ref().map(|_| REDACTED))
            .field("permissions", &self.permissions)
            .field("company", &self.company)
            .finish()
    }
}

impl AuthResponse {
    /// The permission slugs as plain strings (entries without a slug are skipped).
    pub fn slugs(&self) -> Vec<&str> {
        slugs(&self.permissions)
    }
}

/// One permission: element of `permissions`. Slugs look like `<app>_use` or
/// `<app>_<resource>_<action>` (`timeapp_timetracking_create`) and are kept as opaque text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Permission {
    /// `permission`: one slug.
    #[serde(rename = "permission", default, deserialize_with = "de::opt_string")]
    pub permission: Option<String>,
}

impl Permission {
    /// A permission with the given slug.
    pub fn new(slug: impl Into<String>) -> Self {
        Self {
            permission: Some(slug.into()),
        }
    }
}

/// Answer to `auth/get-permissions/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PermissionsResponse {
    /// `permissions`: the user's permission slugs (CS-Q17).
    #[serde(rename = "permissions", default, deserialize_with = "permissions")]
    pub permissions: Vec<Permission>,
}

impl PermissionsResponse {
    /// The permission slugs as plain strings (entries without a slug are skipped).
    pub fn slugs(&self) -> Vec<&str> {
        slugs(&self.permissions)
    }
}

/// Answer to `auth/get-user/`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// `first_name`.
    #[serde(rename = "first_name", default, deserialize_with = "de::opt_string")]
    pub first_name: Option<String>,
    /// `last_name`.
    #[serde(rename = "last_name", default, deserialize_with = "de::opt_string")]
    pub last_name: Option<String>,
    /// `email`: e-mail address.
    #[serde(rename = "email", default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    /// `company`: UID of the user's company.
    #[serde(rename = "company", default, deserialize_with = "de::opt_string")]
    pub company: Option<String>,
    /// `pin`: the user's PIN, read from a string or an integer. Redacted in `Debug` and
    /// written as `"[redacted]"` when serialised.
    #[serde(
        rename = "pin",
        default,
        deserialize_with = "opt_secret",
        serialize_with = "ser_secret"
    )]
    pub pin: Option<SecretString>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data is not logged either: only presence is shown.
        f.debug_struct("User")
            .field("first_name", &self.first_name.as_ref().map(|_| "..."))
            .field("last_name", &self.last_name.as_ref().map(|_| "..."))
            .field("email", &self.email.as_ref().map(|_| "..."))
            .field("company", &self.company)
            .field("pin", &self.pin.as_ref().map(|_| REDACTED))
            .finish()
    }
}

fn slugs(perms: &[Permission]) -> Vec<&str> {
    perms
        .iter()
        .filter_map(|p| p.permission.as_deref())
        .collect()
}

fn ser_secret<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str(REDACTED),
        None => s.serialize_none(),
    }
}

/// A secret from a string or an integer; `null` and `""` give `None`.
fn opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(SecretString::from(s))),
        Value::Number(n) => Ok(Some(SecretString::from(n.to_string()))),
        other => Err(D::Error::custom(format!(
            "expected a string or an integer, found {}",
            de::json_type(&other)
        ))),
    }
}

/// `permissions` in every shape the wrapper tolerated (CS-Q17): a list of objects, a single
/// object (a list of one), `null` or a missing key (empty), and bare strings as slugs.
fn permissions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Permission>, D::Error> {
    fn one<E: serde::de::Error>(v: Value) -> Result<Option<Permission>, E> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(Permission::new(s))),
            obj @ Value::Object(_) => serde_json::from_value(obj).map(Some).map_err(E::custom),
            other => Err(E::custom(format!(
                "expected a permission object or slug, found {}",
                de::json_type(&other)
            ))),
        }
    }
    match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| one::<D::Error>(v).transpose())
            .collect(),
        other => Ok(one::<D::Error>(other)?.into_iter().collect()),
    }
}
