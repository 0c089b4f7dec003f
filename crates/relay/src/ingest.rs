//! Parsing and validating a submitted order line (the reference's §5.1).
//!
//! The body must be **one JSON object**. Field values are read from their raw JSON text, so an
//! amount sent as the number `5.10` is the exact decimal 5.10 — no binary float ever holds it —
//! whether or not `serde_json`'s `arbitrary_precision` is on in the build.
//!
//! | canonical | aliases | accepted |
//! |---|---|---|
//! | `unique_id` | `uniqueid` | string, 1–128 printable ASCII characters, not `.` or `..` |
//! | `case_nr` | `worksheet`, `case_id` | string, or an integer kept as its decimal text |
//! | `product_nr` | | string, or an integer kept as its decimal text |
//! | `product_amount` | | decimal > 0, as a JSON number or a numeric string |
//! | `workshop` | `dealer` | string equal to the tenant in the path (optional) |
//! | `dispensed_at` | | RFC 3339 timestamp (optional) |
//!
//! A field given under two names is refused (`field_conflict`), and so is a key repeated in
//! the object (`duplicate_field`); unknown fields are ignored and never stored. A body holding
//! `username` or `password` (in any letter case, at the top level) is refused with
//! `credentials_not_accepted`, and the value is neither stored nor logged nor echoed. `null`
//! counts as absent.
//!
//! Why printable ASCII for `unique_id`: the id travels in URL paths, in an `Idempotency-Key`
//! header and in PPMS staff comments; non-ASCII or control characters would not survive all
//! three unchanged. `.` and `..` are refused because no client can address them in a path.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::model::OrderLine;

/// Size limits of submitted lines (the reference's §11.1 defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Limits {
    /// Largest request body, in bytes (default 64 KiB).
    pub body_bytes: usize,
    /// Longest `unique_id`, in characters (default 128).
    pub unique_id_chars: usize,
    /// Longest other string, in characters (default 256).
    pub string_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 64 * 1024,
            unique_id_chars: 128,
            string_chars: 256,
        }
    }
}

/// Why a body was refused: a stable machine-readable code, a message and the field at fault.
/// Nothing in it comes from a value the client sent, except field names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Invalid {
    /// The machine-readable code (`body_not_object`, `credentials_not_accepted`, …).
    pub code: &'static str,
    /// A human-readable message, lower-case.
    pub message: String,
    /// The field at fault, as the client named it.
    pub field: Option<String>,
}

impl Invalid {
    fn new(code: &'static str, message: impl Into<String>, field: Option<&str>) -> Self {
        Invalid {
            code,
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Field names refused because they carry ERP credentials (compared case-insensitively).
pub const CREDENTIAL_FIELDS: [&str; 2] = ["username", "password"];

/// A canonical field and its accepted names, canonical first.
struct Field {
    names: &'static [&'static str],
}

const UNIQUE_ID: Field = Field {
    names: &["unique_id", "uniqueid"],
};
const CASE_NR: Field = Field {
    names: &["case_nr", "worksheet", "case_id"],
};
const PRODUCT_NR: Field = Field {
    names: &["product_nr"],
};
const PRODUCT_AMOUNT: Field = Field {
    names: &["product_amount"],
};
const WORKSHOP: Field = Field {
    names: &["workshop", "dealer"],
};
const DISPENSED_AT: Field = Field {
    names: &["dispensed_at"],
};

/// The object's members in order, values kept as raw JSON text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a json object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: &'de RawValue = map.next_value()?;
                    out.push((key, value));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Parses and validates a submitted body for `tenant`.
pub fn parse_line(body: &[u8], tenant: &str, limits: &Limits) -> Result<OrderLine, Invalid> {
    let first = body
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if first != Some(&b'{') {
        let valid = serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
        return Err(match (valid, first) {
            (true, Some(b'"')) => Invalid::new(
                "body_not_object",
                "the body is a json string, not an object (encoded twice?); send the object itself",
                None,
            ),
            (true, _) => Invalid::new("body_not_object", "the body must be one json object", None),
            (false, _) => Invalid::new("invalid_json", "the body is not valid json", None),
        });
    }
    let members: Members<'_> = serde_json::from_slice(body).map_err(|e| {
        Invalid::new(
            "invalid_json",
            format!(
                "the body is not valid json (line {}, column {})",
                e.line(),
                e.column()
            ),
            None,
        )
    })?;

