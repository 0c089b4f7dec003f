//! Wire enums, declared with http-core's shared `wire_enum!`. Every enum is `#[non_exhaustive]`, has an `Unknown(String)` variant that keeps the
//! raw value, parses through an infallible `FromStr`, and serialises through `as_str()` (§6,
//! PAX8-Q22). Parsing tolerates the spelling drift recorded in PAX8-Q02, PAX8-Q04 and PAX8-Q34.

use std::fmt;

use billing_http_core::wire::{WireMatch, normalise};
use billing_http_core::wire_enum;

wire_enum! {
    /// `Company.status` and the companies `status` filter.
    pub enum CompanyStatus (Exact) {
        /// The company can order.
        Active => "Active",
        /// The company lacks primary contacts (PAX8-Q37) or was deactivated.
        Inactive => "Inactive",
        /// The company was deleted.
        Deleted => "Deleted",
    }
}

wire_enum! {
    /// `ContactType.type`.
    pub enum ContactKind (Exact) {
        /// Administrative contact.
        Admin => "Admin",
        /// Billing contact.
        Billing => "Billing",
        /// Technical contact.
        Technical => "Technical",
    }
}

wire_enum! {
    /// Billing term of pricing, subscriptions and order lines.
    pub enum BillingTerm (Exact) {
        /// Billed monthly.
        Monthly => "Monthly",
        /// Billed annually.
        Annual => "Annual",
        /// Two-year term.
        TwoYear => "2-Year",
        /// Three-year term.
        ThreeYear => "3-Year",
        /// One-time charge.
        OneTime => "One-Time",
        /// Trial.
        Trial => "Trial",
        /// Activation charge.
        Activation => "Activation",
    }
}

impl BillingTerm {
    /// Length of the term in months (`Monthly` 1, `Annual` 12, `2-Year` 24, `3-Year` 36), used to
    /// match commitment terms (PAX8-Q39). `None` for the others.
    pub fn duration_months(&self) -> Option<u32> {
        match self {
            Self::Monthly => Some(1),
            Self::Annual => Some(12),
            Self::TwoYear => Some(24),
            Self::ThreeYear => Some(36),
            _ => None,
        }
    }

    /// Parses a commitment `term` string such as `3-Year`, `3 Year`, `1-Year` or `Annual`.
    pub fn from_term_text(term: &str) -> Self {
        match normalise(WireMatch::Loose, term).as_ref() {
            "1-year" | "annual" | "12-months" | "1-yr" => Self::Annual,
            "2-year" | "24-months" | "2-years" => Self::TwoYear,
            "3-year" | "36-months" | "3-years" => Self::ThreeYear,
            "monthly" | "1-month" | "month-to-month" => Self::Monthly,
            _ => Self::from_wire(term),
        }
    }
}

wire_enum! {
    /// `Subscription.status` and the subscriptions `status` filter.
    pub enum SubscriptionStatus (Exact) {
        /// Active.
        Active => "Active",
        /// Cancelled.
        Cancelled => "Cancelled",
        /// Waiting for manual provisioning.
        PendingManual => "PendingManual",
        /// Waiting for automated provisioning.
        PendingAutomated => "PendingAutomated",
        /// Cancellation pending.
        PendingCancel => "PendingCancel",
        /// Missing provisioning details (PAX8-Q40).
        WaitingForDetails => "WaitingForDetails",
        /// Trial.
        Trial => "Trial",
        /// Converted (from a trial).
        Converted => "Converted",
        /// Waiting for activation (products that need activation).
        PendingActivation => "PendingActivation",
        /// Activated (products that need activation).
        Activated => "Activated",
    }
}

wire_enum! {
    /// `Invoice.status` (on the wire though not in the schema, PAX8-Q18) and the invoices filter.
    pub enum InvoiceStatus (Exact) {
        /// Unpaid.
        Unpaid => "Unpaid",
        /// Paid.
        Paid => "Paid",
        /// Void.
        Void => "Void",
        /// Carried into a later invoice.
        Carried => "Carried",
        /// Nothing due (note the space on the wire).
        NothingDue => "Nothing Due",
        /// Credited (newer spec, filter only).
        Credited => "Credited",
    }
}

wire_enum! {
    /// `InvoiceItem.type`; hyphens, underscores and case are tolerated (PAX8-Q34).
    pub enum InvoiceItemType (Loose) {
        /// Rebate.
        Rebate => "rebate",
        /// Proration.
        Prorate => "prorate",
        /// Subscription charge.
        Subscription => "subscription",
        /// Payment credit.
        PaymentCredit => "payment-credit",
        /// One-time charge.
        OneTime => "one-time",
        /// Service charge.
        ServiceCharge => "service-charge",
        /// Service credit.
        ServiceCredit => "service-credit",
        /// Invoice credit.
        InvoiceCredit => "invoice-credit",
    }
}

