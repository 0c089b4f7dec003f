//! Lenient deserialisation helpers shared by the models (PAX8-Q19, §3.7, §3.8).
//!
//! Everything goes through `serde_json::Value`, which also makes the helpers work inside
//! `#[serde(flatten)]` structs and with serde_json's `arbitrary_precision` feature (which the
//! workspace enables through `rust_decimal`).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::Value;

/// `null` or absent becomes `T::default()` (used for arrays: absent or `null` is empty).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Parses a decimal from a JSON number or a numeric string.
pub(crate) fn decimal_from_value(v: &Value) -> Result<Option<Decimal>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => parse_decimal_str(&n.to_string()).map(Some),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_decimal_str(s.trim()).map(Some),
        other => Err(format!("expected a number, got {other}")),
    }
}

fn parse_decimal_str(s: &str) -> Result<Decimal, String> {
    Decimal::from_str(s)
        .or_else(|_| Decimal::from_scientific(s))
        .map_err(|e| format!("invalid decimal {s:?}: {e}"))
}

/// Lenient `Option<Decimal>`: integers, floats and numeric strings (PAX8-Q19).
pub(crate) fn opt_decimal<'de, D>(d: D) -> Result<Option<Decimal>, D::Error>
where
    D: Deserializer<'de>,
{
    let v = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    decimal_from_value(&v).map_err(D::Error::custom)
}

/// Parses a whole, non-negative number from `5`, `5.0` or `"5"`; rejects fractions.
pub(crate) fn u64_from_value(v: &Value) -> Result<Option<u64>, String> {
    let d = match decimal_from_value(v)? {
        None => return Ok(None),
        Some(d) => d,
    };
    if !d.fract().is_zero() {
        return Err(format!("expected a whole number, got {d}"));
    }
    if d.is_sign_negative() && !d.is_zero() {
        return Err(format!("expected a non-negative number, got {d}"));
    }
    u64::try_from(d.trunc())
        .map(Some)
        .map_err(|_| format!("number out of range: {d}"))
}

macro_rules! lenient_uint {
    ($name:ident, $ty:ty) => {
        /// Lenient optional unsigned integer: accepts `5`, `5.0` and `"5"`, rejects fractions
        /// (PAX8-Q19).
        pub(crate) fn $name<'de, D>(d: D) -> Result<Option<$ty>, D::Error>
        where
            D: Deserializer<'de>,
        {
            let v = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
            match u64_from_value(&v).map_err(D::Error::custom)? {
                None => Ok(None),
                Some(n) => <$ty>::try_from(n)
                    .map(Some)
                    .map_err(|_| D::Error::custom(format!("number out of range: {n}"))),
            }
        }
    };
}

lenient_uint!(opt_u16, u16);
lenient_uint!(opt_u32, u32);
lenient_uint!(opt_u64, u64);

/// Lenient optional boolean: `true`/`false`, and the strings `"true"`/`"false"` in any case.
pub(crate) fn opt_bool<'de, D>(d: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<Value>::deserialize(d)?.unwrap_or(Value::Null) {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        other => Err(D::Error::custom(format!("expected a boolean, got {other}"))),
    }
}

/// Lenient optional string: numbers are turned into their text (ids or postal codes sent as
/// numbers would otherwise fail a whole page).
pub(crate) fn opt_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<Value>::deserialize(d)?.unwrap_or(Value::Null) {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(D::Error::custom(format!("expected a string, got {other}"))),
    }
}
