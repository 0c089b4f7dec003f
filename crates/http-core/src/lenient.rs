//! Lenient serde helpers for vendor models, shared by every vendor crate.
//!
//! Vendors send numbers as strings, booleans as `"True"` or `1`, `null` where a list belongs,
//! and numbers where text belongs. Use these with `#[serde(deserialize_with = "…")]` (and
//! `#[serde(default)]` for keys that may be missing). Every helper goes through a
//! [`serde_json::Value`] first, so it works inside `#[serde(flatten)]` structs and with
//! serde_json's `arbitrary_precision` mode. Error messages name the JSON *type* that was found,
//! never the value, so no personal data ends up in an error.
//!
//! ```
//! use rust_decimal::Decimal;
//!
//! #[derive(serde::Deserialize)]
//! struct Article {
//!     #[serde(default, deserialize_with = "billing_http_core::lenient::opt_decimal")]
//!     price: Option<Decimal>,
//!     #[serde(default, deserialize_with = "billing_http_core::lenient::opt_bool")]
//!     active: Option<bool>,
//!     #[serde(default, deserialize_with = "billing_http_core::lenient::null_default")]
//!     tags: Vec<String>,
//! }
//!
//! let a: Article = serde_json::from_str(r#"{"price": "12.10", "active": "True", "tags": null}"#).unwrap();
//! assert_eq!(a.price, Some(Decimal::new(1210, 2)));
//! assert_eq!(a.active, Some(true));
//! assert!(a.tags.is_empty());
//! ```

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::Value;

/// `null` (or, with `#[serde(default)]`, a missing key) becomes `T::default()`: an empty list
/// for a list the vendor sends as `null`.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Parses a decimal from its text (surrounding white space ignored), accepting scientific
/// notation (`1e2`).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    Decimal::from_str(text)
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

/// A decimal from a JSON number or a numeric string; `null` and `""` give `None`.
///
/// A JSON number is converted through its decimal text, never through binary floating point,
/// so `12.1` stays exactly 12.1.
pub fn decimal_from_value(v: &Value) -> Result<Option<Decimal>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_decimal(s)
            .map(Some)
            .ok_or_else(|| "invalid decimal string".to_owned()),
        Value::Number(n) => parse_decimal(&n.to_string())
            .map(Some)
            .ok_or_else(|| format!("decimal out of range: {n}")),
        other => Err(format!(
            "expected a number or a numeric string, found {}",
            json_type(other)
        )),
    }
}

/// Lenient `Option<Decimal>`: see [`decimal_from_value`]. Anything else is an error, so a price
/// that cannot be read never silently becomes "no price".
pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let v = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    decimal_from_value(&v).map_err(D::Error::custom)
}

/// Lenient `Option<String>`: a number or boolean is kept as its JSON text, so one odd value
/// (`"postcode": 9000`) does not fail a whole list; `null` gives `None`; objects and arrays are
/// an error.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)?.unwrap_or(Value::Null) {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(D::Error::custom(format!(
            "expected a string, found {}",
            json_type(&other)
        ))),
    }
}

/// Lenient `Option<bool>`: `true`/`false`, `0`/`1`, and the strings `"true"`, `"false"`, `"1"`,
/// `"0"` in any case; `null` and `""` give `None`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)?.unwrap_or(Value::Null) {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::Number(n) => match parse_decimal(&n.to_string()) {
            Some(x) if x == Decimal::ZERO => Ok(Some(false)),
            Some(x) if x == Decimal::ONE => Ok(Some(true)),
            _ => Err(D::Error::custom(format!("expected a boolean, found {n}"))),
        },
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                Ok(None)
            } else if t.eq_ignore_ascii_case("true") || t == "1" {
                Ok(Some(true))
            } else if t.eq_ignore_ascii_case("false") || t == "0" {
                Ok(Some(false))
            } else {
                Err(D::Error::custom(
                    "expected a boolean, found a string that is not one",
                ))
            }
        }
        other => Err(D::Error::custom(format!(
            "expected a boolean, found {}",
            json_type(&other)
        ))),
    }
}

/// The JSON type name of a value, for error messages (never the value itself).
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct T {
        #[serde(default, deserialize_with = "opt_decimal")]
        d: Option<Decimal>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
    }

    fn t(json: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn accepts_what_vendors_send() {
        let v = t(r#"{"d": 0.1, "b": 1, "s": 9000}"#).expect("decodes");
        assert_eq!(v.d, Some(Decimal::new(1, 1)));
        assert_eq!(v.b, Some(true));
        assert_eq!(v.s.as_deref(), Some("9000"));
        let v = t(r#"{"d": " 7.5 ", "b": "FALSE", "s": null}"#).expect("decodes");
        assert_eq!(v.d, Some(Decimal::new(75, 1)));
        assert_eq!(v.b, Some(false));
        assert_eq!(v.s, None);
        let v = t(r#"{"d": "1e2", "b": ""}"#).expect("decodes");
        assert_eq!(v.d, Some(Decimal::from(100)));
        assert_eq!(v.b, None);
        assert_eq!(t("{}").expect("decodes").d, None);
    }

    #[test]
    fn rejects_garbage_without_echoing_it() {
        let err = t(r#"{"d": "jane.doe@example.org"}"#).expect_err("not a decimal");
        assert!(!err.to_string().contains("jane"), "{err}");
        let err = t(r#"{"b": "secret-ish"}"#).expect_err("not a bool");
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(t(r#"{"s": [1]}"#).is_err());
        assert!(t(r#"{"d": true}"#).is_err());
    }
}
