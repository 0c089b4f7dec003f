//! Orders (§5.14–§5.17).
//!
//! Orders have no status, and `GET /orders?status=` is silently ignored by the server
//! (PAX8-Q13): fulfilment state lives on the subscriptions the line items reference.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datetime::rfc3339_opt;
use super::de;
use super::{
    BillingTerm, CommitmentId, CompanyId, LineItemId, OrderId, OrderedBy, Pax8DateTime, ProductId,
    ProvisioningDetail, ProvisioningValue, SubscriptionId, UserId,
};

/// An order (E15–E17). There is no `status` field; an unexpected one lands in `extra`
/// (PAX8-Q13).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Order {
    /// Order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<OrderId>,
    /// The company the order is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<CompanyId>,
    /// Creation date (declared as a date; the examples are bare dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<Pax8DateTime>,
    /// Who placed it (`Pax8Partner` and `Pax8 Partner` both decode, PAX8-Q02).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_by: Option<OrderedBy>,
    /// The user who placed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_by_user_id: Option<UserId>,
    /// E-mail of the user who placed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_by_user_email: Option<String>,
    /// `true` for future-dated orders, which the `companyId` filter and by-id lookups do not
    /// support (PAX8-Q41).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub is_scheduled: Option<bool>,
    /// Line items.
    #[serde(default, deserialize_with = "de::null_default")]
    pub line_items: Vec<LineItem>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A line item of an order (§5.17).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LineItem {
    /// Line item id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<LineItemId>,
    /// Product ordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// The subscription this line created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<SubscriptionId>,
    /// Commitment term id, as `commitmentTermId`. Prefer [`LineItem::commitment_term_id`],
    /// which also reads the `commitmentTermID` spelling (PAX8-Q23).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment_term_id: Option<CommitmentId>,
    #[serde(
        default,
        rename = "commitmentTermID",
        skip_serializing_if = "Option::is_none"
    )]
    commitment_term_id_upper: Option<CommitmentId>,
    /// Provisioning start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision_start_date: Option<Pax8DateTime>,
    /// Line number (usually absent on reads; a `number` in the spec).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub line_item_number: Option<Decimal>,
    /// Billing term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_term: Option<BillingTerm>,
    /// Parent subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_subscription_id: Option<SubscriptionId>,
    /// Parent line number (a `number` in the spec).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub parent_line_item_number: Option<Decimal>,
    /// Quantity.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_decimal"
    )]
    pub quantity: Option<Decimal>,
    /// Provisioning details (usually absent on reads).
    #[serde(
        default,
        deserialize_with = "de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub provisioning_details: Vec<ProvisioningDetail>,
    /// Fields this crate does not model, kept verbatim (PAX8-Q22).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl LineItem {
    /// The commitment term id from `commitmentTermId`, or else `commitmentTermID` (PAX8-Q23).
    pub fn commitment_term_id(&self) -> Option<&CommitmentId> {
        self.commitment_term_id
            .as_ref()
            .or(self.commitment_term_id_upper.as_ref())
    }
}

/// Body of `POST /orders` (E16). Read-only `id`, `createdDate`, `orderedByUserId` and
/// `isScheduled` are never sent. The company must be `Active` (PAX8-Q37).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateOrder {
    /// The company ordering.
    pub company_id: CompanyId,
    /// Who places the order; `Pax8Partner` is written `Pax8 Partner` (PAX8-Q02).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_by: Option<OrderedBy>,
    /// E-mail of the user placing the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_by_user_email: Option<String>,
    /// Lines (at least one).
    pub line_items: Vec<CreateLineItem>,
}

impl CreateOrder {
    /// An order for `company_id` with no lines yet.
    pub fn new(company_id: impl Into<CompanyId>) -> Self {
        Self {
            company_id: company_id.into(),
            ordered_by: None,
            ordered_by_user_email: None,
            line_items: Vec::new(),
        }
    }

    /// Adds a line. Lines without a number are numbered on [`CreateOrder::prepared`].
    pub fn line(mut self, line: CreateLineItem) -> Self {
        self.line_items.push(line);
        self
    }

    /// Sets `orderedBy`.
    pub fn ordered_by(mut self, by: OrderedBy) -> Self {
        self.ordered_by = Some(by);
        self
    }

    /// Sets `orderedByUserEmail`.
    pub fn ordered_by_user_email(mut self, email: impl Into<String>) -> Self {
        self.ordered_by_user_email = Some(email.into());
        self
    }

