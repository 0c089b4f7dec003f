//! Model-level quirk tests (CS-Q01 ... CS-Q05, CS-Q13, CS-Q16, CS-Q18, CS-Q21, CS-Q22).
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use chrono::NaiveDate;
use cloudspot::model::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const ARTIKEL_FULL: &str = include_str!("data/artikel_full.json");
const KLANT_FULL: &str = include_str!("data/klant_full.json");

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Every leaf of a serialised model is set: no `null`, no empty list.
fn assert_all_set(v: &Value, what: &str) {
    let obj = v.as_object().unwrap();
    for (k, v) in obj {
        assert!(!v.is_null(), "{what}.{k} is null after decoding");
        if let Some(a) = v.as_array() {
            assert!(!a.is_empty(), "{what}.{k} is empty after decoding");
        }
    }
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn cs_q01_every_field_populated() {
    let input: Value = serde_json::from_str(ARTIKEL_FULL).unwrap();
    assert_eq!(
        input.as_object().unwrap().len(),
        28,
        "fixture sets all 28 Article keys"
    );
    let a: Article = serde_json::from_str(ARTIKEL_FULL).unwrap();
    let out = serde_json::to_value(&a).unwrap();
    assert_all_set(&out, "Article");
    assert_eq!(
        keys(&out),
        keys(&input),
        "re-serialising gives the same key set"
    );
    for nested in ["fotos", "prijscategorieen", "samenstellingen"] {
        assert_all_set(&out[nested][0], nested);
    }

    let input: Value = serde_json::from_str(KLANT_FULL).unwrap();
    assert_eq!(
        input.as_object().unwrap().len(),
        16,
        "fixture sets all 16 Customer keys"
    );
    let k: Customer = serde_json::from_str(KLANT_FULL).unwrap();
    let out = serde_json::to_value(&k).unwrap();
    assert_all_set(&out, "Customer");
    assert_eq!(keys(&out), keys(&input));

    insta::assert_json_snapshot!(
        "cs_q01_wire_keys",
        json!({ "article": keys(&serde_json::to_value(&a).unwrap()), "customer": keys(&out) })
    );
}

#[test]
fn cs_q01_dutch_keys_map_to_documented_english_fields() {
    let a: Article = serde_json::from_str(ARTIKEL_FULL).unwrap();
    assert_eq!(a.id, Some(ArticleId(101)));
    assert_eq!(a.name.as_deref(), Some("Voorbeeldolie 5W-30"));
    assert_eq!(a.brand_id, Some(BrandId(12)));
    assert_eq!(a.category_id, Some(CategoryId(7)));
    assert_eq!(a.stock_tracking, Some(StockTracking::Physical));
    assert!(a.tracks_physical_stock());
    assert_eq!(a.stock, Some(dec("42.0")));
    assert_eq!(a.sales_price_excl_vat, Some(dec("8.26")));
    assert_eq!(a.sales_price_incl_vat, Some(dec("9.99")));
    assert_eq!(a.order_type, Some(OrderType::Order));
    assert_eq!(a.units_per_order, Some(dec("6")));
    assert_eq!(a.status, Some(ArticleStatus::Visible));
    assert_eq!(
        a.main_photo().and_then(|f| f.url.as_deref()),
        Some("https://example.com/img/vb-5w30.jpg")
    );
    let tier = &a.price_categories[0];
    assert_eq!(tier.kind.as_deref(), Some("VOORBEELD"));
    assert_eq!(tier.discount, Some(dec("10")));
    assert_eq!(a.usage_instructions[0].language.as_deref(), Some("nl"));
    assert_eq!(
        a.raw_materials[0].language_display.as_deref(),
        Some("Frans")
    );
    assert_eq!(
        a.categories[0].children[0].name.as_deref(),
        Some("Motorolie")
    );

    let k: Customer = serde_json::from_str(KLANT_FULL).unwrap();
    assert_eq!(k.customer_number, Some(CustomerNumber(1042)));
    assert_eq!(k.salutation, Some(Salutation::Mrs));
    assert_eq!(k.house_number.as_deref(), Some("12A"));
    assert_eq!(k.postal_code.as_deref(), Some("9000"));
    assert_eq!(k.is_company, Some(true));
    assert_eq!(k.display_name().as_deref(), Some("Voorbeeld Garage BV"));
    assert_eq!(
        k.birth_date,
        Some(Date::Parsed(NaiveDate::from_ymd_opt(1980, 2, 29).unwrap()))
    );
}

#[test]
fn cs_q02_uppercase_keys() {
    let a: Article =
        serde_json::from_value(json!({"SKU": "X-1", "BTW": 21, "EAN": ["123"]})).unwrap();
    assert_eq!(a.sku.as_deref(), Some("X-1"));
    assert_eq!(a.vat_rate, Some(dec("21")));
    assert_eq!(a.ean, vec![Ean::Code("123".into())]);
    let k: Customer = serde_json::from_value(json!({"BTW_nummer": "BE0000000000"})).unwrap();
    assert_eq!(k.vat_number.as_deref(), Some("BE0000000000"));

    // Only the exact spelling counts.
    let a: Article =
        serde_json::from_value(json!({"sku": "X-1", "btw": 21, "ean": ["123"]})).unwrap();
    assert_eq!((a.sku, a.vat_rate), (None, None));
    assert!(a.ean.is_empty());
    let k: Customer = serde_json::from_value(json!({"btw_nummer": "BE0000000000"})).unwrap();
    assert_eq!(k.vat_number, None);

    // Keys are written back in their original case.
    let out = serde_json::to_value(Article::default()).unwrap();
    for key in ["SKU", "BTW", "EAN"] {
        assert!(out.get(key).is_some(), "{key} missing from output");
    }
    assert!(
        serde_json::to_value(Customer::default())
            .unwrap()
            .get("BTW_nummer")
            .is_some()
    );
}

#[test]
fn cs_q03_decimal_forms() {
    let price = |v: Value| -> Result<Option<Decimal>, serde_json::Error> {
        serde_json::from_value::<Article>(json!({ "verkoopprijs_excl": v }))
            .map(|a| a.sales_price_excl_vat)
    };
    let cases = [
        (json!(12.1), Some(dec("12.1"))),
        (json!("12.10"), Some(dec("12.1"))),
        (json!("12.1"), Some(dec("12.1"))),
        (json!(12), Some(dec("12"))),
        (json!(null), None),
        (json!(""), None),
    ];
    for (input, want) in cases {
        assert_eq!(price(input.clone()).unwrap(), want, "input {input}");
    }
    // Exactly 12.1, not the nearest binary float.
    assert_eq!(price(json!(12.1)).unwrap().unwrap().to_string(), "12.1");

    let body = r#"{"verkoopprijs_excl": "abc"}"#;
    let de = &mut serde_json::Deserializer::from_str(body);
    let err = serde_path_to_error::deserialize::<_, Article>(de).unwrap_err();
    assert_eq!(err.path().to_string(), "verkoopprijs_excl");

    // The same lenient rule covers every decimal field, nested ones included.
    let a: Article = serde_json::from_value(json!({
        "op_voorraad": "3.5", "inkoopprijs_excl": 1, "inkoopprijs_incl": "1.21",
        "verkoopprijs_incl": "2", "units_per_bestelling": "12", "BTW": "21.00",
        "prijscategorieen": [{"korting": "2.5", "verkoopprijs_excl": 7, "verkoopprijs_incl": "8.47"}]
    }))
    .unwrap();
    assert_eq!(a.stock, Some(dec("3.5")));
    assert_eq!(a.vat_rate, Some(dec("21")));
    assert_eq!(a.price_categories[0].discount, Some(dec("2.5")));
    assert_eq!(
        a.price_categories[0].sales_price_incl_vat,
        Some(dec("8.47"))
    );
}

/// `{}` and an object with every key of `full` set to `null`.
fn empty_and_null(full: Value) -> [Value; 2] {
    let nulls = full
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect();
    [json!({}), Value::Object(nulls)]
}

/// Both inputs decode to `T::default()` (every scalar `None`, every list empty).
fn assert_decodes_to_default<T>(full: Value)
where
    T: serde::de::DeserializeOwned + Default + PartialEq + std::fmt::Debug,
{
    for input in empty_and_null(full) {
        let got: T = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(got, T::default(), "input {input}");
    }
}

#[test]
fn cs_q04_empty_and_null_records() {
    assert_decodes_to_default::<Article>(serde_json::from_str(ARTIKEL_FULL).unwrap());
    assert_decodes_to_default::<Customer>(serde_json::from_str(KLANT_FULL).unwrap());
    assert_decodes_to_default::<Category>(json!({"id": 1, "naam": "x", "children": []}));
    assert_decodes_to_default::<Photo>(json!({"url": "u", "is_hoofdfoto": true}));
    assert_decodes_to_default::<PriceCategory>(json!({"label": "l", "label_id": 1, "type": "t",
        "korting": 1, "verkoopprijs_excl": 1, "verkoopprijs_incl": 1}));
    assert_decodes_to_default::<ExtraInformation>(
        json!({"text": "t", "taal": "nl", "taal_display": "N"}),
    );
    let a: Article =
        serde_json::from_value(json!({"fotos": null, "EAN": null, "categorieen": null})).unwrap();
    assert!(a.photos.is_empty() && a.ean.is_empty() && a.categories.is_empty());
}

#[cfg(feature = "legacy-user-auth")]
#[test]
fn cs_q04_empty_and_null_legacy_records() {
    for input in [
        json!({}),
        json!({"token": null, "permissions": null, "company": null}),
    ] {
        let r: AuthResponse = serde_json::from_value(input).unwrap();
        assert!(r.token.is_none() && r.permissions.is_empty() && r.company.is_none());
    }
    for input in [json!({}), json!({"permissions": null})] {
        let r: PermissionsResponse = serde_json::from_value(input).unwrap();
        assert!(r.permissions.is_empty());
    }
    for input in [json!({}), json!({"permission": null})] {
        assert_eq!(
            serde_json::from_value::<Permission>(input).unwrap(),
            Permission::default()
        );
    }
    let nulls =
        json!({"first_name": null, "last_name": null, "email": null, "company": null, "pin": null});
    for input in [json!({}), nulls] {
        let u: User = serde_json::from_value(input).unwrap();
        assert!(u.first_name.is_none() && u.email.is_none() && u.pin.is_none());
    }
}

/// Adds an invented key to an object.
fn with_extra(mut v: Value, key: &str) -> Value {
    v.as_object_mut()
        .unwrap()
        .insert(key.into(), json!({"nieuw": [1, "twee", null]}));
    v
}

#[test]
fn cs_q05_unknown_keys() {
    let clean: Value = serde_json::from_str(ARTIKEL_FULL).unwrap();
    let mut noisy = with_extra(clean.clone(), "nieuw_veld_2024");
    noisy["fotos"][0] = with_extra(noisy["fotos"][0].clone(), "breedte");
    noisy["categorieen"][0]["children"][0] = with_extra(
        noisy["categorieen"][0]["children"][0].clone(),
        "hoofdcategorie_id",
    );
    noisy["prijscategorieen"][0] = with_extra(noisy["prijscategorieen"][0].clone(), "geldig_tot");
    let a_clean: Article = serde_json::from_value(clean).unwrap();
    let a_noisy: Article = serde_json::from_value(noisy).unwrap();
    assert_eq!(a_noisy, a_clean);

    let k_clean: Customer = serde_json::from_str(KLANT_FULL).unwrap();
    let k_noisy: Customer =
        serde_json::from_value(with_extra(serde_json::from_str(KLANT_FULL).unwrap(), "gsm"))
            .unwrap();
    assert_eq!(k_noisy, k_clean);
}

#[test]
fn cs_q05_no_deny_unknown_fields_in_crate_sources() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut scanned = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                scanned += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let code = line.trim_start();
                    if code.starts_with("//") {
                        continue;
                    }
                    assert!(
                        !code.contains("deny_unknown_fields"),
                        "{}:{} uses deny_unknown_fields",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
    }
    assert!(scanned > 5, "scanned only {scanned} files");
}

