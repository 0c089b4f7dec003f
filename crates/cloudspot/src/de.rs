//! Lenient serde helpers shared by every model.
//!
//! The vendor sends undocumented value types, so every lenient field accepts several JSON
//! types. Decimals are read from the number's exact JSON text (see
//! `billing_http_core::lenient`); ids go through a [`serde_json::Value`], whose integers are
//! exact.

use serde::{Deserialize, Deserializer, de::Error as _};

pub(crate) use billing_http_core::lenient::{
    json_type, null_default as vec_or_null, opt_bool, opt_decimal, opt_string, parse_decimal,
};
use serde_json::Value;

/// An `i64` from a JSON integer or a numeric string (ids, CS-Q16); `null` and `""` give `None`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected an integer id, found {s:?}"))),
        Value::Number(n) => integral(&n)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected an integer id, found {n}"))),
        other => Err(D::Error::custom(format!(
            "expected an integer or a numeric string, found {}",
            json_type(&other)
        ))),
    }
}

/// An id newtype from a JSON integer or a numeric string; `null` and `""` give `None`.
pub(crate) fn opt_id<'de, D: Deserializer<'de>, T: From<i64>>(d: D) -> Result<Option<T>, D::Error> {
    Ok(opt_i64(d)?.map(T::from))
}

/// An integer from a JSON number such as `5`, `5.0` or `5e0`.
fn integral(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let d = parse_decimal(&n.to_string())?;
    if d.fract().is_zero() {
        i64::try_from(d.trunc()).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal::Decimal;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct D {
        #[serde(default, deserialize_with = "opt_decimal")]
        v: Option<Decimal>,
    }

    #[derive(Deserialize)]
    struct I {
        #[serde(default, deserialize_with = "opt_i64")]
        v: Option<i64>,
    }

    #[derive(Deserialize)]
    struct B {
        #[serde(default, deserialize_with = "opt_bool")]
        v: Option<bool>,
    }

    fn dec(json: &str) -> Result<Option<Decimal>, serde_json::Error> {
        serde_json::from_str::<D>(json).map(|d| d.v)
    }

    #[test]
    fn decimal_accepts_scientific_and_keeps_precision() {
        assert_eq!(dec(r#"{"v": 1e2}"#).unwrap(), Some(Decimal::from(100)));
        assert_eq!(
            dec(r#"{"v": "0.1"}"#).unwrap(),
            Some(Decimal::new(1, 1)),
            "string form"
        );
        assert_eq!(dec(r#"{"v": 0.1}"#).unwrap(), Some(Decimal::new(1, 1)));
        assert_eq!(dec(r#"{"v": " 7.5 "}"#).unwrap(), Some(Decimal::new(75, 1)));
        assert_eq!(dec(r#"{}"#).unwrap(), None);
    }

    #[test]
    fn decimal_rejects_bool_object_and_garbage() {
        assert!(dec(r#"{"v": true}"#).is_err());
        assert!(dec(r#"{"v": {}}"#).is_err());
        assert!(dec(r#"{"v": "12,50"}"#).is_err());
    }

    #[test]
    fn ids_accept_integers_integral_floats_and_numeric_strings() {
        let id = |j: &str| serde_json::from_str::<I>(j).map(|i| i.v);
        assert_eq!(id(r#"{"v": 5}"#).unwrap(), Some(5));
        assert_eq!(id(r#"{"v": 5.0}"#).unwrap(), Some(5));
        assert_eq!(id(r#"{"v": " 17 "}"#).unwrap(), Some(17));
        assert_eq!(id(r#"{"v": ""}"#).unwrap(), None);
        assert!(id(r#"{"v": 5.5}"#).is_err());
        assert!(id(r#"{"v": "abc"}"#).is_err());
    }

    #[test]
    fn bools_accept_common_wire_forms() {
        let b = |j: &str| serde_json::from_str::<B>(j).map(|i| i.v);
        assert_eq!(b(r#"{"v": 1}"#).unwrap(), Some(true));
        assert_eq!(b(r#"{"v": "False"}"#).unwrap(), Some(false));
        assert_eq!(b(r#"{"v": null}"#).unwrap(), None);
        assert!(b(r#"{"v": 2}"#).is_err());
    }
}
