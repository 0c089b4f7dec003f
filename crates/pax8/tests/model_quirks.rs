//! Quirk tests that need no client: decoding and request-body shapes (PAX8-Qnn, §8).
#![allow(clippy::unwrap_used)]

use pax8::StatusCode;
use pax8::error::{ApiError, ErrorBody, parse_error_body};
use pax8::model::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn decode<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn pax8_q01_commitment_aliases() {
    let term = json!({"id": "c-1", "term": "3-Year", "endDate": "2034-05-31T23:59:59Z"});
    let other = json!({"id": "c-2", "term": "Annual"});
    let a: Subscription = decode(json!({"id": "s1", "commitmentTerm": term}));
    let b: Subscription = decode(json!({"id": "s2", "commitment": term}));
    let c: Subscription = decode(json!({"id": "s3", "commitmentTerm": null}));
    let d: Subscription = decode(json!({"id": "s4", "commitmentTerm": term, "commitment": other}));
    assert_eq!(a.commitment_term().unwrap().term.as_deref(), Some("3-Year"));
    assert_eq!(
        b.commitment_term().unwrap().id,
        Some(CommitmentId::from("c-1"))
    );
    assert!(c.commitment_term().is_none());
    assert_eq!(
        d.commitment_term().unwrap().id,
        Some(CommitmentId::from("c-1"))
    );
    assert!(
        a.commitment_term()
            .unwrap()
            .end_date
            .as_ref()
            .unwrap()
            .to_utc()
            .is_some()
    );
}

#[test]
fn pax8_q02_ordered_by_spellings() {
    let a: Order = decode(json!({"orderedBy": "Pax8Partner"}));
    let b: Order = decode(json!({"orderedBy": "Pax8 Partner"}));
    assert_eq!(a.ordered_by, Some(OrderedBy::Pax8Partner));
    assert_eq!(b.ordered_by, Some(OrderedBy::Pax8Partner));
    assert_eq!(
        serde_json::to_value(OrderedBy::Pax8Partner).unwrap(),
        json!("Pax8 Partner")
    );
    let c: Order = decode(json!({"orderedBy": "SomethingNew"}));
    assert_eq!(
        c.ordered_by,
        Some(OrderedBy::Unknown("SomethingNew".into()))
    );
    let order = CreateOrder::new("c1")
        .ordered_by(OrderedBy::from_wire("Pax8Partner"))
        .line(CreateLineItem::new("p1", 1, BillingTerm::Monthly));
    let body = serde_json::to_value(order.prepared().unwrap()).unwrap();
    assert_eq!(body["orderedBy"], json!("Pax8 Partner"));
}

#[test]
fn pax8_q03_contact_phone_fields() {
    let all: Contact = decode(json!({
        "id": "k1", "phone": "+1 555 0100", "phoneNumber": "5550100",
        "phoneCountryCode": "US", "phoneCountryCallingCode": "+1"
    }));
    assert_eq!(all.phone_number.as_deref(), Some("5550100"));
    assert_eq!(all.phone_country_code.as_deref(), Some("US"));
    assert_eq!(all.phone_country_calling_code(), Some("+1"));
    let none: Contact = decode(json!({"id": "k2"}));
    assert!(none.phone_country_calling_code().is_none() && none.phone_number.is_none());
    let lower: Contact = decode(json!({"id": "k3", "phoneCountryCallingcode": "+44"}));
    assert_eq!(lower.phone_country_calling_code(), Some("+44"));
    assert!(
        lower.extra.is_empty(),
        "lowercase-c spelling is modelled, not extra"
    );
    let input = serde_json::to_value(all.to_input()).unwrap();
    let keys: Vec<&str> = input
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(keys.contains(&"phone"));
    assert!(
        keys.iter()
            .all(|k| !k.starts_with("phone") || *k == "phone"),
        "{keys:?}"
    );
}

#[test]
fn pax8_q04_rate_type_casing() {
    let cases = [
        ("single", InvoiceRateType::Single),
        ("Single", InvoiceRateType::Single),
        ("FLAT", InvoiceRateType::Flat),
        (
            "flat (Single price for any quantity)",
            InvoiceRateType::Flat,
        ),
        ("Markup", InvoiceRateType::Markup),
        ("weird", InvoiceRateType::Unknown("weird".into())),
    ];
    for (raw, want) in cases {
        assert_eq!(InvoiceRateType::from_wire(raw), want, "{raw}");
    }
    assert_eq!(InvoiceChargeType::from_wire("Per"), InvoiceChargeType::Per);
    assert_eq!(
        InvoiceChargeType::from_wire("FLAT"),
        InvoiceChargeType::Flat
    );
    let item: InvoiceItem = decode(json!({"rateType": "Flat", "chargeType": "Per"}));
    assert_eq!(item.rate_type, Some(InvoiceRateType::Flat));
    assert_eq!(item.charge_type, Some(InvoiceChargeType::Per));
}

