//! No valid response is refused (issue 13, point 4): objects generated from the official
//! spec's response schemas, each inside a page, always decode, every item decodes, and no
//! value is lost (a value the model cannot type is kept raw in its `extra`).
//!
//! The schemas below restate the spec's components (`Company`, `Contact`, `Product`,
//! `ProductDetail`, `Dependencies`, `Commitment`, `ProductDependency`, `Pricing`, `Rate`,
//! `Order`, `LineItem`, `Subscription`, `SubscriptionCommitment`, `Invoice`, `InvoiceItem`,
//! `UsageSummary`, `UsageLine`, `Page`): property names and declared types. A `number` is any
//! JSON number (integers, fractions, negatives, exponents, values beyond `Decimal`'s range); a
//! `string` is any text (formats such as `uuid` and `date-time` are not validated by the
//! crate, PAX8-Q16, PAX8-Q17); the `Page` block's untyped fields are any JSON value.
#![allow(clippy::unwrap_used)]

use pax8::{Model, Page};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Str,
    Num,
    Bool,
    Enum(&'static [&'static str]),
    Obj(&'static str),
    Arr(&'static Kind),
    /// No type declared (the `Page` block): any JSON value.
    Any,
}

use Kind::*;

const BILLING_TERMS: &[&str] = &[
    "Monthly",
    "Annual",
    "2-Year",
    "3-Year",
    "One-Time",
    "Trial",
    "Activation",
];

/// The properties of a schema, as the spec declares them.
fn schema(name: &str) -> Vec<(&'static str, Kind)> {
    match name {
        "Company" => vec![
            ("id", Str),
            ("name", Str),
            ("address", Obj("Address")),
            ("phone", Str),
            ("website", Str),
            ("externalId", Str),
            ("billOnBehalfOfEnabled", Bool),
            ("selfServiceAllowed", Bool),
            ("orderApprovalRequired", Bool),
            ("status", Enum(&["Active", "Inactive", "Deleted"])),
            ("updatedDate", Str),
        ],
        "Address" => vec![
            ("street", Str),
            ("street2", Str),
            ("city", Str),
            ("stateOrProvince", Str),
            ("postalCode", Str),
            ("country", Str),
        ],
        "Contact" => vec![
            ("id", Str),
            ("firstName", Str),
            ("lastName", Str),
            ("email", Str),
            ("phone", Str),
            ("createdDate", Str),
            ("types", Arr(&Obj("ContactType"))),
        ],
        "ContactType" => vec![
            ("type", Enum(&["Admin", "Billing", "Technical"])),
            ("primary", Bool),
        ],
        "Product" | "ProductDetail" => {
            let mut p = vec![
                ("id", Str),
                ("name", Str),
                ("vendorName", Str),
                ("shortDescription", Str),
                ("sku", Str),
                ("vendorSku", Str),
                ("altVendorSku", Str),
                ("requiresCommitment", Bool),
            ];
            if name == "ProductDetail" {
                p.push(("description", Str));
            }
            p
        }
        "Dependencies" => vec![
            ("commitmentDependencies", Arr(&Obj("Commitment"))),
            ("productDependencies", Arr(&Obj("ProductDependency"))),
        ],
        "ProductDependency" => vec![("name", Str), ("products", Arr(&Obj("Product")))],
        "Commitment" => vec![
            ("id", Str),
            ("term", Str),
            ("autoRenew", Bool),
            ("renewalWindowDaysBeforeTermEnd", Num),
            ("renewalWindowDaysAfterTermEnd", Num),
            ("allowForQuantityIncrease", Bool),
            ("allowForQuantityDecrease", Bool),
            ("allowForEarlyCancellation", Bool),
            ("cancellationFeeApplied", Bool),
            ("isTransferable", Bool),
        ],
        "Pricing" => vec![
            ("productId", Str),
            ("productName", Str),
            ("billingTerm", Enum(BILLING_TERMS)),
            ("commitmentTerm", Str),
            ("commitmentTermInMonths", Num),
            ("type", Enum(&["Flat", "Volume", "Tiered", "Mark-Up"])),
            ("unitOfMeasurement", Str),
            // the spec leaves out `type: array` here (PAX8-Q35); its items are Rates
            ("rates", Arr(&Obj("Rate"))),
        ],
        "Rate" => vec![
            ("partnerBuyRate", Num),
            ("suggestedRetailPrice", Num),
            ("startQuantityRange", Num),
            ("endQuantityRange", Num),
            ("chargeType", Enum(&["Per Unit", "Flat Rate"])),
        ],
        "Order" => vec![
            ("id", Str),
            ("companyId", Str),
            ("createdDate", Str),
            ("orderedBy", Enum(&["Pax8 Partner", "Customer", "Pax8"])),
            ("orderedByUserId", Str),
            ("orderedByUserEmail", Str),
            ("isScheduled", Bool),
            ("lineItems", Arr(&Obj("LineItem"))),
        ],
        "LineItem" => vec![
            ("id", Str),
            ("productId", Str),
            ("subscriptionId", Str),
            ("commitmentTermId", Str),
            ("provisionStartDate", Str),
            ("lineItemNumber", Num),
            ("billingTerm", Enum(BILLING_TERMS)),
            ("parentSubscriptionId", Str),
            ("parentLineItemNumber", Num),
            ("quantity", Num),
            ("provisioningDetails", Arr(&Obj("ProvisioningDetail"))),
        ],
        "ProvisioningDetail" => vec![
            ("label", Str),
            ("key", Str),
            ("values", Arr(&Str)),
            ("description", Str),
            ("valueType", Enum(&["Input", "Single-Value", "Multi-Value"])),
            ("possibleValues", Arr(&Str)),
        ],
        "Subscription" => vec![
            ("id", Str),
            ("parentSubscriptionId", Str),
            ("companyId", Str),
            ("productId", Str),
            ("vendorSubscriptionId", Str),
            ("vendorSkuId", Str),
            ("quantity", Num),
            ("startDate", Str),
            ("endDate", Str),
            ("createdDate", Str),
            ("updatedDate", Str),
            ("billingStart", Str),
            (
                "status",
                Enum(&[
                    "Active",
                    "Cancelled",
                    "PendingManual",
                    "PendingAutomated",
                    "PendingCancel",
                    "WaitingForDetails",
                    "Trial",
                    "Converted",
                    "PendingActivation",
                    "Activated",
                ]),
            ),
            ("price", Num),
            ("currencyCode", Str),
            ("partnerCost", Num),
            ("productName", Str),
            ("billingTerm", Enum(BILLING_TERMS)),
            ("commitmentTerm", Obj("SubscriptionCommitment")),
        ],
        "SubscriptionCommitment" => vec![("id", Str), ("term", Str), ("endDate", Str)],
        "Invoice" => vec![
            ("id", Str),
            ("invoiceDate", Str),
            ("dueDate", Str),
            ("balance", Num),
            ("carriedBalance", Num),
            ("total", Num),
            ("currencyCode", Str),
            ("partnerName", Str),
            ("companyId", Str),
            ("externalId", Str),
        ],
        "InvoiceItem" => vec![
            ("id", Str),
            ("purchaseOrderNumber", Str),
            (
                "type",
                Enum(&[
                    "rebate",
                    "prorate",
                    "subscription",
                    "payment-credit",
                    "one-time",
                    "service-charge",
                    "service-credit",
                    "invoice-credit",
                ]),
            ),
            ("companyId", Str),
            ("externalId", Str),
            ("companyName", Str),
            ("startPeriod", Str),
            ("endPeriod", Str),
            ("quantity", Num),
            ("unitOfMeasure", Str),
            (
                "term",
                Enum(&[
                    "3 Year",
                    "Annual",
                    "2 Year",
                    "Activation",
                    "One-Time",
                    "Arrears",
                    "Trial",
                    "Rebate",
                    "One-time",
                    "Monthly",
                ]),
            ),
            ("sku", Str),
            ("description", Str),
            ("details", Str),
            (
                "rateType",
                Enum(&[
                    "markup (Percentage based markup over to be determined base cost)",
                    "single (Single price for any quantity, same as flat)",
                    "flat (Single price for any quantity, same as single)",
                    "volume (Price scales linearly with quantity)",
                    "tiered (Price dependant on quantity)",
                ]),
            ),
            ("chargeType", Enum(&["flat", "per"])),
            ("price", Num),
            ("subTotal", Num),
            ("cost", Num),
            ("costTotal", Num),
            ("offeredBy", Str),
            ("billedByPax8", Bool),
            ("total", Num),
            ("productId", Str),
            ("productName", Str),
            ("billingFee", Num),
            ("billingFeeRate", Num),
            ("amountDue", Num),
            ("currencyCode", Str),
            ("salesTax", Num),
            ("subscriptionId", Str),
            ("vendorName", Str),
        ],
        "UsageSummary" => vec![
            ("id", Str),
            ("companyId", Str),
            ("productId", Str),
            ("resourceGroup", Str),
            ("vendorName", Str),
            ("currentCharges", Num),
            ("currencyCode", Str),
            ("partnerTotal", Num),
            ("isTrial", Bool),
        ],
        "UsageLine" => vec![
            ("usageSummaryId", Str),
            ("usageDate", Str),
            ("productName", Str),
            ("productId", Str),
            ("unitOfMeasure", Str),
            ("quantity", Num),
            ("currentCharges", Num),
            ("currentProfit", Num),
            ("partnerTotal", Num),
            ("unitPrice", Num),
            ("currencyCode", Str),
            ("isTrial", Bool),
        ],
        "Page" => vec![
            ("size", Num),
            ("totalElements", Any),
            ("totalPages", Any),
            ("number", Any),
        ],
        other => panic!("no schema {other}"),
    }
}

/// Any JSON number: integers, fractions, negatives, exponents, huge and tiny values.
fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1_000_000i64..1_000_000, 0u32..6).prop_map(|(m, d)| {
            let text = format!("{}", m as f64 / 10f64.powi(d as i32));
            serde_json::from_str(&text).unwrap()
        }),
        any::<f64>()
            .prop_filter("json numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "1e30",
            "-2.5E+40",
            "1e-30",
            "0.1234567890123456789012345678901234",
            "123456789012345678901234567890",
            "-0",
            "0.0",
            "3.0",
            // not "1e400": beyond f64's range no `serde_json::Value` holds it (the SDK does not
            // turn on serde_json's arbitrary_precision)
        ])
        .prop_map(|t| serde_json::from_str(t).unwrap()),
    ]
    .boxed()
}

