//! Lenient serde helpers for vendor models, shared by every vendor crate.
//!
//! Vendors send numbers as strings, booleans as `"True"` or `1`, `null` where a list belongs,
//! and numbers where text belongs. Use these with `#[serde(deserialize_with = "…")]` (and
//! `#[serde(default)]` for keys that may be missing). Error messages name the JSON *type* that
//! was found, never the value, so no personal data ends up in an error.
//!
//! ## Exact numbers without `arbitrary_precision`
//!
//! A JSON number is read from its **text** (serde_json's `raw_value` feature, which changes
//! nothing else), never through `f64`: `1.10` keeps its two decimal places, `0.1` is exactly
//! 0.1, and a 28-digit amount keeps every digit. serde_json's `arbitrary_precision` feature is
//! not needed and not enabled, because it would change `serde_json::Value` in the whole program
//! of every user of the SDK.
//!
//! The exact text is available when the value is read from JSON text directly (as the vendor
//! crates do) or from a [`serde_json::Value`]. Where serde buffers values first — a field
//! of a struct that is itself `#[serde(flatten)]`ed into another, or of an untagged enum — or
//! with another data format, the helpers still accept the value, through serde's own number
//! types (so an `f64` there keeps about 15 significant digits).
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
//! let a: Article = serde_json::from_str(r#"{"price": 12.10, "active": "True", "tags": null}"#).unwrap();
//! assert_eq!(a.price.unwrap().to_string(), "12.10"); // the scale the vendor sent
//! assert_eq!(a.active, Some(true));
//! assert!(a.tags.is_empty());
//! ```

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Error as _, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

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

/// A decimal from a JSON number or a numeric string in a [`Value`]; `null` and `""` give
/// `None`.
///
/// A number is converted through its decimal text, never through binary floating point, so
/// `12.1` stays exactly 12.1; but a [`Value`] has already read the number (into an `f64` when
/// it has a fraction), so a value with more than about 15 significant digits, or trailing
/// zeros, is best read with [`opt_decimal`] straight from the JSON text.
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

/// Lenient `Option<Decimal>`: a JSON number (read from its exact text, see the
/// [module docs](self)) or a numeric string; `null` and `""` give `None`. Anything else is an
/// error, so a price that cannot be read never silently becomes "no price".
pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Null => Ok(None),
        Scalar::String(s) if s.trim().is_empty() => Ok(None),
        Scalar::String(s) => parse_decimal(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom("invalid decimal string")),
        Scalar::Number(n) => parse_decimal(&n)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("decimal out of range: {n}"))),
        other => Err(D::Error::custom(format!(
            "expected a number or a numeric string, found {}",
            other.json_type()
        ))),
    }
}

/// Lenient `Option<String>`: a number (its exact JSON text) or boolean is kept as text, so one
/// odd value (`"postcode": 9000`) does not fail a whole list; `null` gives `None`; objects and
/// arrays are an error.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Null => Ok(None),
        Scalar::String(s) | Scalar::Number(s) => Ok(Some(s)),
        Scalar::Bool(b) => Ok(Some(b.to_string())),
        other => Err(D::Error::custom(format!(
            "expected a string, found {}",
            other.json_type()
        ))),
    }
}

/// Lenient `Option<bool>`: `true`/`false`, `0`/`1`, and the strings `"true"`, `"false"`, `"1"`,
/// `"0"` in any case; `null` and `""` give `None`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Null => Ok(None),
        Scalar::Bool(b) => Ok(Some(b)),
        Scalar::Number(n) => match parse_decimal(&n) {
            Some(x) if x == Decimal::ZERO => Ok(Some(false)),
            Some(x) if x == Decimal::ONE => Ok(Some(true)),
            _ => Err(D::Error::custom(format!("expected a boolean, found {n}"))),
        },
        Scalar::String(s) => {
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
            other.json_type()
        ))),
    }
}