    /// The order as it will be sent (PAX8-Q25): every line carries `companyId` (the order's
    /// unless the line sets its own), unnumbered lines get the numbers 1..n in order (skipping
    /// numbers already taken), line numbers must be unique, every `parentLineItemNumber` must
    /// name a line of this order, and there must be at least one line. Errors are client-side
    /// validation messages.
    pub fn prepared(&self) -> Result<CreateOrder, String> {
        if self.line_items.is_empty() {
            return Err("an order needs at least one line item".into());
        }
        let mut out = self.clone();
        for line in &mut out.line_items {
            if line.company_id.is_none() {
                line.company_id = Some(self.company_id.clone());
            }
        }
        let mut taken: HashSet<u32> = HashSet::new();
        for line in &out.line_items {
            if let Some(n) = line.line_item_number
                && !taken.insert(n)
            {
                return Err(format!("duplicate lineItemNumber {n}"));
            }
        }
        let mut next = 1u32;
        for line in &mut out.line_items {
            if line.line_item_number.is_none() {
                while taken.contains(&next) {
                    next += 1;
                }
                line.line_item_number = Some(next);
                taken.insert(next);
            }
        }
        for line in &out.line_items {
            if let Some(parent) = line.parent_line_item_number
                && (!taken.contains(&parent) || Some(parent) == line.line_item_number)
            {
                return Err(format!(
                    "parentLineItemNumber {parent} does not refer to another line of this order"
                ));
            }
        }
        Ok(out)
    }
}

/// One line of [`CreateOrder`] (§5.15). The official spec's `CreateLineItem` schema requires
/// `productId`, `companyId`, `lineItemNumber`, `quantity` and `billingTerm`: `companyId` is
/// taken from the order and `lineItemNumber` numbered 1..n unless set here (PAX8-Q25).
/// `subscriptionId` and `id` are never sent; the commitment id is spelled `commitmentTermId`
/// (PAX8-Q23).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateLineItem {
    /// Product to order.
    pub product_id: ProductId,
    /// The ordering company; `None` is filled in from [`CreateOrder::company_id`] before
    /// sending (the spec requires it on every line, PAX8-Q25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<CompanyId>,
    /// Line number; `None` is filled in 1..n before sending (PAX8-Q25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_item_number: Option<u32>,
    /// Quantity (a whole number).
    pub quantity: u32,
    /// Billing term.
    pub billing_term: BillingTerm,
    /// Commitment id; required for products with `requiresCommitment` (PAX8-Q39).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitment_term_id: Option<CommitmentId>,
    /// Provisioning start, written as RFC 3339.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339_opt::serialize"
    )]
    pub provision_start_date: Option<DateTime<FixedOffset>>,
    /// Existing subscription this line depends on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_subscription_id: Option<SubscriptionId>,
    /// Line of the same order this line depends on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_line_item_number: Option<u32>,
    /// Provisioning values (skipped when empty; key `provisioningDetails`, PAX8-Q08).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provisioning_details: Vec<ProvisioningValue>,
}

impl CreateLineItem {
    /// A line for `quantity` units of `product_id` on `billing_term`.
    pub fn new(product_id: impl Into<ProductId>, quantity: u32, billing_term: BillingTerm) -> Self {
        Self {
            product_id: product_id.into(),
            company_id: None,
            line_item_number: None,
            quantity,
            billing_term,
            commitment_term_id: None,
            provision_start_date: None,
            parent_subscription_id: None,
            parent_line_item_number: None,
            provisioning_details: Vec::new(),
        }
    }

    /// A line checked against what is known of the product (PAX8-Q39): when the product has
    /// `requiresCommitment: true`, a commitment id must be given. Advisory only.
    pub fn checked(
        product: &super::Product,
        quantity: u32,
        billing_term: BillingTerm,
        commitment_term_id: Option<CommitmentId>,
    ) -> Result<Self, String> {
        let product_id = product
            .id
            .clone()
            .ok_or_else(|| "the product has no id".to_owned())?;
        if product.requires_commitment == Some(true) && commitment_term_id.is_none() {
            return Err(format!(
                "product {product_id} requires a commitmentTermId (see products().dependencies())"
            ));
        }
        let mut line = Self::new(product_id, quantity, billing_term);
        line.commitment_term_id = commitment_term_id;
        Ok(line)
    }

    /// Sets the line's company explicitly (by default the order's company is sent).
    pub fn company(mut self, id: impl Into<CompanyId>) -> Self {
        self.company_id = Some(id.into());
        self
    }

    /// Sets the line number explicitly.
    pub fn number(mut self, n: u32) -> Self {
        self.line_item_number = Some(n);
        self
    }

    /// Sets the commitment term id.
    pub fn commitment(mut self, id: impl Into<CommitmentId>) -> Self {
        self.commitment_term_id = Some(id.into());
        self
    }

    /// Sets the provisioning start.
    pub fn provision_start(mut self, at: DateTime<FixedOffset>) -> Self {
        self.provision_start_date = Some(at);
        self
    }

    /// Sets the parent line of the same order.
    pub fn parent_line(mut self, n: u32) -> Self {
        self.parent_line_item_number = Some(n);
        self
    }

    /// Sets the parent subscription.
    pub fn parent_subscription(mut self, id: impl Into<SubscriptionId>) -> Self {
        self.parent_subscription_id = Some(id.into());
        self
    }

    /// Adds a provisioning value.
    pub fn provisioning(mut self, value: ProvisioningValue) -> Self {
        self.provisioning_details.push(value);
        self
    }
}