fn any_json() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        ".{0,8}".prop_map(Value::String),
        Just(json!({"nested": [1, "two"]})),
    ]
    .boxed()
}

fn value(kind: Kind, depth: u32) -> BoxedStrategy<Value> {
    match kind {
        Str => ".{0,12}".prop_map(Value::String).boxed(),
        Num => number(),
        Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Enum(values) => prop::sample::select(values.to_vec())
            .prop_map(|v| Value::String(v.to_owned()))
            .boxed(),
        Obj(name) => object(name, depth + 1),
        Arr(_) if depth > 3 => Just(json!([])).boxed(),
        Arr(item) => prop::collection::vec(value(*item, depth + 1), 0..3)
            .prop_map(Value::Array)
            .boxed(),
        Any => any_json(),
    }
}

/// An object of schema `name`: each property present or not, with a value of its type.
fn object(name: &str, depth: u32) -> BoxedStrategy<Value> {
    let props: Vec<BoxedStrategy<Option<(String, Value)>>> = schema(name)
        .into_iter()
        .map(|(key, kind)| {
            prop::option::weighted(0.7, value(kind, depth))
                .prop_map(move |v| v.map(|v| (key.to_owned(), v)))
                .boxed()
        })
        .collect();
    props
        .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect::<Map<_, _>>()))
        .boxed()
}

