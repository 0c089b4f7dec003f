//! The `{content, page}` envelope (§3.1, §3.2, §5.25).

use serde::de::{Deserialize, Deserializer};
use serde::{Serialize, Serializer};
use serde_json::Value;

use serde_json::value::RawValue;

use super::decode::{Model, fingerprint, fingerprint_texts, from_text, from_value};

/// One page of a list endpoint. `page` is `None` on the content-only endpoints
/// (`provision-details`, `pricing`, `history`) and on any answer without a page block
/// (PAX8-Q30).
///
/// Decoding never fails because of one item or the page block (issue 13): every item is
/// decoded on its own (a value that cannot be typed stays raw in the item's `extra`, see
/// [`Model`]); an item that cannot be decoded at all is listed in [`Page::invalid`] while the
/// others decode; and the page block is read field by field, an odd field becoming `None`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page that decoded (absent or `null` content is empty).
    pub content: Vec<T>,
    /// The page block, when the answer had one (an unreadable block is all `None`).
    pub page: Option<PageInfo>,
    /// Items that could not be decoded at all (not an object, for example), with their index
    /// in `content` as sent. Empty on a well-formed page.
    pub invalid: Vec<InvalidItem>,
    /// Fingerprint of the content as sent (to recognise a page that repeats the last one).
    fingerprint: u64,
}

/// An item of a page that could not be decoded.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct InvalidItem {
    /// Index of the item in the page's `content` as sent.
    pub index: usize,
    /// JSON path of the failing value within the item (empty: the item itself).
    pub path: String,
    /// What was wrong (the JSON type found, never the value).
    pub message: String,
    /// The item as sent.
    pub raw: Value,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page::new(Vec::new(), None)
    }
}

impl<T> Page<T> {
    /// A page built from parts (useful in tests and fakes).
    pub fn new(content: Vec<T>, page: Option<PageInfo>) -> Self {
        Self {
            content,
            page,
            invalid: Vec::new(),
            fingerprint: 0,
        }
    }

    /// Whether the page has no item at all (decoded or not).
    pub fn is_empty(&self) -> bool {
        self.content.is_empty() && self.invalid.is_empty()
    }

    /// How many items the server sent on this page (decoded or not).
    pub fn len(&self) -> usize {
        self.content.len() + self.invalid.len()
    }

    pub(crate) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

impl<T: Model> Page<T> {
    /// Builds a page from a decoded JSON answer: see the type docs. An answer that is not an
    /// object is read as an empty page without a page block.
    pub fn from_json(value: Value) -> Self {
        let (content, page) = match value {
            Value::Object(mut m) => (m.remove("content"), m.remove("page")),
            Value::Array(items) => (Some(Value::Array(items)), None),
            _ => (None, None),
        };
        let items = match content {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => Vec::new(),
            Some(other) => vec![other],
        };
        let fingerprint = fingerprint(&items);
        let mut out = Page {
            content: Vec::with_capacity(items.len()),
            page: page.and_then(PageInfo::from_json),
            invalid: Vec::new(),
            fingerprint,
        };
        for (index, raw) in items.into_iter().enumerate() {
            match from_value::<T>(&raw) {
                Ok(t) => out.content.push(t),
                Err(u) => out.invalid.push(InvalidItem {
                    index,
                    path: u.path,
                    message: u.message,
                    raw,
                }),
            }
        }
        out
    }
}

impl<T: Model> Page<T> {
    /// Builds a page from the JSON text of an answer, like [`Page::from_json`] but decoding
    /// each item straight from its text when it fits (no intermediate `Value` for a
    /// well-formed page); this is what the client does. `None` when the text is not a JSON
    /// object.
    pub fn from_slice(body: &[u8]) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Wire<'a> {
            #[serde(borrow, default)]
            content: Option<&'a RawValue>,
            #[serde(default)]
            page: Option<Value>,
        }
        let wire: Wire<'_> = serde_json::from_slice(body).ok()?;
        let items: Vec<&RawValue> = match wire.content {
            None => Vec::new(),
            Some(c) if c.get() == "null" => Vec::new(),
            Some(c) => serde_json::from_str(c.get()).unwrap_or_else(|_| vec![c]),
        };
        let mut out = Page {
            content: Vec::with_capacity(items.len()),
            page: wire.page.and_then(PageInfo::from_json),
            invalid: Vec::new(),
            fingerprint: fingerprint_texts(items.iter().map(|r| r.get())),
        };
        for (index, raw) in items.into_iter().enumerate() {
            match from_text::<T>(raw.get()) {
                Ok(t) => out.content.push(t),
                Err((u, raw)) => out.invalid.push(InvalidItem {
                    index,
                    path: u.path,
                    message: u.message,
                    raw,
                }),
            }
        }
        Some(out)
    }
}

impl<'de, T: Model> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(Page::from_json)
    }
}

impl<T: Serialize> Serialize for Page<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a, T> {
            content: &'a [T],
            #[serde(skip_serializing_if = "Option::is_none")]
            page: Option<&'a PageInfo>,
        }
        Wire {
            content: &self.content,
            page: self.page.as_ref(),
        }
        .serialize(s)
    }
}

/// The `page` block of a paged response, read best-effort: the spec types `size` as a number
/// and leaves the other three untyped (PAX8-Q19), so each field is read on its own from a
/// whole, non-negative number (`10`, `10.0`, `"10"`); anything else (a fraction, a negative,
/// text, an object) is `None` and never fails the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PageInfo {
    /// The page size in effect (trust it over the requested size, PAX8-Q20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// Total number of items (a count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_elements: Option<u64>,
    /// Total number of pages (a count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<u32>,
    /// Zero-based index of this page, as the server reports it (not used to walk: see
    /// [`crate::pagination`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
}

impl PageInfo {
    /// A page block built from its four values.
    pub fn new(size: u32, total_elements: u64, total_pages: u32, number: u32) -> Self {
        Self {
            size: Some(size),
            total_elements: Some(total_elements),
            total_pages: Some(total_pages),
            number: Some(number),
        }
    }

    /// Reads a page block field by field; `None` for an absent or `null` block, all fields
    /// `None` for a block that is not an object.
    pub fn from_json(value: Value) -> Option<Self> {
        let m = match value {
            Value::Null => return None,
            Value::Object(m) => m,
            _ => return Some(Self::default()),
        };
        let whole = |key: &str| {
            m.get(key)
                .and_then(|v| super::de::u64_from_value(v).ok().flatten())
        };
        Some(Self {
            size: whole("size").and_then(|n| u32::try_from(n).ok()),
            total_elements: whole("totalElements"),
            total_pages: whole("totalPages").and_then(|n| u32::try_from(n).ok()),
            number: whole("number").and_then(|n| u32::try_from(n).ok()),
        })
    }
}

impl<'de> Deserialize<'de> for PageInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_json(Value::deserialize(d)?).unwrap_or_default())
    }
}