/// Serializes an `Option<Decimal>` as a JSON number, for request bodies whose API wants a
/// number (rust_decimal's own `Serialize` writes a string). Use with
/// `#[serde(serialize_with = "…")]`.
///
/// A request body is a [`Value`], whose numbers are `f64`: exact for up to 15 significant
/// digits (any price), and a value that would change on the way is an error, never rounded.
pub fn opt_decimal_as_number<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    let Some(d) = v else {
        return s.serialize_none();
    };
    // Rust's float parsing rounds correctly, and an f64's `Display` is the shortest text that
    // reads back as the same f64: if that text is the same number, the JSON number is exact.
    let f: f64 = d
        .to_string()
        .parse()
        .map_err(|_| S::Error::custom("decimal is not a number"))?;
    match parse_decimal(&f.to_string()) {
        Some(back) if back == *d => s.serialize_f64(f),
        _ => Err(S::Error::custom(format!(
            "{d} has more significant digits than a JSON number in a request body carries exactly (15)"
        ))),
    }
}

/// One JSON value as a lenient helper sees it, for vendor crates' own helpers: a number keeps
/// its exact text, so no number is ever out of range here (`1e400` is the text `1e400`, where
/// a [`Value`] refuses it); arrays and objects are only named. Read from JSON text, a
/// [`Value`] or buffered content (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scalar {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number's JSON text, e.g. `1.10`, `-2.5e3` or `1e400`.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array (its items are not kept).
    Array,
    /// An object (its members are not kept).
    Object,
}

impl Scalar {
    /// The JSON type name, for error messages (never the value itself).
    pub fn json_type(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Number(_) => "a number",
            Scalar::String(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(exact::ExactText(d))?;
        let text = raw.get().trim();
        Ok(match text.as_bytes().first() {
            Some(b'n') => Scalar::Null,
            Some(b't') => Scalar::Bool(true),
            Some(b'f') => Scalar::Bool(false),
            Some(b'"') => Scalar::String(serde_json::from_str(text).map_err(D::Error::custom)?),
            Some(b'[') => Scalar::Array,
            Some(b'{') => Scalar::Object,
            _ => Scalar::Number(text.to_owned()),
        })
    }
}

/// How [`Scalar`] gets a value's exact JSON text from any deserializer.
///
/// `Box<RawValue>` asks its deserializer for a newtype struct with serde_json's private name;
/// serde_json's deserializers (text and [`Value`]) answer with the exact text. Every other
/// deserializer (serde's buffered content in flattened structs and untagged enums, other
/// formats) answers with the plain value; [`ExactText`] then turns that value into a
/// [`Value`] and asks it again, so the raw value is its compact text. Only public serde and
/// serde_json API is used: the name comes from `RawValue`'s own request.
mod exact {
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
    use serde_json::Value;

    /// A deserializer that serves `RawValue` from anything; see the [module docs](self).
    pub(super) struct ExactText<D>(pub(super) D);

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for ExactText<D> {
        type Error = D::Error;

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0
                .deserialize_newtype_struct(name, Fallback { name, raw: visitor })
        }

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.deserialize_any(visitor)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }

    /// Passes serde_json's raw-value answer through; turns any other answer into a [`Value`]
    /// and asks that for the raw value.
    struct Fallback<V> {
        name: &'static str,
        raw: V,
    }

    impl<V> Fallback<V> {
        fn answer_with<'de, E: de::Error>(self, v: Value) -> Result<V::Value, E>
        where
            V: Visitor<'de>,
        {
            v.deserialize_newtype_struct(self.name, self.raw)
                .map_err(E::custom)
        }
    }

