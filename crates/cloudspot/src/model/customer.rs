//! Customers (Dutch `klant`): [`Customer`].

use serde::{Deserialize, Serialize};

use super::{CustomerNumber, Date, Salutation, date::opt_date};
use crate::de;

/// A customer, Dutch `klant`, as returned by `klanten/` (16 keys, unchanged from wrapper
/// 0.1.0 to 1.1.0).
///
/// The record key is [`customer_number`](Self::customer_number) (`klantennummer`); a
/// customer has no `id` and there is no get-by-id (CS-Q16). Every field is optional
/// (CS-Q04) and unknown keys are ignored (CS-Q05).
///
/// This is personal data: the crate never logs model contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[doc(alias = "klant")]
#[doc(alias = "client")]
pub struct Customer {
    /// `klantennummer` ("customer number"): the record key; integer or numeric string.
    #[doc(alias = "klantennummer")]
    #[serde(rename = "klantennummer", default, deserialize_with = "de::opt_id")]
    pub customer_number: Option<CustomerNumber>,
    /// `aanspreektitel` ("form of address"): salutation (`Mijnh.`, `Mevr.`).
    #[doc(alias = "aanspreektitel")]
    #[serde(rename = "aanspreektitel", default)]
    pub salutation: Option<Salutation>,
    /// `voornaam` ("first name").
    #[doc(alias = "voornaam")]
    #[serde(rename = "voornaam", default, deserialize_with = "de::opt_string")]
    pub first_name: Option<String>,
    /// `achternaam` ("last name").
    #[doc(alias = "achternaam")]
    #[serde(rename = "achternaam", default, deserialize_with = "de::opt_string")]
    pub last_name: Option<String>,
    /// `straat` ("street").
    #[doc(alias = "straat")]
    #[serde(rename = "straat", default, deserialize_with = "de::opt_string")]
    pub street: Option<String>,
    /// `huisnummer` ("house number"): text, not a number (for example `12A`).
    #[doc(alias = "huisnummer")]
    #[serde(rename = "huisnummer", default, deserialize_with = "de::opt_string")]
    pub house_number: Option<String>,
    /// `busnummer` ("box number"): box or unit number (the Belgian "bus").
    #[doc(alias = "busnummer")]
    #[serde(rename = "busnummer", default, deserialize_with = "de::opt_string")]
    pub box_number: Option<String>,
    /// `postcode` ("postal code"): text; leading zeros and spaces are kept.
    #[doc(alias = "postcode")]
    #[serde(rename = "postcode", default, deserialize_with = "de::opt_string")]
    pub postal_code: Option<String>,
    /// `plaats` ("place"): town or city.
    #[doc(alias = "plaats")]
    #[serde(rename = "plaats", default, deserialize_with = "de::opt_string")]
    pub city: Option<String>,
    /// `land` ("country"): two-letter country code (`BE`, `NL`, `FR`, ...), not validated.
    #[doc(alias = "land")]
    #[serde(rename = "land", default, deserialize_with = "de::opt_string")]
    pub country: Option<String>,
    /// `geboortedatum` ("date of birth"): format undocumented, parsed leniently (CS-Q13).
    #[doc(alias = "geboortedatum")]
    #[serde(rename = "geboortedatum", default, deserialize_with = "opt_date")]
    pub birth_date: Option<Date>,
    /// `geboorteplaats` ("place of birth").
    #[doc(alias = "geboorteplaats")]
    #[serde(
        rename = "geboorteplaats",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub birth_place: Option<String>,
    /// `is_bedrijf` ("is company"): true if the customer is a company.
    #[doc(alias = "is_bedrijf")]
    #[serde(rename = "is_bedrijf", default, deserialize_with = "de::opt_bool")]
    pub is_company: Option<bool>,
    /// `bedrijfsnaam` ("company name"): meaningful only if `is_bedrijf` is true.
    #[doc(alias = "bedrijfsnaam")]
    #[serde(rename = "bedrijfsnaam", default, deserialize_with = "de::opt_string")]
    pub company_name: Option<String>,
    /// `BTW_nummer` ("VAT number"): VAT number of the company; mixed-case key (CS-Q02).
    /// Meaningful only if `is_bedrijf` is true.
    #[doc(alias = "BTW_nummer")]
    #[serde(rename = "BTW_nummer", default, deserialize_with = "de::opt_string")]
    pub vat_number: Option<String>,
    /// `ondernemingsnummer` ("enterprise number"): Belgian enterprise (KBO) number.
    /// Meaningful only if `is_bedrijf` is true.
    #[doc(alias = "ondernemingsnummer")]
    #[serde(
        rename = "ondernemingsnummer",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub enterprise_number: Option<String>,
}

impl Customer {
    /// `voornaam achternaam`, or the company name for a company, or `None` if all are empty.
    pub fn display_name(&self) -> Option<String> {
        let company = self
            .company_name
            .as_deref()
            .filter(|n| !n.trim().is_empty());
        if let (Some(true), Some(name)) = (self.is_company, company) {
            return Some(name.to_owned());
        }
        self.person_name()
    }

    /// `voornaam achternaam` (each trimmed, empty parts left out), or `None` if both are
    /// empty; unlike [`Customer::display_name`] never the company name.
    pub fn person_name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}