    // credentials first: whatever else is wrong, say this (and never echo the value)
    if let Some((key, _)) = members
        .0
        .iter()
        .find(|(k, _)| CREDENTIAL_FIELDS.iter().any(|c| k.eq_ignore_ascii_case(c)))
    {
        return Err(Invalid::new(
            "credentials_not_accepted",
            "erp credentials are not accepted in order lines; they belong to the tenant's configuration",
            Some(key),
        ));
    }
    let mut seen: HashMap<&str, &RawValue> = HashMap::with_capacity(members.0.len());
    for (k, v) in &members.0 {
        if seen.insert(k.as_str(), v).is_some() {
            return Err(Invalid::new(
                "duplicate_field",
                "the field appears twice in the object",
                Some(k),
            ));
        }
    }
    let get = |field: &Field| -> Result<Option<(&'static str, &RawValue)>, Invalid> {
        let mut found: Option<(&'static str, &RawValue)> = None;
        for name in field.names {
            if let Some(v) = seen.get(name).filter(|v| v.get() != "null") {
                if let Some((first, _)) = found {
                    return Err(Invalid::new(
                        "field_conflict",
                        format!("`{first}` and `{name}` name the same field; send one"),
                        Some(field.names[0]),
                    ));
                }
                found = Some((name, v));
            }
        }
        Ok(found)
    };
    let required = |field: &Field| -> Result<(&'static str, &RawValue), Invalid> {
        get(field)?.ok_or_else(|| {
            Invalid::new(
                "missing_field",
                format!("`{}` is required", field.names[0]),
                Some(field.names[0]),
            )
        })
    };

    let (name, raw) = required(&UNIQUE_ID)?;
    let unique_id = string(name, raw)?;
    check_unique_id(name, &unique_id, limits)?;

    let (name, raw) = required(&CASE_NR)?;
    let case_nr = text_or_integer(name, raw, limits)?;
    let (name, raw) = required(&PRODUCT_NR)?;
    let product_nr = text_or_integer(name, raw, limits)?;
    let (name, raw) = required(&PRODUCT_AMOUNT)?;
    let product_amount = amount(name, raw)?;

    if let Some((name, raw)) = get(&WORKSHOP)? {
        let workshop = string(name, raw)?;
        if workshop != tenant {
            return Err(Invalid::new(
                "tenant_mismatch",
                format!("`{name}` names another tenant than the path"),
                Some(name),
            ));
        }
    }
    let dispensed_at = match get(&DISPENSED_AT)? {
        None => None,
        Some((name, raw)) => {
            let text = string(name, raw)?;
            let at = DateTime::parse_from_rfc3339(text.trim()).map_err(|_| {
                Invalid::new(
                    "invalid_field",
                    format!("`{name}` must be an rfc 3339 timestamp"),
                    Some(name),
                )
            })?;
            Some(at.with_timezone(&Utc))
        }
    };
    let mut line = OrderLine::new(unique_id, case_nr, product_nr, product_amount);
    line.dispensed_at = dispensed_at;
    Ok(line)
}

fn invalid(name: &str, what: &str) -> Invalid {
    Invalid::new("invalid_field", format!("`{name}` {what}"), Some(name))
}

fn string(name: &str, raw: &RawValue) -> Result<String, Invalid> {
    if !raw.get().starts_with('"') {
        return Err(invalid(name, "must be a string"));
    }
    serde_json::from_str::<String>(raw.get()).map_err(|_| invalid(name, "must be a string"))
}

fn check_unique_id(name: &str, id: &str, limits: &Limits) -> Result<(), Invalid> {
    if id.is_empty() || id.chars().count() > limits.unique_id_chars {
        return Err(invalid(
            name,
            &format!("must have 1 to {} characters", limits.unique_id_chars),
        ));
    }
    if !id.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(invalid(name, "must be printable ascii"));
    }
    if id.starts_with(' ') || id.ends_with(' ') {
        return Err(invalid(name, "must not start or end with a space"));
    }
    if id == "." || id == ".." {
        return Err(invalid(name, "must not be `.` or `..`"));
    }
    Ok(())
}

