//! Contacts (§5.4, §5.5). Contacts exist only under a company (PAX8-Q09).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::de;
use super::{ContactId, ContactKind, Pax8DateTime};

/// A contact of a company, as returned by E05–E08.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Contact {
    /// Contact id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ContactId>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone (the documented field).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub phone: Option<String>,
    /// Contact roles: objects `{type, primary}`, not strings (PAX8-Q38).
    #[serde(
        default,
        deserialize_with = "de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub types: Vec<ContactType>,
    /// Creation date (date-only in the examples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<Pax8DateTime>,
    /// Undocumented phone number field (PAX8-Q03).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub phone_number: Option<String>,
    /// Undocumented phone country code (PAX8-Q03).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub phone_country_code: Option<String>,
    /// Undocumented calling code, as `phoneCountryCallingCode` (PAX8-Q03). Prefer
    /// [`Contact::phone_country_calling_code`], which also reads the lowercase-c spelling.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub phone_country_calling_code: Option<String>,
    /// The lowercase-c spelling `phoneCountryCallingcode` (PAX8-Q03).
    #[serde(
        default,
        rename = "phoneCountryCallingcode",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    phone_country_calling_code_lower: Option<String>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Contact {
    /// The calling code, from `phoneCountryCallingCode` or else `phoneCountryCallingcode`
    /// (PAX8-Q03).
    pub fn phone_country_calling_code(&self) -> Option<&str> {
        self.phone_country_calling_code
            .as_deref()
            .or(self.phone_country_calling_code_lower.as_deref())
    }

    /// Whether the contact is primary for `kind`.
    pub fn is_primary_for(&self, kind: &ContactKind) -> bool {
        self.types.iter().any(|t| t.primary && &t.kind == kind)
    }

    /// Copies the writable fields into a [`ContactInput`] (for a full-replacement `PUT`,
    /// PAX8-Q11). Missing required fields become empty strings.
    pub fn to_input(&self) -> ContactInput {
        ContactInput {
            first_name: self.first_name.clone().unwrap_or_default(),
            last_name: self.last_name.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
            types: self.types.clone(),
        }
    }
}

/// One role of a contact (§5.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactType {
    /// The role (`Admin`, `Billing`, `Technical`). The spec requires neither property of a
    /// contact type; a missing `type` reads as `Unknown("")`.
    #[serde(rename = "type", default = "unknown_kind")]
    pub kind: ContactKind,
    /// Whether the contact is the primary one for the role.
    #[serde(default, deserialize_with = "bool_or_false")]
    pub primary: bool,
}

fn unknown_kind() -> ContactKind {
    ContactKind::Unknown(String::new())
}

fn bool_or_false<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(de::opt_bool(d)?.unwrap_or(false))
}

impl ContactType {
    /// A role with its primary flag.
    pub fn new(kind: ContactKind, primary: bool) -> Self {
        Self { kind, primary }
    }
}

/// Body of contact create (E05), full replacement (E08) and `NewCompany.contacts` (E02).
/// It has no `companyId` (the company is in the path, PAX8-Q09) and never sends the undocumented
/// phone fields (PAX8-Q03).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ContactInput {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Roles (skipped when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<ContactType>,
}

impl ContactInput {
    /// A contact with the four required fields and no roles.
    pub fn new(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        email: impl Into<String>,
        phone: impl Into<String>,
    ) -> Self {
        Self {
            first_name: first_name.into(),
            last_name: last_name.into(),
            email: email.into(),
            phone: phone.into(),
            types: Vec::new(),
        }
    }

    /// Adds a role.
    pub fn with_type(mut self, kind: ContactKind, primary: bool) -> Self {
        self.types.push(ContactType::new(kind, primary));
        self
    }
}
