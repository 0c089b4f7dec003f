//! Property tests: every parser returns `Ok` or a typed error on arbitrary input, never panics.

use chrono::NaiveDate;
use ppms::parse::{self, RowPolicy, token};
use ppms::{
    Experience, Group, InvoiceAccountTotal, InvoiceDetails, Order, OrderLine, PriceListEntry,
    Project, Service, System, User,
};
use proptest::prelude::*;

/// A table body of `System id`, `Name`, `Active` and an unknown column, its cells drawn from
/// good values, bad values, quotes, entities and line breaks; rows may be short or long.
fn table_body() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        "[0-9]{1,4}",
        Just(String::new()),
        Just("x".to_owned()),
        Just("True".to_owned()),
        Just("n/a".to_owned()),
        Just("\"a, b\"".to_owned()),
        Just("\"multi\r\nline\"".to_owned()),
        Just(" \"padded\" ".to_owned()),
        Just("&amp;".to_owned()),
        Just("\"".to_owned()),
        "[a-z ]{0,5}",
    ];
    let row = proptest::collection::vec(cell, 0..6).prop_map(|cells| cells.join(","));
    let end = prop_oneof![
        Just("\r\n"),
        Just("\n"),
        Just("\r"),
        Just("\r\n\r\n"),
        Just(" \n")
    ];
    (
        proptest::collection::vec((row, end), 0..40),
        prop_oneof![
            Just("System id,Name,Active,Colour"),
            Just("Name, System id ,X")
        ],
    )
        .prop_map(|(rows, header)| {
            let mut body = format!("{header}\r\n");
            for (row, end) in rows {
                body.push_str(&row);
                body.push_str(end);
            }
            body
        })
}

/// The table form of `parse_table` reads back exactly what `parse_table` gives, or fails with
/// the same error.
fn same_as_parse_table<T>(s: &str, policy: RowPolicy) -> Result<(), TestCaseError>
where
    T: parse::FromRow + PartialEq + Clone + std::fmt::Debug,
{
    let eager = parse::parse_table::<T>(s, policy);
    let table = parse::Table::<T>::parse(s.to_owned(), policy);
    if let Ok(t) = &table {
        let got: Vec<Option<T>> = (0..=t.len()).map(|i| t.get(i)).collect();
        let want: Vec<Option<T>> = match &eager {
            Ok(p) => p.items.iter().cloned().map(Some).chain([None]).collect(),
            Err(_) => Vec::new(),
        };
        prop_assert_eq!(got, want);
    }
    prop_assert_eq!(table.map(parse::Table::into_parsed), eager);
    Ok(())
}

/// A line list body: logins, quoted, padded, entity-encoded or blank, with every line end
/// (`\r` alone does not end a line list's line), a byte-order mark and non-ASCII spaces.
fn lines_body() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z]{1,8}",
            Just(String::new()),
            Just("\"jdoe\"".to_owned()),
            Just("\"\"".to_owned()),
            Just("\"".to_owned()),
            Just(" \t".to_owned()),
            Just("&amp;".to_owned()),
            Just("&#32;".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("\u{3000}".to_owned()),
            Just("é".to_owned()),
            Just("\r\n".to_owned()),
            Just("\n".to_owned()),
            Just("\r".to_owned()),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

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
    fn lines_read_back_exactly_as_parse_lines_gives_them(
        s in prop_oneof![body(), lines_body()],
    ) {
        let want = parse::parse_lines(&s);
        let lines = parse::Lines::parse(s.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got: Vec<Option<String>> = (0..=lines.len()).map(|i| lines.get(i)).collect();
        let mut expected: Vec<Option<String>> =
            want.clone().unwrap_or_default().into_iter().map(Some).collect();
        expected.push(None);
        prop_assert_eq!(got, expected);
        prop_assert_eq!(Ok(lines.iter().collect::<Vec<_>>()), want.clone());
        prop_assert_eq!(Ok(lines.into_vec()), want);
    }

    #[test]
    fn lines_of_any_bytes_are_the_lines_of_their_text(b in proptest::collection::vec(
        prop_oneof![any::<u8>(), Just(b'\n'), Just(b'\r'), Just(b'"'), Just(b'a')], 0..40,
    )) {
        match std::str::from_utf8(&b) {
            Ok(text) => prop_assert_eq!(
                parse::Lines::parse(b.clone()).map(parse::Lines::into_vec),
                parse::parse_lines(text)
            ),
            Err(_) => prop_assert!(parse::Lines::parse(b).is_err()),
        }
    }

    #[test]
    fn order_refs_round_trip(n in any::<u64>(), pad in "[ \t\r\n]{0,3}") {
        let body = format!("{pad}{n}{pad}");
        prop_assert_eq!(token::parse_order_ref(&body), Some(ppms::OrderRef(n)));
    }

    #[test]
    fn table_rows_read_back_exactly_as_parse_table_gives_them(
        s in prop_oneof![body(), table_body()],
    ) {
        for policy in [RowPolicy::Strict, RowPolicy::SkipAndWarn] {
            same_as_parse_table::<System>(&s, policy)?;
            same_as_parse_table::<Project>(&s, policy)?;
            same_as_parse_table::<PriceListEntry>(&s, policy)?;
            same_as_parse_table::<User>(&s, policy)?;
            prop_assert_eq!(
                Order::parse_body_table(s.clone(), policy).map(parse::Table::into_parsed),
                Order::parse_body(&s, policy)
            );
        }
    }
}