/// A string, or a JSON integer kept as its exact decimal text.
fn text_or_integer(name: &str, raw: &RawValue, limits: &Limits) -> Result<String, Invalid> {
    let text = raw.get();
    let value = if text.starts_with('"') {
        string(name, raw)?
    } else if is_integer_literal(text) {
        text.to_owned()
    } else {
        return Err(invalid(name, "must be a string or an integer"));
    };
    if value.trim().is_empty() {
        return Err(invalid(name, "must not be empty"));
    }
    if value.chars().count() > limits.string_chars {
        return Err(invalid(
            name,
            &format!("must have at most {} characters", limits.string_chars),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(name, "must not contain control characters"));
    }
    Ok(value)
}

fn is_integer_literal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An exact decimal > 0 from a JSON number or a numeric string.
fn amount(name: &str, raw: &RawValue) -> Result<Decimal, Invalid> {
    let text = raw.get();
    let literal = if text.starts_with('"') {
        string(name, raw)?.trim().to_owned()
    } else if text.starts_with('-') || text.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        text.to_owned()
    } else {
        return Err(invalid(
            name,
            "must be a decimal number or a numeric string",
        ));
    };
    let value = parse_decimal(&literal)
        .ok_or_else(|| invalid(name, "must be an exact decimal number (at most 28 digits)"))?;
    if value <= Decimal::ZERO {
        return Err(invalid(name, "must be greater than 0"));
    }
    Ok(value.normalize())
}

