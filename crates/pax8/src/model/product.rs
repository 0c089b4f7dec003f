//! Products, provisioning details, dependencies and pricing (§5.6–§5.13).
//!
//! Provisioning details, dependencies and pricing are dynamic: Pax8 asks clients not to store
//! them and to read them right before use. This crate caches no responses (PAX8-Q44).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::de;
use super::{
    BillingTerm, CommitmentId, PricingType, ProductId, ProvisioningValueType, RateChargeType,
};

/// A product (E10 items, E11, and products inside dependencies).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Product {
    /// Product id (not always a valid UUID, PAX8-Q17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ProductId>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Vendor name (its sort field is `vendor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_name: Option<String>,
    /// Short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<String>,
    /// Long description (only on E11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Pax8's SKU.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub sku: Option<String>,
    /// The vendor's SKU.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub vendor_sku: Option<String>,
    /// Deprecated Microsoft legacy SKU; use `vendor_sku`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub alt_vendor_sku: Option<String>,
    /// When true, order lines need a `commitmentTermId` (PAX8-Q39).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub requires_commitment: Option<bool>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The detail view of a product (E11) uses the same struct.
pub type ProductDetail = Product;

/// One provisioning field of a product (E12, read side, §5.8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProvisioningDetail {
    /// Display label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The key to send back in orders and subscription updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Entry instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Kind of value expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_type: Option<ProvisioningValueType>,
    /// Allowed values (`null` for free input, which decodes as empty).
    #[serde(
        default,
        deserialize_with = "de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub possible_values: Vec<String>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One provisioning value sent with an order line or a subscription update (write side, §5.8).
/// `values` is an array even for a single value (PAX8-Q40). Which keys are required is not
/// published: check an order with `orders().validate()` (`isMock=true`, PAX8-Q15). A subscription
/// in `WaitingForDetails` is missing some of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProvisioningValue {
    /// The key from [`ProvisioningDetail::key`].
    pub key: String,
    /// The values.
    pub values: Vec<String>,
}

impl ProvisioningValue {
    /// A key with one value.
    pub fn single(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            values: vec![value.into()],
        }
    }

    /// A key with several values.
    pub fn multi<I, S>(key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            key: key.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// Optional client-side check against a provisioning field (PAX8-Q40): the key must match,
    /// a `Single-Value` field takes exactly one value, and for `Single-Value`/`Multi-Value`
    /// every value must be one of `possibleValues`. Advisory only: the server decides.
    pub fn validate_against(&self, detail: &ProvisioningDetail) -> Result<(), String> {
        if let Some(key) = &detail.key
            && key != &self.key
        {
            return Err(format!("key {:?} does not match field {key:?}", self.key));
        }
        match &detail.value_type {
            Some(ProvisioningValueType::SingleValue) | Some(ProvisioningValueType::MultiValue) => {
                if matches!(detail.value_type, Some(ProvisioningValueType::SingleValue))
                    && self.values.len() != 1
                {
                    return Err(format!(
                        "field {:?} takes exactly one value, got {}",
                        self.key,
                        self.values.len()
                    ));
                }
                if let Some(bad) = self
                    .values
                    .iter()
                    .find(|v| !detail.possible_values.iter().any(|p| p == *v))
                {
                    return Err(format!(
                        "value {bad:?} is not one of the possible values of {:?}",
                        self.key
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Dependencies of a product (E13, a plain object).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Dependencies {
    /// Commitment terms on offer.
    #[serde(default, deserialize_with = "de::null_default")]
    pub commitment_dependencies: Vec<Commitment>,
    /// Prerequisite products.
    #[serde(default, deserialize_with = "de::null_default")]
    pub product_dependencies: Vec<ProductDependency>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Dependencies {
    /// The shortest offered commitment whose term is at least as long as `term` (PAX8-Q39).
    /// Commitments whose `term` text has no known length are skipped. Advisory only.
    pub fn commitment_for(&self, term: &BillingTerm) -> Option<&Commitment> {
        let wanted = term.duration_months()?;
        self.commitment_dependencies
            .iter()
            .filter_map(|c| {
                c.term_as_billing_term()
                    .and_then(|t| t.duration_months())
                    .map(|m| (m, c))
            })
            .filter(|(m, _)| *m >= wanted)
            .min_by_key(|(m, _)| *m)
            .map(|(_, c)| c)
    }
}

/// A commitment term on offer (§5.10).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Commitment {
    /// The id to send as `commitmentTermId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CommitmentId>,
    /// The term text, such as `3-Year` (not an enum on the wire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// Whether it renews automatically.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub auto_renew: Option<bool>,
    /// Renewal window before the term ends, in days (a `number` in the spec: fractions and
    /// negatives decode too).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub renewal_window_days_before_term_end: Option<Decimal>,
    /// Renewal window after the term ends, in days (a `number` in the spec).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub renewal_window_days_after_term_end: Option<Decimal>,
    /// Whether the quantity may go up during the term.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub allow_for_quantity_increase: Option<bool>,
    /// Whether the quantity may go down during the term (PAX8-Q39).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub allow_for_quantity_decrease: Option<bool>,
    /// Whether early cancellation is allowed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub allow_for_early_cancellation: Option<bool>,
    /// Whether a cancellation fee applies.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub cancellation_fee_applied: Option<bool>,
    /// Whether the commitment can move to another company.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub is_transferable: Option<bool>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Commitment {
    /// The `term` text read as a [`BillingTerm`] (`3-Year`, `3 Year`, `1-Year`, `Annual`, ...).
    pub fn term_as_billing_term(&self) -> Option<BillingTerm> {
        self.term.as_deref().map(BillingTerm::from_term_text)
    }
}

/// A prerequisite constraint (§5.11).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductDependency {
    /// The constraint's name, such as `Requires`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Products that satisfy it (they may lack fields, PAX8-Q36).
    #[serde(default, deserialize_with = "de::null_default")]
    pub products: Vec<Product>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One pricing option of a product (E14 items, §5.12).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Pricing {
    /// Product id (newer spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// Product name (newer spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// Billing term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_term: Option<BillingTerm>,
    /// Commitment term text, such as `3-Year`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment_term: Option<String>,
    /// Commitment length in months (a `number` in the spec).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub commitment_term_in_months: Option<Decimal>,
    /// Pricing model (`type` on the wire).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub pricing_type: Option<PricingType>,
    /// Unit of measurement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measurement: Option<String>,
    /// Rates (price tiers).
    #[serde(default, deserialize_with = "de::null_default")]
    pub rates: Vec<Rate>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One rate (price tier) of a pricing option (§5.13).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Rate {
    /// The partner's cost.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub partner_buy_rate: Option<Decimal>,
    /// Suggested retail price.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub suggested_retail_price: Option<Decimal>,
    /// Start of the quantity range (0 when unset).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub start_quantity_range: Option<Decimal>,
    /// End of the quantity range (`None`: no upper bound).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub end_quantity_range: Option<Decimal>,
    /// Charge type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_type: Option<RateChargeType>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
