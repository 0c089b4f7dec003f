//! Decoding that never refuses a valid answer (issue 13, point 4).
//!
//! Every answer is read as JSON first, then each object is decoded into its model. When one
//! value cannot be typed (a number beyond `Decimal`'s range, an id sent as a number, an enum
//! sent as an object), the value is taken out of the object, the object is decoded again, and
//! the raw value is kept in the model's `extra` map under its JSON path (`quantity`,
//! `rates[0].partnerBuyRate`): the item decodes, the typed field is `None`, nothing is lost.
//! Only an item that is not an object at all (or cannot be repaired) fails, and in a page it
//! fails alone: the page keeps it in [`Page::invalid`](super::Page::invalid) while the other
//! items decode.

use std::hash::Hasher;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

/// A response model: a type the client decodes answers into.
///
/// Models keep fields they cannot type in their `extra` map (see the module docs), so one odd
/// value never fails a whole answer. Every model of this crate implements it; implement it
/// for your own type to decode pages of it ([`Page<T>`](super::Page) needs `T: Model`).
pub trait Model: DeserializeOwned {
    /// The map where fields this crate does not model, and values it could not type, are
    /// kept; `None` for types without one (such values are then dropped with a warning).
    fn extra_mut(&mut self) -> Option<&mut Map<String, Value>>;
}

impl Model for Value {
    fn extra_mut(&mut self) -> Option<&mut Map<String, Value>> {
        self.as_object_mut()
    }
}

/// Implements [`Model`] for structs with a public `extra` map.
macro_rules! models {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::model::Model for $ty {
            fn extra_mut(&mut self) -> Option<&mut serde_json::Map<String, serde_json::Value>> {
                Some(&mut self.extra)
            }
        }
    )*};
}
pub(crate) use models;

/// Why an item could not be decoded even after repair.
#[derive(Debug, Clone)]
pub(crate) struct Undecodable {
    /// JSON path of the failing value, relative to the item (`""`: the item itself).
    pub(crate) path: String,
    /// What was wrong (the JSON type found, never the value).
    pub(crate) message: String,
}

/// Most values taken out of one item before giving up.
const MAX_REPAIRS: usize = 256;

/// Decodes `value` into `T`, taking out values that cannot be typed and keeping them in
/// `T`'s `extra` map under their JSON path. Only a failing value is copied.
pub(crate) fn from_value<T: Model>(value: &Value) -> Result<T, Undecodable> {
    let first = match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    let mut value = value.clone();
    let mut kept: Vec<(String, Value)> = Vec::new();
    let mut error = first;
    for _ in 0..MAX_REPAIRS {
        let segments: Vec<Segment> = error.path().iter().cloned().collect();
        match take(&mut value, &segments) {
            Some((at, raw)) => {
                tracing::debug!(path = %at, "pax8: a value that could not be typed is kept raw");
                kept.push((at, raw));
            }
            None => {
                return Err(Undecodable {
                    path: path_text(&segments),
                    message: message_of(error.inner()),
                });
            }
        }
        match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(mut t) => {
                match t.extra_mut() {
                    Some(extra) => extra.extend(kept),
                    None => tracing::warn!(
                        fields = kept.len(),
                        "pax8: values that could not be typed were dropped"
                    ),
                }
                return Ok(t);
            }
            Err(e) => error = e,
        }
    }
    Err(Undecodable {
        path: String::new(),
        message: "too many values that could not be typed".into(),
    })
}

/// Decodes one item from its JSON text: straight into `T` when it fits (the common case, no
/// intermediate `Value`), else through [`from_value`]'s repair. `Err` carries the item as a
/// `Value` when it is JSON at all.
pub(crate) fn from_text<T: Model>(text: &str) -> Result<T, (Undecodable, Value)> {
    let mut de = serde_json::Deserializer::from_str(text);
    if let Ok(t) = serde_path_to_error::deserialize::<_, T>(&mut de) {
        return Ok(t);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        (
            Undecodable {
                path: String::new(),
                message: format!("not json: {}", e.classify_text()),
            },
            Value::Null,
        )
    })?;
    from_value::<T>(&value).map_err(|u| (u, value))
}

/// A short name for a JSON syntax problem (never the text itself).
trait ClassifyText {
    fn classify_text(&self) -> &'static str;
}

impl ClassifyText for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "i/o error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

/// The error's message without the offending value: serde quotes strings it rejects, and
/// those may be personal data.
fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(": \"").or_else(|| text.find(" `")) {
        Some(i) if text.starts_with("invalid") => text[..i].to_owned(),
        _ => text,
    }
}

/// `a.b[0].c` for a path.
fn path_text(segments: &[Segment]) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
    out
}

/// Removes the deepest value the path reaches (below the root), returning its path and the
/// raw value.
fn take(value: &mut Value, segments: &[Segment]) -> Option<(String, Value)> {
    let known: Vec<&Segment> = segments
        .iter()
        .take_while(|s| matches!(s, Segment::Seq { .. } | Segment::Map { .. }))
        .collect();
    let (last, parents) = known.split_last()?;
    let mut here = value;
    for s in parents {
        here = match (s, here) {
            (Segment::Map { key }, Value::Object(m)) => m.get_mut(key)?,
            (Segment::Seq { index }, Value::Array(a)) => a.get_mut(*index)?,
            _ => return None,
        };
    }
    let owned: Vec<Segment> = known.iter().map(|s| (*s).clone()).collect();
    let at = path_text(&owned);
    let raw = match (last, here) {
        (Segment::Map { key }, Value::Object(m)) => m.remove(key)?,
        (Segment::Seq { index }, Value::Array(a)) if *index < a.len() => a.remove(*index),
        _ => return None,
    };
    Some((at, raw))
}

/// A stable fingerprint of a list of JSON texts (to recognise a page that repeats the previous
/// one).
pub(crate) fn fingerprint_texts<'a>(items: impl ExactSizeIterator<Item = &'a str>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write_usize(items.len());
    for item in items {
        h.write(item.as_bytes());
        h.write_u8(0);
    }
    h.finish()
}

/// A stable fingerprint of a list of JSON values (to recognise a page that repeats the
/// previous one).
pub(crate) fn fingerprint(items: &[Value]) -> u64 {
    struct HashWriter<'a>(&'a mut std::collections::hash_map::DefaultHasher);
    impl std::io::Write for HashWriter<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write_usize(items.len());
    for item in items {
        // writing a `Value` to an in-memory sink cannot fail
        let _ = serde_json::to_writer(HashWriter(&mut h), item);
        h.write_u8(0);
    }
    h.finish()
}