#[test]
fn cs_q13_dates() {
    let date = NaiveDate::from_ymd_opt(1980, 2, 29).unwrap();
    let parse = |v: Value| {
        serde_json::from_value::<Customer>(json!({ "geboortedatum": v }))
            .unwrap()
            .birth_date
    };
    for input in [
        "1980-02-29",
        "1980-02-29T00:00:00Z",
        "1980-02-29T23:30:00+01:00",
        "1980-02-29 08:15:00",
        "29/02/1980",
        "29-02-1980",
    ] {
        assert_eq!(
            parse(json!(input)),
            Some(Date::Parsed(date)),
            "input {input}"
        );
    }
    assert_eq!(parse(json!("")), None);
    assert_eq!(parse(json!(null)), None);
    assert_eq!(parse(json!("onbekend")), Some(Date::Raw("onbekend".into())));
    assert_eq!(
        parse(json!("1981-02-29")),
        Some(Date::Raw("1981-02-29".into()))
    );
    // Day first, never month first: 02/03 is the 2nd of March.
    assert_eq!(
        parse(json!("02/03/1990")),
        Some(Date::Parsed(NaiveDate::from_ymd_opt(1990, 3, 2).unwrap()))
    );
    assert_eq!(
        parse(json!("12/31/1990")),
        Some(Date::Raw("12/31/1990".into()))
    );
    // A parsed date is written back as ISO, a raw one unchanged.
    assert_eq!(
        serde_json::to_value(Date::Parsed(date)).unwrap(),
        json!("1980-02-29")
    );
    assert_eq!(
        serde_json::to_value(Date::Raw("onbekend".into())).unwrap(),
        json!("onbekend")
    );
}

