//! Subscriptions (§5.18–§5.20).

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datetime::rfc3339_opt;
use super::de;
use super::{
    BillingTerm, CommitmentId, CompanyId, Pax8DateTime, ProductId, ProvisioningValue,
    SubscriptionId, SubscriptionStatus,
};

/// A subscription (E18–E20, E22).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Subscription {
    /// Subscription id (several history entries share one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<SubscriptionId>,
    /// Parent subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_subscription_id: Option<SubscriptionId>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<CompanyId>,
    /// Product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// The vendor's subscription id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub vendor_subscription_id: Option<String>,
    /// The vendor's SKU id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub vendor_sku_id: Option<String>,
    /// Product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// Quantity (a number on the wire; py-pax8 modelled it as a string, PAX8-Q19).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub quantity: Option<Decimal>,
    /// Start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Pax8DateTime>,
    /// End (often date-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Pax8DateTime>,
    /// Creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<Pax8DateTime>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_date: Option<Pax8DateTime>,
    /// Billing start (a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_start: Option<Pax8DateTime>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SubscriptionStatus>,
    /// The customer's price.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub price: Option<Decimal>,
    /// The partner's price.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub partner_cost: Option<Decimal>,
    /// ISO 4217 currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Billing term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_term: Option<BillingTerm>,
    #[serde(
        default,
        rename = "commitmentTerm",
        skip_serializing_if = "Option::is_none"
    )]
    commitment_term_field: Option<CommitmentTerm>,
    #[serde(
        default,
        rename = "commitment",
        skip_serializing_if = "Option::is_none"
    )]
    commitment_field: Option<CommitmentTerm>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Subscription {
    /// The commitment, read from `commitmentTerm` or else from `commitment`; `None` for monthly
    /// subscriptions, which send `null` (PAX8-Q01).
    pub fn commitment_term(&self) -> Option<&CommitmentTerm> {
        self.commitment_term_field
            .as_ref()
            .or(self.commitment_field.as_ref())
    }
}

/// The commitment of a subscription (spec component `SubscriptionCommitment`, §5.20).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CommitmentTerm {
    /// Commitment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CommitmentId>,
    /// Term text, such as `3-Year`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// When the commitment ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Pax8DateTime>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Body of `PUT /subscriptions/{id}` (E20). The `PUT` acts as a partial update: only fields that
/// are set are sent (PAX8-Q12). There is deliberately no conversion from a fetched
/// [`Subscription`], because sending back a stale `price` overwrites the customer price.
///
/// At least one of `quantity`, `price`, `billing_term` and `start_date` must be set (checked on
/// the client unless built with [`SubscriptionUpdate::unchecked`]). `provisioning_details`
/// **replaces** the whole set of provisioning values; it does not merge. Quantity decreases and
/// billing-term changes are blocked during a commitment (PAX8-Q39), and the call is not supported
/// for future-dated subscriptions (PAX8-Q41).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubscriptionUpdate {
    /// New quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    /// New customer price.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "billing_http_core::lenient::opt_decimal_as_number"
    )]
    pub price: Option<Decimal>,
    /// New billing term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_term: Option<BillingTerm>,
    /// New start, written as RFC 3339.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339_opt::serialize"
    )]
    pub start_date: Option<DateTime<FixedOffset>>,
    /// New end, written as RFC 3339 (writability unverified).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339_opt::serialize"
    )]
    pub end_date: Option<DateTime<FixedOffset>>,
    /// Currency (writability unverified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Partner cost (writability unverified).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "billing_http_core::lenient::opt_decimal_as_number"
    )]
    pub partner_cost: Option<Decimal>,
    /// Replaces the full set of provisioning values (PAX8-Q12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_details: Option<Vec<ProvisioningValue>>,
    #[serde(skip)]
    unchecked: bool,
}

impl SubscriptionUpdate {
    /// An empty, checked update: [`SubscriptionUpdate::validate`] (run by
    /// `subscriptions().update`) refuses it until at least one of `quantity`, `price`,
    /// `billing_term` and `start_date` is set, as the spec requires.
    pub fn new() -> Self {
        Self::default()
    }

    /// An update that skips the one-of-four check, for example to send only
    /// `provisioning_details` (whether the server accepts that is unverified).
    ///
    /// **This can send a body the spec forbids.** The official spec requires at least one of
    /// `price`, `billingTerm`, `quantity` and `startDate` (an `anyOf` on the request body); an
    /// update built here without any of them is sent anyway, and a server that enforces the
    /// spec answers 400 or 422. Use it only to probe a server that is known to accept such
    /// updates; [`SubscriptionUpdate::new`] stays strict.
    pub fn unchecked() -> Self {
        Self {
            unchecked: true,
            ..Self::default()
        }
    }

    /// Sets the quantity.
    pub fn quantity(mut self, q: u32) -> Self {
        self.quantity = Some(q);
        self
    }

    /// Sets the customer price.
    pub fn price(mut self, p: Decimal) -> Self {
        self.price = Some(p);
        self
    }

    /// Sets the billing term.
    pub fn billing_term(mut self, t: BillingTerm) -> Self {
        self.billing_term = Some(t);
        self
    }

    /// Sets the start date.
    pub fn start_date(mut self, at: DateTime<FixedOffset>) -> Self {
        self.start_date = Some(at);
        self
    }

    /// Replaces the provisioning values (the full set, PAX8-Q12).
    pub fn provisioning_details(mut self, values: Vec<ProvisioningValue>) -> Self {
        self.provisioning_details = Some(values);
        self
    }

    /// Client-side check: at least one of `quantity`, `price`, `billingTerm`, `startDate`, unless
    /// built with [`SubscriptionUpdate::unchecked`] (then at least one field of any kind).
    pub fn validate(&self) -> Result<(), String> {
        let key_fields = self.quantity.is_some()
            || self.price.is_some()
            || self.billing_term.is_some()
            || self.start_date.is_some();
        if key_fields {
            return Ok(());
        }
        if self.unchecked {
            let any = self.end_date.is_some()
                || self.currency_code.is_some()
                || self.partner_cost.is_some()
                || self.provisioning_details.is_some();
            if any {
                return Ok(());
            }
            return Err("the subscription update sets no field".into());
        }
        Err("a subscription update needs at least one of quantity, price, billingTerm or startDate (use SubscriptionUpdate::unchecked() to bypass)".into())
    }
}