/// Pages of 0 to 4 objects of schema `name`, with a generated page block.
fn page(name: &'static str) -> impl Strategy<Value = (Value, usize)> {
    (
        prop::collection::vec(object(name, 0), 0..5),
        prop::option::weighted(0.9, object("Page", 0)),
    )
        .prop_map(|(items, block)| {
            let n = items.len();
            let mut page = json!({"content": items});
            if let Some(b) = block {
                page["page"] = b;
            }
            (page, n)
        })
}

/// Decodes the page and checks that every item decoded and lost nothing: every key of an item
/// comes back when the model is serialised (as a typed field or raw in `extra`).
fn check<T: Model + serde::Serialize + std::fmt::Debug>(
    (page, n): (Value, usize),
) -> Result<(), TestCaseError> {
    let decoded: Page<T> = serde_json::from_value(page.clone())
        .map_err(|e| TestCaseError::fail(format!("page refused: {e}")))?;
    prop_assert!(decoded.invalid.is_empty(), "{:?}", decoded.invalid);
    prop_assert_eq!(decoded.content.len(), n);
    let sent = page["content"].as_array().unwrap();
    for (item, raw) in decoded.content.iter().zip(sent) {
        let back = serde_json::to_value(item).unwrap();
        for (key, v) in raw.as_object().unwrap() {
            if v.as_array().is_some_and(|a| a.is_empty()) {
                continue; // empty lists are not written back
            }
            prop_assert!(
                back.get(key).is_some(),
                "{} was lost from {} (decoded as {:?})",
                key,
                raw,
                item
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn companies_decode(p in page("Company")) { check::<pax8::Company>(p)?; }

    #[test]
    fn contacts_decode(p in page("Contact")) { check::<pax8::Contact>(p)?; }

    #[test]
    fn products_decode(p in page("ProductDetail")) { check::<pax8::Product>(p)?; }

    #[test]
    fn dependencies_decode(p in page("Dependencies")) { check::<pax8::Dependencies>(p)?; }

    #[test]
    fn pricing_decodes(p in page("Pricing")) { check::<pax8::Pricing>(p)?; }

    #[test]
    fn orders_decode(p in page("Order")) { check::<pax8::Order>(p)?; }

    #[test]
    fn subscriptions_and_history_decode(p in page("Subscription")) {
        check::<pax8::Subscription>(p)?;
    }

    #[test]
    fn invoices_decode(p in page("Invoice")) { check::<pax8::Invoice>(p)?; }

    #[test]
    fn invoice_items_decode(p in page("InvoiceItem")) { check::<pax8::InvoiceItem>(p)?; }

    #[test]
    fn usage_summaries_decode(p in page("UsageSummary")) { check::<pax8::UsageSummary>(p)?; }

    #[test]
    fn usage_lines_decode(p in page("UsageLine")) { check::<pax8::UsageLine>(p)?; }
}

#[test]
fn spec_numbers_decode_as_decimals_and_counts_accept_whole_floats() {
    let deps: Page<pax8::Dependencies> = serde_json::from_value(json!({"content": [
        {"commitmentDependencies": [{"renewalWindowDaysBeforeTermEnd": 2.5,
                                      "renewalWindowDaysAfterTermEnd": -3}]}
    ]}))
    .unwrap();
    let c = &deps.content[0].commitment_dependencies[0];
    assert_eq!(
        c.renewal_window_days_before_term_end,
        Some("2.5".parse().unwrap())
    );
    assert_eq!(
        c.renewal_window_days_after_term_end,
        Some("-3".parse().unwrap())
    );
    let pricing: Page<pax8::Pricing> =
        serde_json::from_value(json!({"content": [{"commitmentTermInMonths": 36.0}]})).unwrap();
    assert_eq!(
        pricing.content[0].commitment_term_in_months,
        Some("36".parse().unwrap())
    );
    let block: Page<pax8::Order> = serde_json::from_value(json!({
        "content": [{"id": "o1"}],
        "page": {"size": 3.0, "totalElements": 12.0, "totalPages": "4", "number": 0.0}
    }))
    .unwrap();
    let info = block.page.unwrap();
    assert_eq!(
        (
            info.size,
            info.total_elements,
            info.total_pages,
            info.number
        ),
        (Some(3), Some(12), Some(4), Some(0))
    );
}

#[test]
fn a_value_beyond_decimal_range_is_kept_raw() {
    let page: Page<pax8::Invoice> = serde_json::from_value(
        serde_json::from_str(r#"{"content": [{"id": "i1", "total": 1e40, "balance": 12.5}]}"#)
            .unwrap(),
    )
    .unwrap();
    let invoice = &page.content[0];
    assert_eq!(invoice.total, None);
    assert_eq!(invoice.balance, Some("12.5".parse().unwrap()));
    let raw = invoice.extra.get("total").unwrap();
    assert_eq!(raw.to_string().parse::<f64>().unwrap(), 1e40);
}