#[test]
fn cs_q16_klantennummer() {
    let a: Customer = serde_json::from_value(json!({"klantennummer": 1042})).unwrap();
    let b: Customer = serde_json::from_value(json!({"klantennummer": "1042"})).unwrap();
    assert_eq!(a.customer_number, Some(CustomerNumber(1042)));
    assert_eq!(a.customer_number, b.customer_number);
    assert!(serde_json::from_value::<Customer>(json!({"klantennummer": "K-1"})).is_err());
    assert_eq!(
        serde_json::to_value(&b).unwrap()["klantennummer"],
        json!(1042)
    );
}

#[test]
fn cs_q18_ean_elements() {
    let a: Article =
        serde_json::from_value(json!({"EAN": ["5400000000017", 5400000000017_u64, {"x": 1}]}))
            .unwrap();
    assert_eq!(
        a.ean,
        vec![
            Ean::Code("5400000000017".into()),
            Ean::Code("5400000000017".into()),
            Ean::Other(json!({"x": 1}))
        ]
    );
    let codes: Vec<&str> = a.ean.iter().filter_map(Ean::code).collect();
    assert_eq!(codes.len(), 2);
    // A numeric code loses its leading zeros: documented, not recoverable.
    let a: Article = serde_json::from_value(json!({"EAN": [40001]})).unwrap();
    assert_eq!(a.ean, vec![Ean::Code("40001".into())]);
}

