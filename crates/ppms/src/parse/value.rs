//! Value conventions of PUMAPI bodies (reference section 3.0).
//!
//! Every function takes a raw field and returns a typed value or a short reason; the table
//! parser adds the line and column to the reason.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

/// Parses a boolean case-insensitively: `true`, `True`, `TRUE`, `false`, ... (PPMS-Q13).
///
/// Anything else (including `yes` and the empty string) is an error.
pub fn parse_bool(raw: &str) -> Result<bool, String> {
    let v = raw.trim_ascii();
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(format!("expected true or false, found {:?}", truncate(v)))
    }
}

/// True when a value stands for "nothing": empty after trimming, or `n/a` (PPMS-Q20).
pub fn is_none_marker(raw: &str) -> bool {
    let v = raw.trim_ascii();
    v.is_empty() || v.eq_ignore_ascii_case("n/a")
}

/// Parses a response date: `YYYY/MM/DD` (what PUMAPI sends) or `YYYY-MM-DD`; `n/a` and empty
/// give `None` (PPMS-Q20). A trailing time part (`YYYY/MM/DD hh:mm[:ss]`) is ignored.
pub fn parse_date(raw: &str) -> Result<Option<NaiveDate>, String> {
    if is_none_marker(raw) {
        return Ok(None);
    }
    let v = raw.trim_ascii();
    let date_part = v.split([' ', 'T']).next().unwrap_or(v);
    for format in ["%Y/%m/%d", "%Y-%m-%d"] {
        if let Ok(date) = NaiveDate::parse_from_str(date_part, format) {
            return Ok(Some(date));
        }
    }
    Err(format!(
        "expected a date YYYY/MM/DD, found {:?}",
        truncate(v)
    ))
}

/// Parses a running-sheet time `HH:MM` (also `H:MM` and `HH:MM:SS`).
pub fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    let v = raw.trim_ascii();
    NaiveTime::parse_from_str(v, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(v, "%H:%M:%S"))
        .map_err(|_| format!("expected a time HH:MM, found {:?}", truncate(v)))
}

/// Parses an unsigned integer, tolerating surrounding spaces and tabs (PPMS-Q22).
pub fn parse_u32(raw: &str) -> Result<u32, String> {
    let v = raw.trim_ascii();
    v.parse()
        .map_err(|_| format!("expected a whole number, found {:?}", truncate(v)))
}

/// Parses a signed 64-bit integer, tolerating surrounding whitespace.
pub fn parse_i64(raw: &str) -> Result<i64, String> {
    let v = raw.trim_ascii();
    v.parse()
        .map_err(|_| format!("expected a whole number, found {:?}", truncate(v)))
}

/// Parses a decimal number (`12`, `120.50`, `-3.5`, `1e3` is rejected). A comma as the decimal
/// separator is accepted when there is no dot.
pub fn parse_decimal(raw: &str) -> Result<Decimal, String> {
    let v = raw.trim_ascii();
    let parsed = if !v.contains('.') && v.matches(',').count() == 1 {
        v.replace(',', ".").parse::<Decimal>()
    } else {
        v.parse::<Decimal>()
    };
    parsed.map_err(|_| format!("expected a decimal number, found {:?}", truncate(v)))
}

/// Decodes HTML entities such as `&amp;` and `&#39;` in a text value (PPMS-Q21).
///
/// Returns the input unchanged (and without allocating) when it holds no `&`.
pub fn decode_entities(raw: &str) -> Cow<'_, str> {
    if raw.contains('&') {
        html_escape::decode_html_entities(raw)
    } else {
        Cow::Borrowed(raw)
    }
}

/// A trimmed, entity-decoded text value.
pub fn text(raw: &str) -> String {
    decode_entities(raw.trim_ascii()).into_owned()
}

/// A trimmed, entity-decoded text value, `None` when empty (an empty quoted string `""` included).
pub fn opt_text(raw: &str) -> Option<String> {
    let v = raw.trim_ascii();
    if v.is_empty() {
        None
    } else {
        Some(decode_entities(v).into_owned())
    }
}

pub(crate) fn truncate(v: &str) -> &str {
    match v.char_indices().nth(40) {
        Some((i, _)) => &v[..i],
        None => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppms_q13_booleans_any_case_and_nothing_else() {
        for (raw, want) in [
            ("True", true),
            ("False", false),
            ("true", true),
            ("false", false),
        ] {
            assert_eq!(parse_bool(raw), Ok(want));
        }
        assert!(parse_bool("yes").is_err());
        assert!(parse_bool("").is_err());
    }

    #[test]
    fn ppms_q20_dates_slashes_dashes_and_none_markers() {
        let want = NaiveDate::from_ymd_opt(2023, 11, 2);
        assert_eq!(parse_date("2023/11/02"), Ok(want));
        assert_eq!(parse_date("2023-11-02"), Ok(want));
        assert_eq!(parse_date("n/a"), Ok(None));
        assert_eq!(parse_date(""), Ok(None));
        assert_eq!(parse_date("  "), Ok(None));
        assert!(parse_date("02.11.2023").is_err());
    }

    #[test]
    fn ppms_q21_html_entities_are_decoded() {
        assert_eq!(text("O&#39;Brien"), "O'Brien");
        assert_eq!(text("Smith &amp; Sons"), "Smith & Sons");
        assert!(matches!(decode_entities("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn ppms_q22_tabs_are_trimmed_from_numbers() {
        assert_eq!(parse_u32("17\t"), Ok(17));
        assert_eq!(parse_i64("\t-5 "), Ok(-5));
    }

    #[test]
    fn decimals_accept_dot_and_single_comma() {
        assert_eq!(
            parse_decimal("120.50").map(|d| d.to_string()),
            Ok("120.50".into())
        );
        assert_eq!(
            parse_decimal("80,5").map(|d| d.to_string()),
            Ok("80.5".into())
        );
        assert!(parse_decimal("abc").is_err());
    }

    #[test]
    fn times_parse_with_and_without_seconds() {
        assert_eq!(
            parse_time("08:00"),
            Ok(NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default())
        );
        assert!(parse_time("25:00").is_err());
        assert!(parse_time("").is_err());
    }
}
