//! Request bodies checked against the official Partner API spec's request schemas: `required`
//! lists, `anyOf`, property types, enums, `readOnly` properties never sent, and the
//! `Address.country` pattern (issue 13, point 1; PAX8-Q25).
//!
//! The schemas below restate the spec's request schemas (`Company`, `CompanyUpdate`,
//! `Contact`, `ContactType`, `Address`, `CreateOrder`, `CreateLineItem`, `ProvisioningDetail`
//! and the subscription `PUT` body); see `docs/pax8.md`.
#![allow(clippy::unwrap_used)]

mod support;

use pax8::model::*;
use serde_json::{Value, json};
use support::*;

/// The request schemas of the spec, restated: `required`, property kinds, read-only
/// properties, and the one `anyOf` (subscription `PUT`).
fn schema(name: &str) -> Value {
    let billing_terms = json!([
        "Monthly",
        "Annual",
        "2-Year",
        "3-Year",
        "One-Time",
        "Trial",
        "Activation"
    ]);
    match name {
        "Company" => json!({
            "required": ["name", "address", "phone", "website", "billOnBehalfOfEnabled",
                         "selfServiceAllowed", "orderApprovalRequired"],
            "properties": {
                "id": "readOnly", "status": "readOnly", "updatedDate": "readOnly",
                "name": "string", "address": {"ref": "Address"}, "phone": "string",
                "website": "string", "externalId": "string", "billOnBehalfOfEnabled": "boolean",
                "selfServiceAllowed": "boolean", "orderApprovalRequired": "boolean",
                "contacts": {"array": {"ref": "Contact"}}
            }
        }),
        "CompanyUpdate" => json!({
            "required": [],
            "minProperties": 1,
            "properties": {
                "id": "readOnly", "status": "readOnly",
                "name": "string", "address": {"ref": "Address"}, "phone": "string",
                "website": "string", "externalId": "string", "billOnBehalfOfEnabled": "boolean",
                "selfServiceAllowed": "boolean", "orderApprovalRequired": "boolean"
            }
        }),
        "Address" => json!({
            "required": [],
            "properties": {
                "street": "string", "street2": "string", "city": "string",
                "stateOrProvince": "string", "postalCode": "string",
                "country": {"pattern": "alpha2"}
            }
        }),
        "Contact" => json!({
            "required": ["firstName", "lastName", "email", "phone"],
            "properties": {
                "id": "readOnly", "createdDate": "readOnly",
                "firstName": "string", "lastName": "string", "email": "string",
                "phone": "string", "types": {"array": {"ref": "ContactType"}}
            }
        }),
        "ContactType" => json!({
            "required": [],
            "properties": {
                "type": {"enum": ["Admin", "Billing", "Technical"]},
                "primary": "boolean"
            }
        }),
        "CreateOrder" => json!({
            "required": ["companyId", "lineItems"],
            "properties": {
                "id": "readOnly", "createdDate": "readOnly", "orderedByUserId": "readOnly",
                "isScheduled": "readOnly",
                "companyId": "string",
                "orderedBy": {"enum": ["Pax8 Partner", "Customer", "Pax8"]},
                "orderedByUserEmail": "string",
                "lineItems": {"array": {"ref": "CreateLineItem"}}
            }
        }),
        // `companyId` is in `required` although not among the properties: a validator that
        // enforces the schema wants it, with any value (issue 13)
        "CreateLineItem" => json!({
            "required": ["productId", "companyId", "lineItemNumber", "quantity", "billingTerm"],
            "properties": {
                "id": "readOnly",
                "productId": "string", "companyId": "string", "commitmentTermId": "string",
                "provisionStartDate": "string", "lineItemNumber": "number",
                "billingTerm": {"enum": billing_terms},
                "parentSubscriptionId": "string", "parentLineItemNumber": "number",
                "quantity": "number",
                "provisioningDetails": {"array": {"ref": "ProvisioningDetail"}}
            }
        }),
        "ProvisioningDetail" => json!({
            "required": [],
            "properties": {
                "label": "readOnly", "description": "readOnly", "valueType": "readOnly",
                "possibleValues": "readOnly",
                "key": "string", "values": {"array": "string"}
            }
        }),
        // allOf[Subscription, anyOf[{required: [price]}, {required: [billingTerm]},
        // {required: [quantity]}, {required: [startDate]}]]
        "SubscriptionUpdate" => json!({
            "required": [],
            "anyOf": ["price", "billingTerm", "quantity", "startDate"],
            "properties": {
                "id": "readOnly", "parentSubscriptionId": "readOnly", "companyId": "readOnly",
                "productId": "readOnly", "vendorSubscriptionId": "readOnly",
                "vendorSkuId": "readOnly", "createdDate": "readOnly", "updatedDate": "readOnly",
                "billingStart": "readOnly", "status": "readOnly", "productName": "readOnly",
                "commitmentTerm": "readOnly",
                "quantity": "number", "startDate": "string", "endDate": "string",
                "price": "number", "currencyCode": "string", "partnerCost": "number",
                "billingTerm": {"enum": billing_terms},
                "provisioningDetails": {"array": {"ref": "ProvisioningDetail"}}
            }
        }),
        other => panic!("no schema {other}"),
    }
}