#[test]
fn cs_q21_category_tree() {
    let tree = json!({"id": 1, "naam": "Auto", "children": [
        {"id": 7, "naam": "Olie", "children": [
            {"id": 8, "naam": "Motorolie", "children": []},
            {"id": 9, "naam": "Versnellingsbakolie", "children": null}]}]});
    let c: Category = serde_json::from_value(tree).unwrap();
    let depths: Vec<(usize, Option<i64>)> = c
        .walk()
        .into_iter()
        .map(|(d, n)| (d, n.id.map(CategoryId::get)))
        .collect();
    assert_eq!(
        depths,
        vec![(0, Some(1)), (1, Some(7)), (2, Some(8)), (2, Some(9))]
    );
    let leaf = c.find(CategoryId(9)).unwrap();
    assert!(leaf.is_leaf());
    // Round trip: serialise and parse again gives the same tree.
    let again: Category = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
    assert_eq!(again, c);
    // The 0.10.0 flat form parses with empty children.
    let flat: Category = serde_json::from_value(
        json!({"id": 8, "naam": "Motorolie", "hoofdcategorie": "Olie", "hoofdcategorie_id": 7}),
    )
    .unwrap();
    assert!(flat.children.is_empty());
    assert_eq!(flat.id, Some(CategoryId(8)));
}

