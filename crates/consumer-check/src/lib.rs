//! Test-only crate (not published): a program that depends on `ppms`, `pax8` and `cloudspot`
//! sees `serde_json` behave exactly as without them. The SDK reads exact decimals from the
//! number's JSON text (serde_json's additive `raw_value` feature) and never enables
//! `arbitrary_precision`, which would change `serde_json::Value` in the whole program: `1.10`
//! would no longer equal `1.1`, and `1e400` would parse.

// the vendor crates are linked into this crate, as into a user's program
use cloudspot as _;
use pax8 as _;
use ppms as _;

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn serde_json_values_compare_numbers_by_value() {
        let a: Value = serde_json::from_str("1.10").expect("a number");
        let b: Value = serde_json::from_str("1.1").expect("a number");
        assert_eq!(a, b, "1.10 and 1.1 are the same JSON value");
        assert_eq!(a.to_string(), "1.1");
        assert_eq!(a.as_f64(), Some(1.1));
    }

    #[test]
    fn serde_json_rejects_numbers_out_of_f64_range() {
        let err = serde_json::from_str::<Value>("1e400").expect_err("out of range");
        assert!(err.to_string().contains("number out of range"), "{err}");
    }

    #[test]
    fn the_vendor_crates_still_read_exact_decimals() {
        let article: cloudspot::model::Article =
            serde_json::from_str(r#"{"verkoopprijs_excl": 1.10}"#).expect("an article");
        assert_eq!(
            article
                .sales_price_excl_vat
                .map(|d| d.to_string())
                .as_deref(),
            Some("1.10")
        );
        let rate: pax8::model::Rate =
            serde_json::from_str(r#"{"partnerBuyRate": 12.345678901234567890}"#).expect("a rate");
        assert_eq!(
            rate.partner_buy_rate.map(|d| d.to_string()).as_deref(),
            Some("12.345678901234567890")
        );
    }
}