#[test]
fn pax8_q08_provision_details_body_key() {
    let line = CreateLineItem::new("p1", 1, BillingTerm::Monthly)
        .provisioning(ProvisioningValue::single("k", "v"));
    let v = serde_json::to_value(&line).unwrap();
    assert!(v.get("provisioningDetails").is_some());
    let upd = SubscriptionUpdate::new()
        .quantity(2)
        .provisioning_details(vec![ProvisioningValue::single("k", "v")]);
    let v = serde_json::to_value(&upd).unwrap();
    assert!(v.get("provisioningDetails").is_some());
    assert!(v.get("provisioning_details").is_none());
}

#[test]
fn pax8_q09_contact_input_has_no_company_id() {
    let input = ContactInput::new("Jane", "Doe", "jane.doe@example.org", "+1 555 0100")
        .with_type(ContactKind::Admin, true);
    let v = serde_json::to_value(&input).unwrap();
    assert!(v.get("companyId").is_none());
    assert_eq!(v["firstName"], json!("Jane"));
}

#[test]
fn pax8_q10_company_update_sends_only_set_fields() {
    let update = CompanyUpdate::new().name("Example Widgets");
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"name": "Example Widgets"})
    );
    assert!(CompanyUpdate::new().is_empty());
    assert!(!update.is_empty());
}

#[test]
fn pax8_q12_subscription_update_partial() {
    let upd = SubscriptionUpdate::new().quantity(7);
    assert_eq!(serde_json::to_value(&upd).unwrap(), json!({"quantity": 7}));
    upd.validate().unwrap();
    let only_details =
        SubscriptionUpdate::new().provisioning_details(vec![ProvisioningValue::single(
            "adminEmail",
            "jdoe@example.org",
        )]);
    assert!(only_details.validate().is_err());
    let unchecked =
        SubscriptionUpdate::unchecked().provisioning_details(vec![ProvisioningValue::single(
            "adminEmail",
            "jdoe@example.org",
        )]);
    unchecked.validate().unwrap();
    assert_eq!(
        serde_json::to_value(&unchecked).unwrap(),
        json!({"provisioningDetails": [{"key": "adminEmail", "values": ["jdoe@example.org"]}]})
    );
    assert!(SubscriptionUpdate::unchecked().validate().is_err());
    // a JSON number (request bodies are `serde_json::Value`s: 12.50 is written 12.5)
    let priced = SubscriptionUpdate::new().price(dec("12.50"));
    assert_eq!(serde_json::to_string(&priced).unwrap(), r#"{"price":12.5}"#);
}

#[test]
fn pax8_q13_order_status_lands_in_extra() {
    let order: Order = decode(json!({"id": "o1", "status": "Completed"}));
    assert_eq!(order.extra.get("status"), Some(&json!("Completed")));
}

#[test]
fn pax8_q16_lenient_dates() {
    let cases: &[(&str, &str)] = &[
        ("2031-04-05T06:07:08Z", "offset"),
        ("2031-04-05T06:07:08.123+02:00", "offset"),
        ("2031-04-05T06:07:08.123-0600", "offset"),
        ("2031-04-05T06:07:08", "local"),
        ("2031-04-05", "date"),
        ("not a date", "unparsed"),
    ];
    for (raw, want) in cases {
        let v: Pax8DateTime = serde_json::from_value(json!(raw)).unwrap();
        let got = match v.parsed() {
            ParsedDateTime::WithOffset(_) => "offset",
            ParsedDateTime::Local(_) => "local",
            ParsedDateTime::Date(_) => "date",
            _ => "unparsed",
        };
        assert_eq!(got, *want, "{raw}");
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            json!(raw),
            "round trip of {raw}"
        );
    }
    let no_colon = Pax8DateTime::parse("2031-04-05T06:07:08.123-0600");
    assert_eq!(
        no_colon.to_utc().unwrap().to_rfc3339(),
        "2031-04-05T12:07:08.123+00:00"
    );
    assert_eq!(
        Pax8DateTime::parse("2031-04-05").date(),
        chrono::NaiveDate::from_ymd_opt(2031, 4, 5)
    );
}