    impl<'de, V: Visitor<'de>> Visitor<'de> for Fallback<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
            self.raw.visit_map(map)
        }

        fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
            let v = Value::deserialize(d)?;
            self.answer_with(v)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
            let v = Value::deserialize(d)?;
            self.answer_with(v)
        }

        fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
            self.answer_with(Value::Null)
        }

        fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
            self.answer_with(Value::Null)
        }

        fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
            self.answer_with(Value::Bool(b))
        }

        fn visit_i64<E: de::Error>(self, n: i64) -> Result<V::Value, E> {
            self.answer_with(Value::from(n))
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<V::Value, E> {
            self.answer_with(Value::from(n))
        }

        fn visit_f64<E: de::Error>(self, n: f64) -> Result<V::Value, E> {
            self.answer_with(Value::from(n))
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
            self.answer_with(Value::String(s.to_owned()))
        }
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
    fn numbers_are_read_from_their_exact_text() {
        let d = |json: &str| t(json).expect("decodes").d.expect("a decimal");
        assert_eq!(d(r#"{"d": 1.10}"#).to_string(), "1.10", "the scale is kept");
        assert_eq!(d(r#"{"d": 1.10}"#).scale(), 2);
        assert_eq!(
            d(r#"{"d": 12.345678901234567890}"#).to_string(),
            "12.345678901234567890",
            "20 digits, more than an f64 holds"
        );
        assert_eq!(
            d(r#"{"d": 1234567890.123456789012345678}"#).to_string(),
            "1234567890.123456789012345678",
            "28 significant digits"
        );
        assert_eq!(
            d(r#"{"d": 0.1}"#) + d(r#"{"d": 0.2}"#),
            Decimal::new(3, 1),
            "0.1 + 0.2 is exactly 0.3"
        );
        assert_eq!(d(r#"{"d": -2.5e3}"#), Decimal::from(-2500));
        // strings keep the number's text too
        let s = t(r#"{"s": 1.10}"#).expect("decodes").s;
        assert_eq!(s.as_deref(), Some("1.10"));
    }

    #[test]
    fn exact_through_path_tracking_and_beside_a_flattened_map() {
        #[derive(serde::Deserialize, Debug)]
        struct WithExtra {
            #[serde(default, deserialize_with = "opt_decimal")]
            d: Option<Decimal>,
            #[serde(flatten)]
            extra: serde_json::Map<String, Value>,
        }
        let json = br#"{"d": 7.50, "other": 1}"#;
        let de = &mut serde_json::Deserializer::from_slice(json);
        let v: WithExtra = serde_path_to_error::deserialize(de).expect("decodes");
        assert_eq!(v.d.map(|d| d.to_string()).as_deref(), Some("7.50"));
        assert_eq!(v.extra.get("other"), Some(&Value::from(1)));
        // and the path of an error is still reported
        let de = &mut serde_json::Deserializer::from_slice(br#"{"d": true}"#);
        let err = serde_path_to_error::deserialize::<_, WithExtra>(de).expect_err("a boolean");
        assert_eq!(err.path().to_string(), "d");
    }

    #[test]
    fn buffered_values_and_json_values_still_decode() {
        // a struct flattened into another is read from serde's buffer, not from the text
        #[derive(serde::Deserialize)]
        struct Outer {
            #[serde(flatten)]
            inner: T,
        }
        let v: Outer =
            serde_json::from_str(r#"{"d": 0.25, "b": "true", "s": 12}"#).expect("decodes");
        assert_eq!(v.inner.d, Some(Decimal::new(25, 2)));
        assert_eq!(v.inner.b, Some(true));
        assert_eq!(v.inner.s.as_deref(), Some("12"));
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            T(T),
        }
        let Either::T(v) = serde_json::from_str(r#"{"d": "3.5", "b": 0}"#).expect("decodes");
        assert_eq!(v.d, Some(Decimal::new(35, 1)));
        assert_eq!(v.b, Some(false));
        let v: T =
            serde_json::from_value(serde_json::json!({"d": 12.1, "b": null})).expect("decodes");
        assert_eq!(v.d, Some(Decimal::new(121, 1)));
        assert_eq!(v.b, None);
    }

    #[test]
    fn decimals_are_written_as_exact_json_numbers_or_refused() {
        #[derive(serde::Serialize)]
        struct Body {
            #[serde(serialize_with = "opt_decimal_as_number")]
            price: Option<Decimal>,
        }
        let body = |d: &str| {
            serde_json::to_value(Body {
                price: Some(d.parse().expect("a decimal")),
            })
        };
        assert_eq!(
            body("12.10").expect("fits").to_string(),
            r#"{"price":12.1}"#
        );
        assert_eq!(body("0.3").expect("fits").to_string(), r#"{"price":0.3}"#);
        assert_eq!(
            body("123456789012.345").expect("15 digits fit").to_string(),
            r#"{"price":123456789012.345}"#
        );
        let err = body("12.345678901234567890").expect_err("too many digits");
        assert!(err.to_string().contains("significant digits"), "{err}");
        let none = serde_json::to_value(Body { price: None }).expect("serializes");
        assert_eq!(none.to_string(), r#"{"price":null}"#);
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
