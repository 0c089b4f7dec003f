//! Lenient deserialisation helpers of the models (PAX8-Q19, §3.7, §3.8): the shared ones come
//! from `billing_http_core::lenient`; the unsigned-integer ones are Pax8's own.
//!
//! Decimals are read from the number's exact JSON text (see `billing_http_core::lenient`);
//! the whole-number helpers go through `serde_json::Value`, whose integers are exact.

use serde::de::{Deserialize, Deserializer, Error as _};

pub(crate) use billing_http_core::lenient::{
    decimal_from_value, null_default, opt_bool, opt_decimal, opt_string,
};
use serde_json::Value;

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
#[cfg(feature = "webhooks")]
lenient_uint!(opt_u32, u32);

/// Like `opt_string`, but never an error: an object or an array gives `None`.
pub(crate) fn lenient_opt_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(
        match Option::<Value>::deserialize(d)?.unwrap_or(Value::Null) {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        },
    )
}