/// Every way `body` breaks schema `name`, as `path: problem` lines (empty: valid).
fn violations(name: &str, body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(name, body, name, &mut out);
    out
}

fn check(name: &str, body: &Value, at: &str, out: &mut Vec<String>) {
    let s = schema(name);
    let Some(obj) = body.as_object() else {
        out.push(format!("{at}: not an object"));
        return;
    };
    for key in s["required"].as_array().unwrap() {
        let key = key.as_str().unwrap();
        if !obj.contains_key(key) {
            out.push(format!("{at}: required {key} missing"));
        }
    }
    if let Some(any) = s["anyOf"].as_array()
        && !any.iter().any(|k| obj.contains_key(k.as_str().unwrap()))
    {
        out.push(format!("{at}: none of the anyOf properties {any:?}"));
    }
    if s["minProperties"]
        .as_u64()
        .is_some_and(|m| (obj.len() as u64) < m)
    {
        out.push(format!("{at}: empty"));
    }
    let props = s["properties"].as_object().unwrap();
    for (key, value) in obj {
        let here = format!("{at}.{key}");
        match props.get(key) {
            Some(kind) => check_kind(kind, value, &here, out),
            None if s["required"].as_array().unwrap().iter().any(|r| r == key) => {}
            None => out.push(format!("{here}: not a property of the schema")),
        }
    }
}

fn check_kind(kind: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let ok = match kind {
        Value::String(k) if k == "readOnly" => {
            out.push(format!("{at}: read-only property sent"));
            return;
        }
        Value::String(k) if k == "string" => value.is_string(),
        Value::String(k) if k == "number" => value.is_number(),
        Value::String(k) if k == "boolean" => value.is_boolean(),
        Value::Object(m) if m.contains_key("ref") => {
            check(m["ref"].as_str().unwrap(), value, at, out);
            return;
        }
        Value::Object(m) if m.contains_key("array") => {
            match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        check_kind(&m["array"], item, &format!("{at}[{i}]"), out);
                    }
                }
                None => out.push(format!("{at}: not an array")),
            }
            return;
        }
        Value::Object(m) if m.contains_key("enum") => {
            m["enum"].as_array().unwrap().iter().any(|e| e == value)
        }
        Value::Object(m) if m.contains_key("pattern") => value
            .as_str()
            .is_some_and(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())),
        other => panic!("unknown kind {other}"),
    };
    if !ok {
        out.push(format!("{at}: {value} does not match {kind}"));
    }
}

fn contact() -> ContactInput {
    ContactInput::new("Alex", "Sample", "alex.sample@example.org", "+1 555 0100")
}

fn address() -> Address {
    Address::new("1 Sample Road", "Exampleton", "EX1 2MP", "GB").with_state_or_province("Kent")
}

fn order() -> CreateOrder {
    CreateOrder::new("11111111-2222-4333-8444-555555555555")
        .ordered_by(OrderedBy::Pax8Partner)
        .ordered_by_user_email("buyer@example.org")
        .line(
            CreateLineItem::new(
                "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
                3,
                BillingTerm::Annual,
            )
            .commitment("99999999-8888-4777-8666-555555555555")
            .provisioning(ProvisioningValue::single("exampleDomainPrefix", "widgets")),
        )
        .line(
            CreateLineItem::new(
                "ffffffff-eeee-4ddd-8ccc-bbbbbbbbbbbb",
                3,
                BillingTerm::Monthly,
            )
            .parent_line(1),
        )
}

#[test]
fn pax8_q25_line_items_carry_company_id() {
    let prepared = order().prepared().unwrap();
    let v = serde_json::to_value(&prepared).unwrap();
    for (i, line) in v["lineItems"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            line["companyId"],
            json!("11111111-2222-4333-8444-555555555555"),
            "line {i} carries the order's company"
        );
        assert_eq!(line["lineItemNumber"], json!(i + 1), "numbering kept");
        assert!(line.get("subscriptionId").is_none() && line.get("id").is_none());
    }
    // a line may name its own company; it is kept
    let own = CreateOrder::new("c1")
        .line(CreateLineItem::new("p1", 1, BillingTerm::Monthly).company("c2"))
        .prepared()
        .unwrap();
    assert_eq!(own.line_items[0].company_id, Some(CompanyId::from("c2")));
}

