//! Companies and addresses (§5.1–§5.3).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::contact::{ContactInput, ContactType};
use super::de;
use super::{CompanyId, CompanyStatus, ContactKind, Pax8DateTime};

/// A company (end customer), as returned by E01–E04.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Company {
    /// Company id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CompanyId>,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Phone number (absent from list items, PAX8-Q36).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Website (often a bare host name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// The partner's own reference, such as a PSA id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub external_id: Option<String>,
    /// `true`: Pax8 bills the end customer; `false`: the partner bills.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub bill_on_behalf_of_enabled: Option<bool>,
    /// Whether the customer may self-serve.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub self_service_allowed: Option<bool>,
    /// Whether orders need approval (absent from list items, PAX8-Q36).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub order_approval_required: Option<bool>,
    /// Status; `Inactive` until primary contacts exist (PAX8-Q37).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CompanyStatus>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_date: Option<Pax8DateTime>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A postal address, used in both directions (§5.2). Country and state are not validated on
/// decode (PAX8-Q52); on create, Pax8 expects an ISO 3166-1 alpha-2 `country`
/// (see [`Address::country_is_alpha2`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Address {
    /// Street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Second street line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street2: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province (codes and full names both occur).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_or_province: Option<String>,
    /// Postal code (always a string).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub postal_code: Option<String>,
    /// Country (alpha-2 expected on create; names occur on reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    /// An address with the four fields Pax8 treats as always present.
    pub fn new(
        street: impl Into<String>,
        city: impl Into<String>,
        postal_code: impl Into<String>,
        country: impl Into<String>,
    ) -> Self {
        Self {
            street: Some(street.into()),
            city: Some(city.into()),
            postal_code: Some(postal_code.into()),
            country: Some(country.into()),
            ..Self::default()
        }
    }

    /// Sets the state or province.
    pub fn with_state_or_province(mut self, s: impl Into<String>) -> Self {
        self.state_or_province = Some(s.into());
        self
    }

    /// Sets the second street line.
    pub fn with_street2(mut self, s: impl Into<String>) -> Self {
        self.street2 = Some(s.into());
        self
    }

    /// Optional validation helper (PAX8-Q52): whether `country` is two upper-case ASCII letters,
    /// the form the newer spec requires on create.
    pub fn country_is_alpha2(&self) -> bool {
        self.country.as_deref().is_some_and(Self::is_alpha2)
    }

    fn is_alpha2(c: &str) -> bool {
        c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())
    }
}

/// Body of `POST /companies` (E02). Creating a company with `contacts` that are primary for
/// Admin, Billing and Technical makes it `Active` at once; without them it stays `Inactive` and
/// cannot order (PAX8-Q37).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NewCompany {
    /// Company name.
    pub name: String,
    /// Address (send `street`, `city`, `postalCode` and an alpha-2 `country`).
    pub address: Address,
    /// Phone number.
    pub phone: String,
    /// Website.
    pub website: String,
    /// Whether Pax8 bills the end customer.
    pub bill_on_behalf_of_enabled: bool,
    /// Whether the customer may self-serve.
    pub self_service_allowed: bool,
    /// Whether orders need approval.
    pub order_approval_required: bool,
    /// The partner's own reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Contacts created with the company (skipped when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<ContactInput>,
}

