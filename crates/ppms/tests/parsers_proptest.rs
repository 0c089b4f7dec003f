//! Property tests: every parser returns `Ok` or a typed error on arbitrary input, never panics.

use chrono::NaiveDate;
use ppms::parse::{self, RowPolicy, token};
use ppms::{
    Experience, Group, InvoiceAccountTotal, InvoiceDetails, Order, OrderLine, PriceListEntry,
    Project, Service, System, User,
};
use proptest::prelude::*;

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // CSV-ish text built from the characters PUMAPI bodies are made of.
        proptest::collection::vec(
            prop_oneof![
                Just("\"".to_owned()),
                Just(",".to_owned()),
                Just("\r\n".to_owned()),
                Just("\n".to_owned()),
                Just(":".to_owned()),
                Just("\t".to_owned()),
                Just("&#39;".to_owned()),
                Just("&".to_owned()),
                Just("error:".to_owned()),
                Just("login".to_owned()),
                Just("System id".to_owned()),
                Just("Order ref.".to_owned()),
                Just("Reference".to_owned()),
                Just("True".to_owned()),
                Just("n/a".to_owned()),
                Just("2023/11/02".to_owned()),
                "[a-z0-9 ]{0,6}",
            ],
            0..60,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn every_parser_returns_ok_or_a_typed_error(s in body()) {
        let day = NaiveDate::from_ymd_opt(2030, 5, 10).unwrap_or_default();
        let _ = parse::classify(&s);
        let _ = parse::parse_lines(&s);
        let _ = parse::parse_id_lines(&s);
        let _ = parse::parse_rights(&s);
        let _ = parse::parse_rights_lenient(&s);
        let _ = parse::parse_booking_record(&s);
        let _ = token::parse_order_ref(&s);
        let _ = token::parse_auth_outcome(&s);
        let _ = token::is_done(&s);
        let _ = token::is_ok_newuser(&s);
        for policy in [RowPolicy::Strict, RowPolicy::SkipAndWarn] {
            let _ = parse::parse_table::<User>(&s, policy);
            let _ = parse::parse_table::<Group>(&s, policy);
            let _ = parse::parse_table::<System>(&s, policy);
            let _ = parse::parse_table::<Experience>(&s, policy);
            let _ = parse::parse_table::<Project>(&s, policy);
            let _ = parse::parse_table::<Service>(&s, policy);
            let _ = parse::parse_table::<PriceListEntry>(&s, policy);
            let _ = Order::parse_body(&s, policy);
            let _ = OrderLine::parse_body(&s, policy);
            let _ = parse::parse_table_after::<Service>(&s, &parse::Column(&["Name"]), 5, policy);
            let _ = InvoiceAccountTotal::parse_body(&s, policy);
            let _ = ppms::parse_running_sheet(&s, day, policy);
        }
        if let Ok(d) = InvoiceDetails::parse_body(&s) {
            let _ = d.total();
        }
        let _ = Experience::from_json_body(&s);
        let _ = User::from_json_body(&s);
        let _ = parse::parse_json_rows::<Group>(&s);
        let _ = ppms::invoice_date(&s);
        let _ = ppms::parse_split_code(&s);
    }

    #[test]
    fn line_lists_never_yield_blank_or_untrimmed_values(s in body()) {
        if let Ok(lines) = parse::parse_lines(&s) {
            for l in lines {
                prop_assert!(!l.is_empty());
                prop_assert_eq!(l.trim(), l.as_str());
            }
        }
    }

    #[test]
    fn order_refs_round_trip(n in any::<u64>(), pad in "[ \t\r\n]{0,3}") {
        let body = format!("{pad}{n}{pad}");
        prop_assert_eq!(token::parse_order_ref(&body), Some(ppms::OrderRef(n)));
    }
}
