//! Vendor enums, declared with http-core's shared `wire_enum!`. Matching is exact and
//! case-sensitive (`WireMatch::Exact`); an unrecognised value becomes
//! `Unknown(String)` with the raw text kept, and serialisation writes the exact wire string
//! back (CS-Q22). Type and variant names are English;
//! each item's docs (and a `doc(alias)`, so rustdoc search finds it) give the Dutch wire name.

use billing_http_core::wire_enum;

wire_enum!(
    /// How stock is tracked for an article: JSON key `voorraad_bijhouden` ("keep track of
    /// stock") on [`Article`](crate::model::Article). Dutch type name `VoorraadBijhouden`.
    #[doc(alias = "voorraad_bijhouden")]
    #[doc(alias = "VoorraadBijhouden")]
    pub enum StockTracking (Exact) {
        /// `NIET` ("not"): stock is not tracked.
        #[doc(alias = "NIET")]
        NotTracked => "NIET",
        /// `FYSIEK` ("physical"): physical stock is tracked and `op_voorraad` holds the count.
        #[doc(alias = "FYSIEK")]
        Physical => "FYSIEK",
        /// `DIGITAAL` ("digital"): a digital product without physical stock (exact semantics
        /// undocumented).
        #[doc(alias = "DIGITAAL")]
        Digital => "DIGITAAL",
    }
);

wire_enum!(
    /// Ordering mode of an article: JSON key `bestellingtype` ("order type") on
    /// [`Article`](crate::model::Article). The vendor lists the values without meanings.
    #[doc(alias = "bestellingtype")]
    #[doc(alias = "Bestellingtype")]
    pub enum OrderType (Exact) {
        /// `IDEAAL` ("ideal"): probably restocking towards an ideal stock level.
        #[doc(alias = "IDEAAL")]
        Ideal => "IDEAAL",
        /// `BESTELLING` ("order"): probably ordering from the supplier on demand, with
        /// `units_per_bestelling` as the minimum quantity.
        #[doc(alias = "BESTELLING")]
        Order => "BESTELLING",
    }
);

wire_enum!(
    /// Sales status of an article: JSON key `status` on [`Article`](crate::model::Article).
    /// Dutch type name `ArtikelStatus`.
    #[doc(alias = "ArtikelStatus")]
    pub enum ArticleStatus (Exact) {
        /// `ZICHTBAAR` ("visible"): active and offered for sale.
        #[doc(alias = "ZICHTBAAR")]
        Visible => "ZICHTBAAR",
        /// `NIET_VERKOOPBAAR` ("not sellable"): exists but cannot be sold.
        #[doc(alias = "NIET_VERKOOPBAAR")]
        NotSellable => "NIET_VERKOOPBAAR",
        /// `GEDEACTIVEERD` ("deactivated").
        #[doc(alias = "GEDEACTIVEERD")]
        Deactivated => "GEDEACTIVEERD",
    }
);

wire_enum!(
    /// Form of address (salutation) of a customer: JSON key `aanspreektitel` on
    /// [`Customer`](crate::model::Customer). Note the full stops and the spelling: `Mijnh.`, not
    /// `Dhr.` (CS-Q22). Dutch type name `Aanspreektitel`.
    #[doc(alias = "aanspreektitel")]
    #[doc(alias = "Aanspreektitel")]
    pub enum Salutation (Exact) {
        /// `Mijnh.`: Mr (short for "Mijnheer").
        #[doc(alias = "Mijnheer")]
        Mr => "Mijnh.",
        /// `Mevr.`: Mrs or Ms (short for "Mevrouw").
        #[doc(alias = "Mevrouw")]
        Mrs => "Mevr.",
    }
);

wire_enum!(
    /// A status string the server defines (taken from a top-level `status` key of an error
    /// body when present, CS-Q20). It never outranks the HTTP status.
    pub enum ApiStatus (Exact) {
        /// `OK` (HTTP 200): success.
        Ok => "OK",
        /// `RECEIVED` (HTTP 200): received.
        Received => "RECEIVED",
        /// `OBJECT_CREATED` (HTTP 200): object created.
        ObjectCreated => "OBJECT_CREATED",
        /// `OBJECT_UPDATED` (HTTP 200): object updated.
        ObjectUpdated => "OBJECT_UPDATED",
        /// `OBJECT_DELETED` (HTTP 200): object deleted.
        ObjectDeleted => "OBJECT_DELETED",
        /// `INVALID_FORMAT` (HTTP 400): malformed input.
        InvalidFormat => "INVALID_FORMAT",
        /// `EXPECTED_VALUE` (HTTP 400): a required value is missing.
        ExpectedValue => "EXPECTED_VALUE",
        /// `UNEXPECTED_VALUE` (HTTP 400): a value is not allowed.
        UnexpectedValue => "UNEXPECTED_VALUE",
        /// `NOT_AUTHORIZED` (HTTP 401): not authorised.
        NotAuthorized => "NOT_AUTHORIZED",
        /// `NOT_FOUND` (HTTP 404): not found.
        NotFound => "NOT_FOUND",
        /// `NOT_ALLOWED` (HTTP 405): method not allowed.
        NotAllowed => "NOT_ALLOWED",
    }
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unknown_keeps_raw_text_and_non_strings_never_fail() {
        let v: StockTracking = serde_json::from_str("\"fysiek\"").unwrap();
        assert_eq!(v, StockTracking::Unknown("fysiek".into()));
        let n: ArticleStatus = serde_json::from_str("3").unwrap();
        assert_eq!(n, ArticleStatus::Unknown("3".into()));
        assert_eq!("Mevr.".parse::<Salutation>(), Ok(Salutation::Mrs));
        assert_eq!(OrderType::Ideal.to_string(), "IDEAAL");
    }

    #[test]
    fn labels_are_english_words_for_people() {
        assert_eq!(StockTracking::NotTracked.label(), "Not tracked");
        assert_eq!(StockTracking::Physical.label(), "Physical");
        assert_eq!(OrderType::Order.label(), "Order");
        assert_eq!(ArticleStatus::NotSellable.label(), "Not sellable");
        assert_eq!(ArticleStatus::Visible.label(), "Visible");
        assert_eq!(Salutation::Mrs.label(), "Mrs");
        assert_eq!(ApiStatus::ObjectCreated.label(), "Object created");
        assert_eq!(ApiStatus::NotAuthorized.label(), "Not authorized");
        assert_eq!(ArticleStatus::from_wire("ARCHIEF").label(), "ARCHIEF");
    }
}