#[tokio::test]
async fn pax8_q25_create_and_validate_send_spec_valid_orders() {
    let answer = json_reply(200, json!({"id": "o1", "companyId": "c1"}));
    let fake = Fake::answering("POST", "/v1/orders", answer);
    let (c, _) = client(&fake);
    c.orders().validate(&order()).await.unwrap();
    c.orders().create(&order()).await.unwrap();
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].q("isMock"), Some("true"));
    assert_eq!(calls[1].q("isMock"), None);
    for call in calls {
        assert_eq!(
            violations("CreateOrder", &call.json()),
            Vec::<String>::new(),
            "{}",
            call.json()
        );
    }
}

#[test]
fn request_bodies_satisfy_the_spec_schemas() {
    let cases: Vec<(&str, Value)> = vec![
        (
            "Company",
            serde_json::to_value(
                NewCompany::new(
                    "Example Widgets",
                    address(),
                    "+1 555 0100",
                    "widgets.example",
                )
                .external_id("psa-1")
                .with_primary_contact(contact()),
            )
            .unwrap(),
        ),
        (
            "Company",
            serde_json::to_value(NewCompany::new(
                "Example Widgets",
                Address::default(),
                "+1 555 0100",
                "widgets.example",
            ))
            .unwrap(),
        ),
        (
            "CompanyUpdate",
            serde_json::to_value(CompanyUpdate::new().name("New name").address(address())).unwrap(),
        ),
        (
            "Contact",
            serde_json::to_value(
                contact()
                    .with_type(ContactKind::Admin, true)
                    .with_type(ContactKind::Billing, false),
            )
            .unwrap(),
        ),
        ("Contact", serde_json::to_value(contact()).unwrap()),
        (
            "CreateOrder",
            serde_json::to_value(order().prepared().unwrap()).unwrap(),
        ),
    ];
    for (schema, body) in &cases {
        assert_eq!(violations(schema, body), Vec::<String>::new(), "{body}");
    }
    let updates = [
        SubscriptionUpdate::new().quantity(7),
        SubscriptionUpdate::new().price(rust_decimal::Decimal::new(1250, 2)),
        SubscriptionUpdate::new().billing_term(BillingTerm::Annual),
        SubscriptionUpdate::new()
            .start_date(chrono::DateTime::parse_from_rfc3339("2031-06-01T00:00:00Z").unwrap())
            .provisioning_details(vec![ProvisioningValue::single("k", "v")]),
    ];
    for u in updates {
        u.validate().unwrap();
        let body = serde_json::to_value(&u).unwrap();
        assert_eq!(
            violations("SubscriptionUpdate", &body),
            Vec::<String>::new(),
            "{body}"
        );
    }
}

#[test]
fn bodies_the_spec_forbids_are_refused_before_sending() {
    // the checker itself catches what the old crate sent: lines without companyId
    let old_line = json!({"companyId": "c1", "lineItems": [
        {"productId": "p1", "lineItemNumber": 1, "quantity": 1, "billingTerm": "Monthly"}
    ]});
    assert_eq!(
        violations("CreateOrder", &old_line),
        ["CreateOrder.lineItems[0]: required companyId missing"]
    );
    // an empty update and a country that is not alpha-2 are refused by the crate
    assert!(CompanyUpdate::new().validate().is_err());
    let named = Address::new("1 Sample Road", "Exampleton", "EX1 2MP", "United Kingdom");
    assert!(
        NewCompany::new("Example Widgets", named.clone(), "+1 555 0100", "w.example")
            .validate()
            .is_err()
    );
    assert!(CompanyUpdate::new().address(named).validate().is_err());
    assert!(CreateOrder::new("c1").prepared().is_err(), "no lines");
}

#[test]
fn subscription_update_unchecked_can_send_what_the_spec_forbids_and_new_cannot() {
    let details = vec![ProvisioningValue::single("adminEmail", "jdoe@example.org")];
    let strict = SubscriptionUpdate::new().provisioning_details(details.clone());
    assert!(strict.validate().is_err(), "new() stays strict");
    let loose = SubscriptionUpdate::unchecked().provisioning_details(details);
    loose.validate().unwrap();
    let body = serde_json::to_value(&loose).unwrap();
    assert_eq!(
        violations("SubscriptionUpdate", &body),
        [
            r#"SubscriptionUpdate: none of the anyOf properties [String("price"), String("billingTerm"), String("quantity"), String("startDate")]"#
        ],
        "unchecked() sends a body outside the spec's anyOf"
    );
}

#[tokio::test]
async fn new_company_with_a_country_name_is_refused_without_a_request() {
    let fake = Fake::new();
    let (c, _) = client(&fake);
    let company = NewCompany::new(
        "Example Widgets",
        Address::new("1 Sample Road", "Exampleton", "EX1 2MP", "Belgium"),
        "+1 555 0100",
        "widgets.example",
    );
    let err = c.companies().create(&company).await.unwrap_err();
    assert!(
        err.is_invalid_input() && !err.may_have_reached_server(),
        "{err}"
    );
    assert!(
        fake.seen().is_empty(),
        "nothing sent, not even a token call"
    );
}
