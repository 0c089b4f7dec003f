//! Customers: [`Klant`].

use serde::{Deserialize, Serialize};

use super::{Aanspreektitel, Datum, Klantennummer, datum::opt_datum};
use crate::de;

/// A customer ("klant") as returned by `klanten/` (16 keys, unchanged from wrapper 0.1.0 to
/// 1.1.0).
///
/// The record key is [`customer_number`](Self::customer_number) (`klantennummer`); a
/// customer has no `id` and there is no get-by-id (CS-Q16). Every field is optional
/// (CS-Q04) and unknown keys are ignored (CS-Q05).
///
/// This is personal data: the crate never logs model contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Klant {
    /// `klantennummer` ("customer number"): the record key; integer or numeric string.
    #[serde(rename = "klantennummer", default, deserialize_with = "de::opt_id")]
    pub customer_number: Option<Klantennummer>,
    /// `aanspreektitel` ("form of address"): salutation (`Mijnh.`, `Mevr.`).
    #[serde(rename = "aanspreektitel", default)]
    pub salutation: Option<Aanspreektitel>,
    /// `voornaam` ("first name").
    #[serde(rename = "voornaam", default, deserialize_with = "de::opt_string")]
    pub first_name: Option<String>,
    /// `achternaam` ("last name").
    #[serde(rename = "achternaam", default, deserialize_with = "de::opt_string")]
    pub last_name: Option<String>,
    /// `straat` ("street").
    #[serde(rename = "straat", default, deserialize_with = "de::opt_string")]
    pub street: Option<String>,
    /// `huisnummer` ("house number"): text, not a number (for example `12A`).
    #[serde(rename = "huisnummer", default, deserialize_with = "de::opt_string")]
    pub house_number: Option<String>,
    /// `busnummer` ("box number"): box or unit number (the Belgian "bus").
    #[serde(rename = "busnummer", default, deserialize_with = "de::opt_string")]
    pub box_number: Option<String>,
    /// `postcode` ("postal code"): text; leading zeros and spaces are kept.
    #[serde(rename = "postcode", default, deserialize_with = "de::opt_string")]
    pub postal_code: Option<String>,
    /// `plaats` ("place"): town or city.
    #[serde(rename = "plaats", default, deserialize_with = "de::opt_string")]
    pub city: Option<String>,
    /// `land` ("country"): two-letter country code (`BE`, `NL`, `FR`, ...), not validated.
    #[serde(rename = "land", default, deserialize_with = "de::opt_string")]
    pub country: Option<String>,
    /// `geboortedatum` ("date of birth"): format undocumented, parsed leniently (CS-Q13).
    #[serde(rename = "geboortedatum", default, deserialize_with = "opt_datum")]
    pub birth_date: Option<Datum>,
    /// `geboorteplaats` ("place of birth").
    #[serde(
        rename = "geboorteplaats",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub birth_place: Option<String>,
    /// `is_bedrijf` ("is company"): true if the customer is a company.
    #[serde(rename = "is_bedrijf", default, deserialize_with = "de::opt_bool")]
    pub is_company: Option<bool>,
    /// `bedrijfsnaam` ("company name"): meaningful only if `is_bedrijf` is true.
    #[serde(rename = "bedrijfsnaam", default, deserialize_with = "de::opt_string")]
    pub company_name: Option<String>,
    /// `BTW_nummer` ("VAT number"): VAT number of the company; mixed-case key (CS-Q02).
    /// Meaningful only if `is_bedrijf` is true.
    #[serde(rename = "BTW_nummer", default, deserialize_with = "de::opt_string")]
    pub vat_number: Option<String>,
    /// `ondernemingsnummer` ("enterprise number"): Belgian enterprise (KBO) number.
    /// Meaningful only if `is_bedrijf` is true.
    #[serde(
        rename = "ondernemingsnummer",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub enterprise_number: Option<String>,
}

impl Klant {
    /// `voornaam achternaam`, or the company name for a company, or `None` if all are empty.
    pub fn display_name(&self) -> Option<String> {
        let company = self
            .company_name
            .as_deref()
            .filter(|n| !n.trim().is_empty());
        if let (Some(true), Some(name)) = (self.is_company, company) {
            return Some(name.to_owned());
        }
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}