wire_enum! {
    /// `InvoiceItem.term`: its own vocabulary, distinct from [`BillingTerm`] (PAX8-Q34).
    /// Case-insensitive; `One-Time`, `One-time` and `One Time` are one variant.
    pub enum InvoiceItemTerm (Loose) {
        /// Three years (`3 Year`).
        ThreeYear => "3 Year",
        /// Annual.
        Annual => "Annual",
        /// Two years (`2 Year`).
        TwoYear => "2 Year",
        /// Activation.
        Activation => "Activation",
        /// One-time.
        OneTime => "One-Time" | "One-time",
        /// Charged in arrears.
        Arrears => "Arrears",
        /// Trial.
        Trial => "Trial",
        /// Rebate.
        Rebate => "Rebate",
        /// Monthly.
        Monthly => "Monthly",
    }
}

impl InvoiceItemTerm {
    /// The matching [`BillingTerm`], where one exists (PAX8-Q34).
    pub fn to_billing_term(&self) -> Option<BillingTerm> {
        match self {
            Self::ThreeYear => Some(BillingTerm::ThreeYear),
            Self::TwoYear => Some(BillingTerm::TwoYear),
            Self::Annual => Some(BillingTerm::Annual),
            Self::Monthly => Some(BillingTerm::Monthly),
            Self::OneTime => Some(BillingTerm::OneTime),
            Self::Trial => Some(BillingTerm::Trial),
            Self::Activation => Some(BillingTerm::Activation),
            _ => None,
        }
    }
}

wire_enum! {
    /// `InvoiceItem.rateType`; case-insensitive on the leading word (PAX8-Q04).
    pub enum InvoiceRateType (LeadingWord) {
        /// Mark-up pricing.
        Markup => "markup",
        /// Single price for any quantity.
        Single => "single",
        /// Flat price.
        Flat => "flat",
        /// Volume pricing.
        Volume => "volume",
        /// Tiered pricing.
        Tiered => "tiered",
    }
}

wire_enum! {
    /// `InvoiceItem.chargeType`; case-insensitive on the leading word (PAX8-Q04).
    pub enum InvoiceChargeType (LeadingWord) {
        /// Flat charge.
        Flat => "flat",
        /// Per-unit charge.
        Per => "per",
    }
}

wire_enum! {
    /// `Pricing.type`.
    pub enum PricingType (IgnoreCase) {
        /// Flat.
        Flat => "Flat",
        /// Volume.
        Volume => "Volume",
        /// Tiered.
        Tiered => "Tiered",
        /// Mark-up.
        MarkUp => "Mark-Up" | "Markup",
    }
}

wire_enum! {
    /// `Rate.chargeType`; also accepts py-pax8's `per_unit` / `flat_rate` (PAX8-Q34).
    pub enum RateChargeType (Loose) {
        /// Charged per unit.
        PerUnit => "Per Unit",
        /// One flat rate.
        FlatRate => "Flat Rate",
    }
}

wire_enum! {
    /// `ProvisioningDetail.valueType`. A number (py-pax8 modelled these as integers) arrives as
    /// `Unknown("<n>")`.
    pub enum ProvisioningValueType (IgnoreCase) {
        /// Free text input.
        Input => "Input",
        /// Exactly one of `possibleValues`.
        SingleValue => "Single-Value",
        /// Any subset of `possibleValues`.
        MultiValue => "Multi-Value",
    }
}

wire_enum! {
    /// Who placed an order. `Pax8Partner` is received both as `Pax8 Partner` and `Pax8Partner`,
    /// and always sent as `Pax8 Partner` (PAX8-Q02).
    pub enum OrderedBy (Exact) {
        /// The partner.
        Pax8Partner => "Pax8 Partner" | "Pax8Partner",
        /// The end customer.
        Customer => "Customer",
        /// Pax8 itself.
        Pax8 => "Pax8",
    }
}

wire_enum! {
    /// Direction suffix of a `sort` value.
    pub enum SortDirection (IgnoreCase) {
        /// Ascending.
        Asc => "asc",
        /// Descending.
        Desc => "desc",
    }
}

wire_enum! {
    /// Sort fields of `GET /companies`.
    pub enum CompanySortField (Exact) {
        /// `name`.
        Name => "name",
        /// `city`.
        City => "city",
        /// `country`.
        Country => "country",
        /// `stateOrProvince`.
        StateOrProvince => "stateOrProvince",
        /// `postalCode`.
        PostalCode => "postalCode",
    }
}

wire_enum! {
    /// Sort fields of `GET /products` (`vendor`, not `vendorName`).
    pub enum ProductSortField (Exact) {
        /// `name`.
        Name => "name",
        /// `vendor`.
        Vendor => "vendor",
    }
}

