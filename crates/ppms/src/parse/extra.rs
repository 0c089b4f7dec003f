//! [`Extra`]: the columns of a row that its model does not read (PPMS-Q14, PPMS-Q15).
//!
//! Kept so that new server columns are not lost, and kept **compactly**: a parsed row whose
//! unknown cells are not all empty holds one copy of its own CSV text plus a pointer to its
//! table's column layout (shared by every row), and decodes the cells when asked. A body with
//! 1,000 unknown columns per row therefore costs about its own size, not one map entry, one
//! header-name copy and one value string per cell (issue 16: a 61 MB `getsystems` body took
//! 4.3 GiB that way).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use csv::StringRecord;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::table::{Header, clean_field, reader};
use super::value;

/// Where the columns a model does not read are, in one table; shared by all its rows.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ExtraLayout {
    /// The table's header (fields beyond its width are surplus).
    header: Arc<Header>,
    /// The positions of the columns the model reads (a handful); every other header column is
    /// unknown to it.
    known: Vec<usize>,
    /// True when the header has a column the model does not read.
    any_unknown: bool,
}

/// Adds the non-empty fields beyond a header of `width` columns to `out`, under positional
/// keys `#17` (1-based).
pub(crate) fn surplus<'a>(
    width: usize,
    len: usize,
    field: impl Fn(usize) -> Option<&'a str>,
    out: &mut BTreeMap<String, String>,
) {
    for i in width..len {
        if let Some(v) = field(i).filter(|v| !v.is_empty()) {
            out.insert(format!("#{}", i + 1), value::text(v));
        }
    }
}

impl ExtraLayout {
    pub(crate) fn new(header: Arc<Header>, mut known: Vec<usize>) -> Self {
        known.sort_unstable();
        known.dedup();
        let any_unknown = known.len() < header.len();
        Self {
            header,
            known,
            any_unknown,
        }
    }

    /// The positions of the header columns the model does not read.
    fn unknown(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.header.len()).filter(|i| self.known.binary_search(i).is_err())
    }

    /// True when the fields (read by `field`, cleaned) hold a non-empty unknown or surplus
    /// value, i.e. when a row needs to keep anything.
    pub(crate) fn keeps_anything<'a>(
        &self,
        len: usize,
        field: impl Fn(usize) -> Option<&'a str>,
    ) -> bool {
        let non_empty = |i: usize| field(i).is_some_and(|v| !v.is_empty());
        (self.any_unknown && self.unknown().any(non_empty))
            || (self.header.len()..len).any(non_empty)
    }

    /// The non-empty unknown and surplus cells of a row, entity-decoded.
    pub(crate) fn entries<'a>(
        &self,
        len: usize,
        field: impl Fn(usize) -> Option<&'a str>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for i in self.unknown() {
            if let (Some(name), Some(v)) = (self.header.name(i), field(i))
                && !v.is_empty()
            {
                out.insert(name.to_owned(), value::text(v));
            }
        }
        surplus(self.header.len(), len, field, &mut out);
        out
    }

    fn decode(&self, raw: &str) -> BTreeMap<String, String> {
        let mut record = StringRecord::new();
        match reader(raw).read_record(&mut record) {
            Ok(true) => self.entries(record.len(), |i| record.get(i).map(clean_field)),
            _ => BTreeMap::new(),
        }
    }
}

/// The columns of a row that its model does not read, by header name, plus non-empty fields
/// beyond the header under positional keys `#17` (1-based), so that new server columns are not
/// lost (PPMS-Q14, PPMS-Q15). Empty cells are left out; values are entity-decoded (PPMS-Q21).
///
/// It reads like a small map (`get`, `iter`, `len`, …) and compares, prints and serialises as
/// one. A row parsed from a body keeps only its own CSV text and decodes it when asked, so an
/// access costs a short parse; call [`Extra::to_map`] once to read many entries.
///
/// Build one for your own tests with `collect()`, `From<BTreeMap<_, _>>` or [`Extra::insert`]:
///
/// ```
/// let mut extra = ppms::Extra::default();
/// extra.insert("Colour", "red");
/// assert_eq!(extra.get("Colour").as_deref(), Some("red"));
/// ```
#[derive(Clone, Default)]
pub struct Extra {
    repr: Repr,
}