#[test]
fn cs_q22_enum_round_trip() {
    fn round_trip<T>(known: &[&str], extra: &[&str])
    where
        T: serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
    {
        for raw in known.iter().chain(extra) {
            let v: T = serde_json::from_value(json!(raw)).unwrap();
            let is_unknown = format!("{v:?}").starts_with("Unknown");
            assert_eq!(is_unknown, extra.contains(raw), "{raw} -> {v:?}");
            assert_eq!(
                serde_json::to_value(&v).unwrap(),
                json!(raw),
                "{raw} round trip"
            );
        }
    }
    round_trip::<StockTracking>(StockTracking::KNOWN, &["fysiek", "zichtbaar"]);
    round_trip::<OrderType>(OrderType::KNOWN, &["Ideaal"]);
    round_trip::<ArticleStatus>(ArticleStatus::KNOWN, &["zichtbaar", "NIET VERKOOPBAAR"]);
    round_trip::<Salutation>(Salutation::KNOWN, &["Dhr.", "Mijnh", "Mevr"]);
    round_trip::<ApiStatus>(ApiStatus::KNOWN, &["SOMETHING_NEW"]);
    assert_eq!(
        serde_json::from_value::<Salutation>(json!("Mijnh.")).unwrap(),
        Salutation::Mr
    );
    assert_eq!(
        serde_json::from_value::<ArticleStatus>(json!("NIET_VERKOOPBAAR")).unwrap(),
        ArticleStatus::NotSellable
    );
}

#[cfg(feature = "legacy-user-auth")]
#[test]
fn cs_q17_permissions_shapes() {
    let slugs = |v: Value| -> Vec<String> {
        let r: PermissionsResponse = serde_json::from_value(v).unwrap();
        r.slugs().into_iter().map(String::from).collect()
    };
    let two = vec![
        "timeapp_use".to_string(),
        "timeapp_timetracking_create".to_string(),
    ];
    assert_eq!(
        slugs(
            json!({"permissions": [{"permission": "timeapp_use"}, {"permission": "timeapp_timetracking_create"}]})
        ),
        two
    );
    assert_eq!(
        slugs(json!({"permissions": {"permission": "timeapp_use"}})),
        vec!["timeapp_use"]
    );
    assert!(slugs(json!({"permissions": null})).is_empty());
    assert!(slugs(json!({})).is_empty());
    assert_eq!(
        slugs(json!({"permissions": ["timeapp_use", "timeapp_timetracking_create"]})),
        two
    );
    // The same shapes are accepted on the sign-in answer.
    let r: AuthResponse =
        serde_json::from_value(json!({"token": "t", "permissions": {"permission": "timeapp_use"}}))
            .unwrap();
    assert_eq!(r.slugs(), vec!["timeapp_use"]);
}

#[cfg(feature = "legacy-user-auth")]
#[test]
fn legacy_secrets_are_redacted_in_debug_and_serialisation() {
    use secrecy::ExposeSecret;
    let r: AuthResponse =
        serde_json::from_value(json!({"token": "SESSION-TOKEN-123", "company": "cmp-1"})).unwrap();
    assert_eq!(
        r.token.as_ref().map(|t| t.expose_secret()),
        Some("SESSION-TOKEN-123")
    );
    assert!(!format!("{r:?}").contains("SESSION-TOKEN-123"));
    assert!(
        !serde_json::to_string(&r)
            .unwrap()
            .contains("SESSION-TOKEN-123")
    );
    let u: User =
        serde_json::from_value(json!({"pin": 4321, "email": "jane.doe@example.org"})).unwrap();
    assert_eq!(u.pin.as_ref().map(|p| p.expose_secret()), Some("4321"));
    let dbg = format!("{u:?}");
    assert!(!dbg.contains("4321") && !dbg.contains("jane.doe"), "{dbg}");
    let u: User = serde_json::from_value(json!({"pin": "0007"})).unwrap();
    assert_eq!(u.pin.as_ref().map(|p| p.expose_secret()), Some("0007"));
}

#[test]
fn person_name_joins_trimmed_first_and_last_name_and_never_the_company() {
    let mut k = Customer::default();
    k.first_name = Some(" An ".into());
    k.last_name = Some("Peeters".into());
    k.company_name = Some("Garage BV".into());
    k.is_company = Some(true);
    assert_eq!(k.person_name().as_deref(), Some("An Peeters"));
    assert_eq!(k.display_name().as_deref(), Some("Garage BV"));
    k.first_name = Some("  ".into());
    assert_eq!(k.person_name().as_deref(), Some("Peeters"));
    k.last_name = None;
    assert_eq!(k.person_name(), None);
}