#[test]
fn pax8_q17_ids_are_strings() {
    let p: Product = decode(json!({"id": "aaaa-not-a-uuid", "name": "Example"}));
    assert_eq!(p.id.unwrap().as_str(), "aaaa-not-a-uuid");
    let id = ProductId::from("ABCDEFG-zzzz");
    assert_eq!(id.to_string(), "ABCDEFG-zzzz", "no change of case");
    assert_eq!(
        pax8::paths::Endpoint::GetProduct.path(&["a/b c"]).unwrap(),
        "/products/a%2Fb%20c",
        "ids are percent-encoded in paths"
    );
}

#[test]
fn pax8_q18_invoice_status() {
    let values = [
        ("Unpaid", InvoiceStatus::Unpaid),
        ("Paid", InvoiceStatus::Paid),
        ("Void", InvoiceStatus::Void),
        ("Carried", InvoiceStatus::Carried),
        ("Nothing Due", InvoiceStatus::NothingDue),
        ("Credited", InvoiceStatus::Credited),
    ];
    for (raw, want) in values {
        let inv: Invoice = decode(json!({"id": "i1", "status": raw}));
        assert_eq!(inv.status, Some(want));
    }
    let missing: Invoice = decode(json!({"id": "i1"}));
    assert_eq!(missing.status, None);
    let odd: Invoice = decode(json!({"status": "Disputed"}));
    assert_eq!(odd.status, Some(InvoiceStatus::Unknown("Disputed".into())));
}

#[test]
fn pax8_q19_numbers() {
    for (raw, want) in [
        (json!(41), "41"),
        (json!(41.0), "41"),
        (json!(12.75), "12.75"),
        (json!(3.125), "3.125"),
        (json!("5"), "5"),
    ] {
        let s: Subscription = decode(json!({"price": raw}));
        assert_eq!(s.price.unwrap().normalize(), dec(want).normalize(), "{raw}");
    }
    let p: PageInfo =
        decode(json!({"size": 10.0, "totalElements": "115", "totalPages": 11, "number": 0}));
    assert_eq!(p.size, Some(10));
    assert_eq!(p.total_elements, Some(115));
    // issue 13: a fractional page size is not a count, but it never fails the page
    let odd = serde_json::from_value::<PageInfo>(json!({"size": 1.5, "number": 2})).unwrap();
    assert_eq!((odd.size, odd.number), (None, Some(2)));
    let sum: Decimal = [json!(0.1), json!(0.2)]
        .into_iter()
        .map(|v| {
            decode::<Rate>(json!({"partnerBuyRate": v}))
                .partner_buy_rate
                .unwrap()
        })
        .sum();
    assert_eq!(sum, dec("0.3"), "decimal money sums exactly");
}

#[test]
fn pax8_q22_enum_round_trip() {
    fn check<T>(values: &[&str])
    where
        T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        for v in values.iter().copied().chain(["Brand New Value"]) {
            let parsed: T = serde_json::from_value(json!(v)).unwrap();
            assert_eq!(
                serde_json::to_value(&parsed).unwrap(),
                json!(v),
                "{parsed:?}"
            );
        }
    }
    check::<CompanyStatus>(CompanyStatus::known_values());
    check::<ContactKind>(ContactKind::known_values());
    check::<BillingTerm>(BillingTerm::known_values());
    check::<SubscriptionStatus>(SubscriptionStatus::known_values());
    check::<InvoiceStatus>(InvoiceStatus::known_values());
    check::<InvoiceItemType>(InvoiceItemType::known_values());
    check::<InvoiceItemTerm>(InvoiceItemTerm::known_values());
    check::<InvoiceRateType>(InvoiceRateType::known_values());
    check::<InvoiceChargeType>(InvoiceChargeType::known_values());
    check::<PricingType>(PricingType::known_values());
    check::<RateChargeType>(RateChargeType::known_values());
    check::<ProvisioningValueType>(ProvisioningValueType::known_values());
    check::<OrderedBy>(OrderedBy::known_values());
    check::<SortDirection>(SortDirection::known_values());
    check::<CompanySortField>(CompanySortField::known_values());
    check::<ProductSortField>(ProductSortField::known_values());
    check::<SubscriptionSortField>(SubscriptionSortField::known_values());
    check::<InvoiceSortField>(InvoiceSortField::known_values());
    check::<UsageSummarySortField>(UsageSummarySortField::known_values());
}