wire_enum! {
    /// Sort fields of `GET /subscriptions`.
    pub enum SubscriptionSortField (Exact) {
        /// `quantity`.
        Quantity => "quantity",
        /// `startDate`.
        StartDate => "startDate",
        /// `endDate`.
        EndDate => "endDate",
        /// `createdDate`.
        CreatedDate => "createdDate",
        /// `billingStart`.
        BillingStart => "billingStart",
        /// `price`.
        Price => "price",
    }
}

wire_enum! {
    /// Sort fields of `GET /invoices`.
    pub enum InvoiceSortField (Exact) {
        /// `invoiceDate`.
        InvoiceDate => "invoiceDate",
        /// `dueDate`.
        DueDate => "dueDate",
        /// `status`.
        Status => "status",
        /// `partnerName`.
        PartnerName => "partnerName",
        /// `total`.
        Total => "total",
        /// `balance`.
        Balance => "balance",
        /// `carriedBalance`.
        CarriedBalance => "carriedBalance",
    }
}

wire_enum! {
    /// Sort fields of `GET /subscriptions/{id}/usage-summaries`.
    pub enum UsageSummarySortField (Exact) {
        /// `resourceGroup`.
        ResourceGroup => "resourceGroup",
        /// `currentCharges`.
        CurrentCharges => "currentCharges",
        /// `partnerTotal`.
        PartnerTotal => "partnerTotal",
    }
}

/// Which month `GET /invoices/draftItems` reports (`monthOffset`). There is deliberately no
/// `Default`: the server defaults to *next* month, which surprises callers (PAX8-Q43).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DraftMonth {
    /// The current month (`monthOffset=0`).
    Current,
    /// Next month (`monthOffset=1`, the server's default).
    Next,
}

impl DraftMonth {
    /// An English label for people (`Current month`, `Next month`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Current => "Current month",
            Self::Next => "Next month",
        }
    }

    /// The `monthOffset` value sent on the wire.
    pub fn month_offset(self) -> u8 {
        match self {
            Self::Current => 0,
            Self::Next => 1,
        }
    }
}

/// A field a list endpoint sorts by, and how that endpoint writes the direction (PAX8-Q31).
///
/// The spec's `sort` enums differ per endpoint: subscriptions list `field,direction` pairs
/// (`quantity,asc`, `price,desc`), while companies, products, invoices and usage summaries
/// list bare field names (`name`, `vendor`, `invoiceDate`, `partnerTotal`) and describe the
/// Spring-style `field,direction` form in prose. A server that enforces those enums refuses
/// `name,asc`, so an ascending sort is sent as the bare field there (valid under both
/// readings) and a descending one as `field,desc` (the form the spec describes).
pub trait SortField: fmt::Display {
    /// `true` when the endpoint's `sort` enum lists `field,direction` pairs, so an ascending
    /// sort is written `field,asc` (subscriptions); `false` when it lists bare fields, so an
    /// ascending sort is written as the bare field.
    const PAIRED: bool;
}

macro_rules! sort_fields {
    ($($ty:ty => $paired:expr),* $(,)?) => {$(
        impl SortField for $ty {
            const PAIRED: bool = $paired;
        }
    )*};
}

sort_fields! {
    CompanySortField => false,
    ProductSortField => false,
    InvoiceSortField => false,
    UsageSummarySortField => false,
    SubscriptionSortField => true,
}

/// A typed `sort` value: one query value, never a separate direction parameter (PAX8-Q31).
/// How it is written depends on the endpoint ([`SortField`]): `Sort::asc(CompanySortField::Name)`
/// sends `sort=name`, `Sort::desc(CompanySortField::Name)` sends `sort=name,desc`,
/// `Sort::asc(SubscriptionSortField::Price)` sends `sort=price,asc`. Every list query also has
/// a `sort_raw` setter, sent verbatim, for values this type cannot express.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Sort<F> {
    /// The field to sort by.
    pub field: F,
    /// The direction.
    pub direction: SortDirection,
}

impl<F> Sort<F> {
    /// Ascending by `field`.
    pub fn asc(field: F) -> Self {
        Self {
            field,
            direction: SortDirection::Asc,
        }
    }

    /// Descending by `field`.
    pub fn desc(field: F) -> Self {
        Self {
            field,
            direction: SortDirection::Desc,
        }
    }
}

impl<F: SortField> Sort<F> {
    /// The wire value: `field` or `field,desc`, or `field,asc|desc` where the endpoint lists
    /// pairs (see [`SortField`]).
    pub fn to_query_value(&self) -> String {
        self.to_string()
    }
}

impl<F: SortField> fmt::Display for Sort<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if F::PAIRED || self.direction != SortDirection::Asc {
            write!(f, "{},{}", self.field, self.direction)
        } else {
            write!(f, "{}", self.field)
        }
    }
}