#[derive(Clone, Default)]
enum Repr {
    #[default]
    Empty,
    /// A parsed row: its CSV text and its table's layout.
    Row {
        layout: Arc<ExtraLayout>,
        raw: Box<str>,
    },
    /// Entries built by hand, read from JSON, or deserialised.
    Map(BTreeMap<String, String>),
}

impl Extra {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// A parsed row's extra columns, decoded on access from `raw` (one CSV record).
    pub(crate) fn from_row(layout: Arc<ExtraLayout>, raw: &str) -> Self {
        let raw = raw.trim_end_matches(['\r', '\n']);
        Self {
            repr: Repr::Row {
                layout,
                raw: raw.into(),
            },
        }
    }

    /// Every entry, by name.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        match &self.repr {
            Repr::Empty => BTreeMap::new(),
            Repr::Row { layout, raw } => layout.decode(raw),
            Repr::Map(m) => m.clone(),
        }
    }

    /// The value of a column, if the row has a non-empty one.
    pub fn get(&self, name: &str) -> Option<String> {
        match &self.repr {
            Repr::Map(m) => m.get(name).cloned(),
            _ => self.to_map().remove(name),
        }
    }

    /// True when the row has a non-empty value for the column.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Empty => 0,
            Repr::Map(m) => m.len(),
            Repr::Row { .. } => self.to_map().len(),
        }
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        match &self.repr {
            Repr::Empty => true,
            Repr::Map(m) => m.is_empty(),
            // a row keeps its text only when it has a non-empty extra cell
            Repr::Row { .. } => false,
        }
    }

    /// The entries in name order.
    pub fn iter(&self) -> std::collections::btree_map::IntoIter<String, String> {
        self.to_map().into_iter()
    }

    /// The values in name order.
    pub fn values(&self) -> std::collections::btree_map::IntoValues<String, String> {
        self.to_map().into_values()
    }

    /// Sets an entry (for building models in tests), returning the previous value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let mut map = match std::mem::take(&mut self.repr) {
            Repr::Map(m) => m,
            other => Extra { repr: other }.to_map(),
        };
        let previous = map.insert(name.into(), value.into());
        self.repr = Repr::Map(map);
        previous
    }
}

impl From<BTreeMap<String, String>> for Extra {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self {
            repr: if map.is_empty() {
                Repr::Empty
            } else {
                Repr::Map(map)
            },
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Extra {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        iter.into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect::<BTreeMap<_, _>>()
            .into()
    }
}

impl IntoIterator for &Extra {
    type Item = (String, String);
    type IntoIter = std::collections::btree_map::IntoIter<String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        self.to_map() == other.to_map()
    }
}

impl Eq for Extra {}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.to_map()).finish()
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, String>::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn layout() -> Arc<ExtraLayout> {
        let header = Header::new(["System id", "Name", "Colour"]);
        Arc::new(ExtraLayout::new(Arc::new(header), vec![0, 1]))
    }

    #[test]
    fn a_row_decodes_unknown_and_surplus_cells_on_access() {
        let e = Extra::from_row(layout(), "3,\"x\",\" red \",\"\",,\"l&amp;te\"\r\n");
        assert_eq!(e.get("Colour").as_deref(), Some("red"));
        assert_eq!(e.get("#6").as_deref(), Some("l&te"));
        assert_eq!(e.len(), 2);
        let built: Extra = [("Colour", "red"), ("#6", "l&te")].into_iter().collect();
        assert_eq!(e, built);
        assert_eq!(format!("{e:?}"), r##"{"#6": "l&te", "Colour": "red"}"##);
    }

    #[test]
    fn insert_turns_a_row_into_a_map_and_serde_round_trips() {
        let mut e = Extra::from_row(layout(), "3,x,red");
        assert_eq!(e.insert("Size", "XL"), None);
        assert_eq!(e.insert("Colour", "blue").as_deref(), Some("red"));
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"Colour":"blue","Size":"XL"}"#);
        let back: Extra = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert!(Extra::default().is_empty());
        assert!(Extra::from(BTreeMap::new()).is_empty());
    }
}
