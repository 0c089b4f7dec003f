//! Invoices and invoice items (§5.21, §5.22).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::de;
use super::{
    CompanyId, InvoiceChargeType, InvoiceId, InvoiceItemId, InvoiceItemTerm, InvoiceItemType,
    InvoiceRateType, InvoiceStatus, Pax8DateTime, ProductId, SubscriptionId,
};

/// An invoice (E23, E24).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Invoice {
    /// Invoice id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<InvoiceId>,
    /// Invoice date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<Pax8DateTime>,
    /// Due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Pax8DateTime>,
    /// Status: on the wire though not in the schema (PAX8-Q18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<InvoiceStatus>,
    /// Balance.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub balance: Option<Decimal>,
    /// Outstanding balance up to `invoiceDate`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub carried_balance: Option<Decimal>,
    /// Total.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub total: Option<Decimal>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Partner name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_name: Option<String>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<CompanyId>,
    /// The company's external id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub external_id: Option<String>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An invoice item or draft invoice item (E25, E26).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InvoiceItem {
    /// Item id (absent from the spec's examples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<InvoiceItemId>,
    /// Purchase order number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub purchase_order_number: Option<String>,
    /// Item type (`type` on the wire; hyphenated values, PAX8-Q34).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub item_type: Option<InvoiceItemType>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<CompanyId>,
    /// The company's external id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub external_id: Option<String>,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Start of the billed period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Pax8DateTime>,
    /// End of the billed period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_period: Option<Pax8DateTime>,
    /// Quantity.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub quantity: Option<Decimal>,
    /// Unit of measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<String>,
    /// Term (its own vocabulary, PAX8-Q34).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<InvoiceItemTerm>,
    /// SKU.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub sku: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Rate type (casing varies, PAX8-Q04).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_type: Option<InvoiceRateType>,
    /// Charge type (casing varies, PAX8-Q04).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_type: Option<InvoiceChargeType>,
    /// Customer unit price.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub price: Option<Decimal>,
    /// Customer subtotal, billing fees included.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub sub_total: Option<Decimal>,
    /// Partner unit cost.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub cost: Option<Decimal>,
    /// Partner cost total.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub cost_total: Option<Decimal>,
    /// Who offers the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_by: Option<String>,
    /// Whether Pax8 bills it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub billed_by_pax8: Option<bool>,
    /// Total.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub total: Option<Decimal>,
    /// Product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// Product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// Billing fee.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub billing_fee: Option<Decimal>,
    /// Billing fee rate.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub billing_fee_rate: Option<Decimal>,
    /// Amount due.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub amount_due: Option<Decimal>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Sales tax (newer spec).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub sales_tax: Option<Decimal>,
    /// Subscription (`null` for products without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<SubscriptionId>,
    /// Vendor name (newest spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_name: Option<String>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