#[test]
fn pax8_q22_unknown_fields_are_kept_in_extra() {
    let c: Company = decode(json!({"id": "c1", "brandNewField": {"x": 1}}));
    assert_eq!(c.extra.get("brandNewField"), Some(&json!({"x": 1})));
    let back = serde_json::to_value(&c).unwrap();
    assert_eq!(
        back["brandNewField"],
        json!({"x": 1}),
        "extra survives a round trip"
    );
}

#[test]
fn pax8_q23_commitment_term_id_casing() {
    let line = CreateLineItem::new("p1", 1, BillingTerm::Annual).commitment("cm-1");
    let v = serde_json::to_value(&line).unwrap();
    assert_eq!(v["commitmentTermId"], json!("cm-1"));
    assert!(v.get("commitmentTermID").is_none());
    let read: LineItem = decode(json!({"commitmentTermID": "cm-2"}));
    assert_eq!(read.commitment_term_id(), Some(&CommitmentId::from("cm-2")));
    let both: LineItem = decode(json!({"commitmentTermId": "cm-3", "commitmentTermID": "cm-2"}));
    assert_eq!(both.commitment_term_id(), Some(&CommitmentId::from("cm-3")));
}

#[test]
fn pax8_q25_line_item_rules() {
    let order = CreateOrder::new("c1")
        .line(CreateLineItem::new("p1", 3, BillingTerm::Annual))
        .line(CreateLineItem::new("p2", 3, BillingTerm::Monthly).parent_line(1));
    let prepared = order.prepared().unwrap();
    let numbers: Vec<_> = prepared
        .line_items
        .iter()
        .map(|l| l.line_item_number)
        .collect();
    assert_eq!(numbers, vec![Some(1), Some(2)]);
    let v = serde_json::to_value(&prepared).unwrap();
    for line in v["lineItems"].as_array().unwrap() {
        // the spec's `CreateLineItem.required` lists companyId (PAX8-Q25)
        assert_eq!(line["companyId"], json!("c1"));
        assert!(line.get("subscriptionId").is_none());
        assert!(line.get("lineItemNumber").is_some());
    }
    let dangling = CreateOrder::new("c1")
        .line(CreateLineItem::new("p1", 1, BillingTerm::Annual).parent_line(9));
    assert!(dangling.prepared().is_err());
    assert!(CreateOrder::new("c1").prepared().is_err(), "no lines");
    let mixed = CreateOrder::new("c1")
        .line(CreateLineItem::new("p1", 1, BillingTerm::Annual).number(1))
        .line(CreateLineItem::new("p2", 1, BillingTerm::Annual));
    let numbers: Vec<_> = mixed
        .prepared()
        .unwrap()
        .line_items
        .iter()
        .map(|l| l.line_item_number)
        .collect();
    assert_eq!(numbers, vec![Some(1), Some(2)]);
}