impl NewCompany {
    /// A new company with the required fields; the booleans default to `false` and there are no
    /// contacts yet.
    pub fn new(
        name: impl Into<String>,
        address: Address,
        phone: impl Into<String>,
        website: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            address,
            phone: phone.into(),
            website: website.into(),
            bill_on_behalf_of_enabled: false,
            self_service_allowed: false,
            order_approval_required: false,
            external_id: None,
            contacts: Vec::new(),
        }
    }

    /// Adds `contact` as the primary contact for Admin, Billing and Technical, which makes the
    /// new company `Active` (PAX8-Q37). Any `types` already on the contact are replaced.
    pub fn with_primary_contact(mut self, mut contact: ContactInput) -> Self {
        contact.types = [
            ContactKind::Admin,
            ContactKind::Billing,
            ContactKind::Technical,
        ]
        .into_iter()
        .map(|kind| ContactType::new(kind, true))
        .collect();
        self.contacts.push(contact);
        self
    }

    /// Adds a contact as given.
    pub fn with_contact(mut self, contact: ContactInput) -> Self {
        self.contacts.push(contact);
        self
    }

    /// Sets `billOnBehalfOfEnabled`.
    pub fn bill_on_behalf_of(mut self, enabled: bool) -> Self {
        self.bill_on_behalf_of_enabled = enabled;
        self
    }

    /// Sets `selfServiceAllowed`.
    pub fn self_service(mut self, allowed: bool) -> Self {
        self.self_service_allowed = allowed;
        self
    }

    /// Sets `orderApprovalRequired`.
    pub fn order_approval(mut self, required: bool) -> Self {
        self.order_approval_required = required;
        self
    }

    /// Sets `externalId`.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Client-side check against the spec's `Company` schema: every required field is always
    /// sent (the struct has no optional required field), and a `country` must be an ISO
    /// 3166-1 alpha-2 code (the schema's pattern `^[A-Z]{2}$`, PAX8-Q52).
    pub fn validate(&self) -> Result<(), String> {
        check_country(Some(&self.address))
    }
}

/// The schema's `Address.country` pattern, checked on write bodies only (PAX8-Q52).
fn check_country(address: Option<&Address>) -> Result<(), String> {
    match address.and_then(|a| a.country.as_deref()) {
        Some(c) if !Address::is_alpha2(c) => Err(format!(
            "address country {c:?} is not an ISO 3166-1 alpha-2 code (two capital letters)"
        )),
        _ => Ok(()),
    }
}

/// Body of `PATCH /companies/{id}` (E04): only the fields that are set are sent (PAX8-Q10). An
/// empty update is rejected on the client. Read-only `id` and `status` are never sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CompanyUpdate {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New address (send the full address: merging of a partial one is undocumented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// New phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// New website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// New external id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// New `billOnBehalfOfEnabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_on_behalf_of_enabled: Option<bool>,
    /// New `selfServiceAllowed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_service_allowed: Option<bool>,
    /// New `orderApprovalRequired`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_approval_required: Option<bool>,
}

impl CompanyUpdate {
    /// An empty update; set at least one field.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the name.
    pub fn name(mut self, v: impl Into<String>) -> Self {
        self.name = Some(v.into());
        self
    }

    /// Sets the phone.
    pub fn phone(mut self, v: impl Into<String>) -> Self {
        self.phone = Some(v.into());
        self
    }

    /// Sets the website.
    pub fn website(mut self, v: impl Into<String>) -> Self {
        self.website = Some(v.into());
        self
    }

    /// Sets the external id.
    pub fn external_id(mut self, v: impl Into<String>) -> Self {
        self.external_id = Some(v.into());
        self
    }

    /// Sets the address (send the full address).
    pub fn address(mut self, v: Address) -> Self {
        self.address = Some(v);
        self
    }

    /// Sets `billOnBehalfOfEnabled`.
    pub fn bill_on_behalf_of_enabled(mut self, v: bool) -> Self {
        self.bill_on_behalf_of_enabled = Some(v);
        self
    }

    /// Sets `selfServiceAllowed`.
    pub fn self_service_allowed(mut self, v: bool) -> Self {
        self.self_service_allowed = Some(v);
        self
    }

    /// Sets `orderApprovalRequired`.
    pub fn order_approval_required(mut self, v: bool) -> Self {
        self.order_approval_required = Some(v);
        self
    }

    /// Whether no field is set (such an update is rejected before any HTTP call).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Client-side check against the spec: "at least one parameter has to be modified", and a
    /// `country` must be an ISO 3166-1 alpha-2 code (PAX8-Q10, PAX8-Q52).
    pub fn validate(&self) -> Result<(), String> {
        if self.is_empty() {
            return Err("a company update needs at least one field".into());
        }
        check_country(self.address.as_ref())
    }
}
