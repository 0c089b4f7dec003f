//! Property tests of the lenient parsers: any input gives a value or a typed error, never a
//! panic, and raw text survives a round trip.
#![allow(clippy::unwrap_used)]

use pax8::error::{ApiError, parse_error_body};
use pax8::model::{
    BillingTerm, InvoiceItemTerm, InvoiceRateType, OrderedBy, Page, Pax8DateTime, Subscription,
};
use proptest::prelude::*;

proptest! {
    #[test]
    fn dates_never_fail_and_keep_their_raw_text(s in ".{0,40}") {
        let d = Pax8DateTime::parse(s.clone());
        prop_assert_eq!(d.raw(), s.as_str());
        let json = serde_json::to_string(&d).unwrap();
        let back: Pax8DateTime = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.raw(), s.as_str());
    }

    #[test]
    fn generated_timestamps_parse_with_an_offset(
        y in 2000i32..2100, mo in 1u32..13, d in 1u32..29, h in 0u32..24, mi in 0u32..60,
        oh in 0u32..14, colon in any::<bool>(), neg in any::<bool>()
    ) {
        let sign = if neg { '-' } else { '+' };
        let off = if colon { format!("{sign}{oh:02}:00") } else { format!("{sign}{oh:02}00") };
        let s = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:07.123{off}");
        prop_assert!(Pax8DateTime::parse(s.clone()).to_utc().is_some(), "{}", s);
    }

    #[test]
    fn error_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_error_body(&body);
        let e = ApiError::from_response(pax8::StatusCode::INTERNAL_SERVER_ERROR, &body, None);
        let _ = e.message();
    }

    #[test]
    fn enums_round_trip_and_keep_unknown_values(s in "[A-Za-z0-9 _()-]{0,20}") {
        macro_rules! check {
            ($t:ty) => {{
                let v = <$t>::from_wire(&s);
                prop_assert_eq!(<$t>::from_wire(v.as_str()), v.clone());
                if v.is_unknown() {
                    prop_assert_eq!(v.as_str(), s.as_str());
                }
            }};
        }
        check!(BillingTerm);
        check!(OrderedBy);
        check!(InvoiceItemTerm);
        check!(InvoiceRateType);
    }

    #[test]
    fn numbers_in_any_json_shape_decode_or_fail_cleanly(v in prop_oneof![
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| serde_json::json!(f)),
        ".{0,12}".prop_map(|s| serde_json::json!(s)),
        any::<bool>().prop_map(|b| serde_json::json!(b)),
    ]) {
        let _ = serde_json::from_value::<Subscription>(serde_json::json!({"price": v.clone(), "quantity": v.clone()}));
        let _ = serde_json::from_value::<Page<Subscription>>(serde_json::json!({"content": [], "page": {"size": v}}));
    }
}