/// Parses a decimal literal exactly: plain (`5`, `5.10`, `+5`) or with an exponent (`5e0`,
/// `1.5E-2`). `None` when it is not a number or cannot be held exactly.
fn parse_decimal(s: &str) -> Option<Decimal> {
    if s.is_empty() || s.len() > 64 || !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    match s.find(['e', 'E']) {
        None => Decimal::from_str_exact(s).ok(),
        Some(i) => {
            let mantissa = Decimal::from_str_exact(&s[..i]).ok()?;
            let exp: i32 = s[i + 1..].parse().ok()?;
            if exp.unsigned_abs() > 28 {
                return None;
            }
            let ten = Decimal::TEN;
            let mut v = mantissa;
            for _ in 0..exp.unsigned_abs() {
                v = if exp > 0 {
                    v.checked_mul(ten)?
                } else {
                    // a division that would round is refused: the result must stay exact
                    let q = v.checked_div(ten)?;
                    if q.checked_mul(ten)? != v {
                        return None;
                    }
                    q
                };
            }
            Some(v)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(body: &str) -> Result<OrderLine, Invalid> {
        parse_line(body.as_bytes(), "ws-a", &Limits::default())
    }

    fn code(body: &str) -> &'static str {
        parse(body).unwrap_err().code
    }

    #[test]
    fn canonical_and_alias_names_give_the_same_line() {
        let a =
            parse(r#"{"unique_id":"u1","case_nr":"77","product_nr":"OIL","product_amount":"5"}"#)
                .unwrap();
        let b = parse(r#"{"uniqueid":"u1","worksheet":77,"product_nr":"OIL","product_amount":5.0,"dealer":"ws-a"}"#)
            .unwrap();
        let c = parse(r#"{"unique_id":"u1","case_id":"77","product_nr":"OIL","product_amount":5,"workshop":"ws-a"}"#)
            .unwrap();
        assert!(a.same_content(&b));
        assert!(a.same_content(&c));
        assert_eq!(a.amount_text(), "5");
    }

    #[test]
    fn amounts_are_exact_decimals() {
        let l = parse(r#"{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":0.1}"#)
            .unwrap();
        assert_eq!(l.amount_text(), "0.1");
        let l =
            parse(r#"{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":"12.3400"}"#)
                .unwrap();
        assert_eq!(l.amount_text(), "12.34");
        let l = parse(r#"{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":15e-1}"#)
            .unwrap();
        assert_eq!(l.amount_text(), "1.5");
        for bad in [
            "0",
            "-1",
            "\"abc\"",
            "true",
            "1e400",
            "\"NaN\"",
            "0.00000000000000000000000000001",
        ] {
            let body = format!(
                r#"{{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":{bad}}}"#
            );
            assert_eq!(code(&body), "invalid_field", "{bad}");
        }
    }

    #[test]
    fn double_encoded_body_is_not_an_object() {
        let inner = r#"{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":1}"#;
        let twice = serde_json::to_string(inner).unwrap();
        assert_eq!(code(&twice), "body_not_object");
        assert_eq!(code("[1,2]"), "body_not_object");
        assert_eq!(code("5"), "body_not_object");
        assert_eq!(code("{\"unique_id\": "), "invalid_json");
        assert_eq!(code(""), "invalid_json");
    }

    #[test]
    fn credentials_are_refused_without_echoing_them() {
        for key in [
            "password",
            "username",
            "Password",
            "USERNAME",
            "pass\\u0077ord",
        ] {
            let body = format!(
                r#"{{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":1,"{key}":"hunter2-secret"}}"#
            );
            let e = parse(&body).unwrap_err();
            assert_eq!(e.code, "credentials_not_accepted", "{key}");
            assert!(!format!("{e:?}").contains("hunter2"));
        }
    }

    #[test]
    fn one_field_under_two_names_is_a_conflict() {
        let e = parse(
            r#"{"unique_id":"u","uniqueid":"u","case_nr":"1","product_nr":"p","product_amount":1}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, "field_conflict");
        assert_eq!(e.field.as_deref(), Some("unique_id"));
        let e = parse(r#"{"unique_id":"u","case_nr":"1","worksheet":"1","product_nr":"p","product_amount":1}"#)
            .unwrap_err();
        assert_eq!(e.code, "field_conflict");
        // a null alias is absent
        parse(r#"{"unique_id":"u","case_nr":"1","worksheet":null,"product_nr":"p","product_amount":1}"#).unwrap();
        assert_eq!(
            code(
                r#"{"unique_id":"u","unique_id":"v","case_nr":"1","product_nr":"p","product_amount":1}"#
            ),
            "duplicate_field"
        );
    }

    #[test]
    fn tenant_must_match_the_path() {
        let e = parse(r#"{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":1,"workshop":"other"}"#)
            .unwrap_err();
        assert_eq!(e.code, "tenant_mismatch");
    }

    #[test]
    fn unique_ids_are_bounded_printable_ascii() {
        let long = "x".repeat(129);
        for bad in ["", ".", "..", "a\\u0000b", "é", " a", &long] {
            let body = format!(
                r#"{{"unique_id":"{bad}","case_nr":"1","product_nr":"p","product_amount":1}}"#
            );
            assert_eq!(code(&body), "invalid_field", "{bad:?}");
        }
        assert_eq!(
            code(r#"{"unique_id":5,"case_nr":"1","product_nr":"p","product_amount":1}"#),
            "invalid_field"
        );
        parse(&format!(
            r#"{{"unique_id":"{}","case_nr":"1","product_nr":"p","product_amount":1}}"#,
            "y".repeat(128)
        ))
        .unwrap();
    }

    #[test]
    fn integers_keep_their_exact_text_and_floats_are_refused() {
        let l = parse(r#"{"unique_id":"u","case_nr":123456789012345678901234567890,"product_nr":7,"product_amount":1}"#)
            .unwrap();
        assert_eq!(l.case_nr, "123456789012345678901234567890");
        assert_eq!(l.product_nr, "7");
        assert_eq!(
            code(r#"{"unique_id":"u","case_nr":1.5,"product_nr":"p","product_amount":1}"#),
            "invalid_field"
        );
    }

    #[test]
    fn unknown_fields_are_ignored_and_required_ones_named() {
        parse(r#"{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":1,"colour":{"deep":[1,2]}}"#)
            .unwrap();
        let e = parse(r#"{"unique_id":"u","case_nr":"1","product_amount":1}"#).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("missing_field", Some("product_nr"))
        );
    }

    #[test]
    fn dispensed_at_is_normalised_to_utc() {
        let a = parse(r#"{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":1,"dispensed_at":"2025-03-01T13:00:00+01:00"}"#)
            .unwrap();
        let b = parse(r#"{"unique_id":"u","case_nr":"1","product_nr":"p","product_amount":1,"dispensed_at":"2025-03-01T12:00:00Z"}"#)
            .unwrap();
        assert!(a.same_content(&b));
        assert_eq!(
            a.dispensed_at_text().as_deref(),
            Some("2025-03-01T12:00:00Z")
        );
    }
}
