//! Usage summaries and usage lines (§5.23, §5.24).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::de;
use super::{CompanyId, Pax8DateTime, ProductId, SubscriptionId, UsageSummaryId};

/// A usage summary (E27, E28).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UsageSummary {
    /// Summary id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UsageSummaryId>,
    /// Company (absent when listed through a subscription, PAX8-Q36).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<CompanyId>,
    /// Subscription (undocumented but present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<SubscriptionId>,
    /// Product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// Resource group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// Vendor name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_name: Option<String>,
    /// Charges this month.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub current_charges: Option<Decimal>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Partner total (examples carry 3 decimals).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub partner_total: Option<Decimal>,
    /// Whether this is a trial.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub is_trial: Option<bool>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One usage line of a summary on one day (E29).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UsageLine {
    /// Summary id (absent from the spec's examples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_summary_id: Option<UsageSummaryId>,
    /// Usage day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_date: Option<Pax8DateTime>,
    /// Product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// Product (one example value is not a valid UUID, PAX8-Q17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// Unit of measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<String>,
    /// Quantity.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub quantity: Option<Decimal>,
    /// Charges.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub current_charges: Option<Decimal>,
    /// Profit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub current_profit: Option<Decimal>,
    /// Partner total.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub partner_total: Option<Decimal>,
    /// Unit price.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub unit_price: Option<Decimal>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Whether this is a trial.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub is_trial: Option<bool>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