#[test]
fn pax8_q28_error_shapes() {
    let envelope = br#"{"type":"UNPROCESSABLE_ENTITY","message":"Quantity invalid","instance":"/public/v1/subscriptions/s1","status":422,"details":[{"type":"FIELD","message":"quantity must be positive","status":422}]}"#;
    let e = ApiError::from_response(StatusCode::from_u16(422).unwrap(), envelope, None);
    assert_eq!(e.message().as_deref(), Some("Quantity invalid"));
    assert_eq!(
        e.details()[0].message.as_deref(),
        Some("quantity must be positive")
    );
    let flat = br#"{"errors":["Quantity cannot be decreased during commitment"]}"#;
    let e = ApiError::from_response(StatusCode::from_u16(422).unwrap(), flat, None);
    assert_eq!(
        e.errors(),
        ["Quantity cannot be decreased during commitment"]
    );
    assert_eq!(
        e.message().as_deref(),
        Some("Quantity cannot be decreased during commitment")
    );
    let string_status = br#"{"message":"bad","details":[{"message":"m","status":"422"}]}"#;
    let e = ApiError::from_response(StatusCode::from_u16(400).unwrap(), string_status, None);
    assert_eq!(e.details()[0].status, Some(422));
    let html = b"<html><body>502 Bad Gateway</body></html>";
    let e = ApiError::from_response(StatusCode::from_u16(502).unwrap(), html, None);
    assert_eq!(e.body, ErrorBody::Raw);
    assert!(e.raw.contains("502 Bad Gateway"));
    let empty = ApiError::from_response(StatusCode::from_u16(500).unwrap(), b"", None);
    assert_eq!(empty.body, ErrorBody::Raw);
    assert_eq!(empty.raw, "");
    assert!(matches!(
        parse_error_body(br#"{"error":"access_denied","error_description":"Example"}"#),
        ErrorBody::OAuth(ref o) if o.error == "access_denied"
    ));
}

#[test]
fn pax8_q29_instance_is_kept_verbatim() {
    let body = br#"{"type":"NOT_FOUND","message":"Company Not Found","instance":"/public/v1/companies/c1","status":404,"details":[]}"#;
    let e = ApiError::from_response(StatusCode::from_u16(404).unwrap(), body, None);
    assert_eq!(e.instance(), Some("/public/v1/companies/c1"));
}

#[test]
fn pax8_q30_envelopes_decode() {
    let paged: Page<Company> = decode(
        json!({"content": [{"id": "c1"}], "page": {"size": 200, "totalElements": 1, "totalPages": 1, "number": 0}}),
    );
    assert_eq!(paged.content.len(), 1);
    assert!(paged.page.is_some());
    let content_only: Page<Pricing> =
        decode(json!({"content": [{"billingTerm": "Monthly", "rates": [{"partnerBuyRate": 1}]}]}));
    assert!(content_only.page.is_none());
    let deps: Dependencies = decode(
        json!({"commitmentDependencies": [{"id": "cm", "term": "Annual"}], "productDependencies": null}),
    );
    assert_eq!(deps.commitment_dependencies.len(), 1);
    assert!(deps.product_dependencies.is_empty());
    let single: Invoice = decode(json!({"id": "i1", "total": 10}));
    assert_eq!(single.total, Some(dec("10")));
}

#[test]
fn pax8_q34_enum_spellings() {
    assert_eq!(
        InvoiceItemType::from_wire("payment-credit"),
        InvoiceItemType::PaymentCredit
    );
    assert_eq!(
        InvoiceItemType::from_wire("payment_credit"),
        InvoiceItemType::PaymentCredit
    );
    assert_eq!(
        InvoiceItemType::from_wire("One-Time"),
        InvoiceItemType::OneTime
    );
    for s in ["One-Time", "One-time", "One Time", "one_time"] {
        assert_eq!(
            InvoiceItemTerm::from_wire(s),
            InvoiceItemTerm::OneTime,
            "{s}"
        );
    }
    assert_eq!(
        InvoiceItemTerm::from_wire("3 Year"),
        InvoiceItemTerm::ThreeYear
    );
    assert_eq!(
        InvoiceItemTerm::ThreeYear.to_billing_term(),
        Some(BillingTerm::ThreeYear)
    );
    assert_ne!(
        InvoiceItemTerm::ThreeYear.as_str(),
        BillingTerm::ThreeYear.as_str()
    );
    assert_eq!(
        RateChargeType::from_wire("per_unit"),
        RateChargeType::PerUnit
    );
    assert_eq!(
        RateChargeType::from_wire("Flat Rate"),
        RateChargeType::FlatRate
    );
    assert_eq!(
        RateChargeType::from_wire("flat_rate"),
        RateChargeType::FlatRate
    );
    let d: ProvisioningDetail = decode(json!({"valueType": 2}));
    assert_eq!(
        d.value_type,
        Some(ProvisioningValueType::Unknown("2".into()))
    );
    assert_eq!(
        InvoiceStatus::from_wire("Credited"),
        InvoiceStatus::Credited
    );
}

#[test]
fn pax8_q36_minimal_objects() {
    let empty = json!({});
    let _: Company = decode(empty.clone());
    let _: Contact = decode(empty.clone());
    let _: Product = decode(empty.clone());
    let _: ProvisioningDetail = decode(empty.clone());
    let _: Dependencies = decode(empty.clone());
    let _: Commitment = decode(empty.clone());
    let _: Pricing = decode(empty.clone());
    let _: Rate = decode(empty.clone());
    let _: Order = decode(empty.clone());
    let _: LineItem = decode(empty.clone());
    let _: Subscription = decode(empty.clone());
    let _: Invoice = decode(empty.clone());
    let _: InvoiceItem = decode(empty.clone());
    let _: UsageSummary = decode(empty.clone());
    let _: UsageLine = decode(empty.clone());
    let _: Page<Order> = decode(empty);
    let s: UsageSummary = decode(json!({"id": "u1"}));
    assert_eq!(s.id, Some(UsageSummaryId::from("u1")));
    assert!(s.company_id.is_none());
}

#[test]
fn pax8_q37_company_activation() {
    let company = NewCompany::new(
        "Example Widgets",
        Address::new("1 Sample Road", "Exampleton", "EX1 2MP", "GB"),
        "+44 20 0000 0000",
        "widgets.example",
    )
    .with_primary_contact(ContactInput::new(
        "Jane",
        "Doe",
        "jane.doe@example.org",
        "+44 20 0000 0001",
    ));
    let v = serde_json::to_value(&company).unwrap();
    assert_eq!(
        v["contacts"][0]["types"],
        json!([
            {"type": "Admin", "primary": true},
            {"type": "Billing", "primary": true},
            {"type": "Technical", "primary": true}
        ])
    );
    let c: Company = decode(json!({"status": "Inactive"}));
    assert_eq!(c.status, Some(CompanyStatus::Inactive));
    let bare = NewCompany::new("X", Address::default(), "1", "x.example");
    assert!(
        serde_json::to_value(&bare)
            .unwrap()
            .get("contacts")
            .is_none()
    );
}

#[test]
fn pax8_q38_contact_types_shape() {
    let input = ContactInput::new("Jane", "Doe", "jane.doe@example.org", "+1 555 0100")
        .with_type(ContactKind::Billing, false);
    let v = serde_json::to_value(&input).unwrap();
    assert_eq!(v["types"], json!([{"type": "Billing", "primary": false}]));
    let c: Contact = decode(json!({"types": [{"type": "Technical", "primary": true}]}));
    assert!(c.is_primary_for(&ContactKind::Technical));
}

#[test]
fn pax8_q39_commitment_selection() {
    let deps: Dependencies = decode(json!({"commitmentDependencies": [
        {"id": "annual", "term": "Annual"},
        {"id": "three", "term": "3-Year"}
    ]}));
    assert_eq!(
        deps.commitment_for(&BillingTerm::Annual).unwrap().id,
        Some(CommitmentId::from("annual"))
    );
    assert_eq!(
        deps.commitment_for(&BillingTerm::TwoYear).unwrap().id,
        Some(CommitmentId::from("three"))
    );
    assert_eq!(
        deps.commitment_for(&BillingTerm::Monthly).unwrap().id,
        Some(CommitmentId::from("annual"))
    );
    let product: Product = decode(json!({"id": "p1", "requiresCommitment": true}));
    assert!(CreateLineItem::checked(&product, 1, BillingTerm::Annual, None).is_err());
    assert!(
        CreateLineItem::checked(&product, 1, BillingTerm::Annual, Some("annual".into())).is_ok()
    );
}

#[test]
fn pax8_q40_provisioning_shape() {
    let v = ProvisioningValue::single("k", "v");
    assert_eq!(
        serde_json::to_value(&v).unwrap(),
        json!({"key": "k", "values": ["v"]})
    );
    let field: ProvisioningDetail =
        decode(json!({"key": "k", "valueType": "Single-Value", "possibleValues": ["a", "b"]}));
    assert!(
        ProvisioningValue::single("k", "a")
            .validate_against(&field)
            .is_ok()
    );
    assert!(
        ProvisioningValue::single("k", "v")
            .validate_against(&field)
            .is_err()
    );
    assert!(
        ProvisioningValue::multi("k", ["a", "b"])
            .validate_against(&field)
            .is_err()
    );
    let free: ProvisioningDetail =
        decode(json!({"key": "k", "valueType": "Input", "possibleValues": null}));
    assert!(
        ProvisioningValue::single("k", "anything")
            .validate_against(&free)
            .is_ok()
    );
    let s: Subscription = decode(json!({"status": "WaitingForDetails"}));
    assert_eq!(s.status, Some(SubscriptionStatus::WaitingForDetails));
}

#[test]
fn pax8_q41_is_scheduled() {
    let o: Order = decode(json!({"id": "o1", "isScheduled": true}));
    assert_eq!(o.is_scheduled, Some(true));
}

#[test]
fn pax8_q52_address_formats() {
    let c: Company = decode(
        json!({"address": {"country": "United Kingdom", "stateOrProvince": "Sampleshire", "postalCode": 12345}}),
    );
    let a = c.address.unwrap();
    assert_eq!(a.country.as_deref(), Some("United Kingdom"));
    assert_eq!(a.postal_code.as_deref(), Some("12345"));
    assert!(!a.country_is_alpha2());
    assert!(Address::new("1 Road", "Town", "1", "GB").country_is_alpha2());
}
