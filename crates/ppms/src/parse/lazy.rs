//! [`Table`]: a CSV table kept as its body plus where each row starts, rows decoded on access
//! (issue 16, item 5).
//!
//! A typed row costs the size of its model whatever the row's size (a [`crate::System`] is
//! about 130 bytes, a `getsystems` row can be 20), so no `Vec` of models keeps memory within a
//! few times the body for narrow rows. A `Table` holds the body once (shared, not copied), one
//! `u32` per row and the warnings, and builds each row's value when it is read, with the same
//! code the scan used to accept it.

use std::fmt;
use std::io::SeekFrom;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use csv::StringRecord;

use super::table::{
    Col, FromRow, Header, Keep, Resolved, Scanned, decode_row, next_record, reader_over,
    record_pos, scan_table, scan_table_after,
};
use super::text::utf8;
use super::{ParseError, Parsed, RowPolicy, Warning};

/// The rows of a CSV table, decoded when they are read: the body (shared, never copied), its
/// header, where each row that the scan accepted starts, and the warnings.
///
/// Building one reads the body exactly as [`super::parse_table`] does — the same header rules,
/// the same [`RowPolicy`], the same warnings and errors, every row validated by `T::from_row` —
/// but drops each value instead of keeping it. Reading a row ([`Table::get`], [`Table::iter`])
/// decodes it again with the same code, so it gives exactly the value `parse_table` gives for
/// that row.
///
/// **Memory**: the body, plus 4 bytes per row (8 for a body past 4 GiB), plus at most
/// [`super::MAX_WARNINGS`] warnings; while it is built, one row value and the CSV reader's
/// buffers (about one line) on top. A [`Parsed`] costs the size of `T` per row instead: use a
/// `Table` for large tables, and [`Table::into_parsed`] (or `collect`) for the rows you keep.
/// The cost moves to access: each read parses its row again (an iteration reads the body once;
/// [`Table::get`] reads up to 64 rows' worth of bytes to find its row's line).
///
/// ```
/// use ppms::parse::{RowPolicy, Table};
/// use ppms::System;
///
/// let body = "System id,Name,Active\r\n1,Confocal,True\r\nx,Broken,True\r\n2,Widefield,False\r\n";
/// let systems = Table::<System>::parse(body, RowPolicy::SkipAndWarn)?;
/// assert_eq!(systems.len(), 2); // the row with id `x` is skipped, with a warning
/// assert_eq!(systems.warnings().len(), 1);
/// assert_eq!(systems.get(1).map(|s| s.name), Some("Widefield".to_owned()));
/// for system in &systems {
///     println!("{} {}", system.system_id, system.name);
/// }
/// # Ok::<(), ppms::parse::ParseError>(())
/// ```
pub struct Table<T> {
    /// The body: valid UTF-8 (checked when the table was built).
    text: Bytes,
    header: Arc<Header>,
    resolved: Arc<Resolved>,
    index: RowIndex,
    warnings: Vec<Warning>,
    rows: PhantomData<fn() -> T>,
}

impl<T: FromRow> Table<T> {
    /// Reads a CSV table whose header is its first non-blank line, as
    /// [`super::parse_table`] does. `body` is kept without copying (a `String`, a `Vec<u8>`
    /// or [`Bytes`] becomes the table's buffer); a body that is not UTF-8 is a [`ParseError`].
    pub fn parse(body: impl Into<Bytes>, policy: RowPolicy) -> Result<Self, ParseError> {
        let text = body.into();
        let mut index = RowIndex::for_body(text.len());
        let scanned = scan_table::<T>(utf8(&text)?, policy, &mut index)?;
        Ok(Self::new(text, index, scanned))
    }

    /// Reads a CSV table whose header is the first line (within the first `max_scan` non-blank
    /// lines) holding the `key` column, with the preamble before it, as
    /// [`super::parse_table_after`] does; `Ok(None)` when no such header is found in a
    /// non-empty body.
    pub fn parse_after(
        body: impl Into<Bytes>,
        key: Col,
        max_scan: usize,
        policy: RowPolicy,
    ) -> Result<Option<(Vec<String>, Self)>, ParseError> {
        let text = body.into();
        let mut index = RowIndex::for_body(text.len());
        let found = scan_table_after::<T>(utf8(&text)?, key, max_scan, policy, &mut index)?;
        Ok(found.map(|(preamble, scanned)| (preamble, Self::new(text, index, scanned))))
    }

    fn new(text: Bytes, mut index: RowIndex, scanned: Option<Scanned>) -> Self {
        let Some(scanned) = scanned else {
            return Self::default();
        };
        index.shrink_to_fit();
        Self {
            text,
            header: scanned.header,
            resolved: Arc::new(scanned.resolved),
            index,
            warnings: scanned.warnings,
            rows: PhantomData,
        }
    }

    /// The row at `index` (in body order, counting only the rows the scan accepted); `None`
    /// past the end.
    pub fn get(&self, index: usize) -> Option<T> {
        let (offset, line) = self.index.locate(index, &self.text)?;
        Reader::new(self.text.clone()).row_at(self, offset, line)
    }

    /// The rows in body order, each decoded when the iterator reaches it.
    pub fn iter(&self) -> Rows<'_, T> {
        Rows {
            table: self,
            walk: Walk::default(),
        }
    }

    /// Every row as a value, with the warnings: the [`Parsed`] that
    /// [`super::parse_table`] gives for the same body.
    pub fn into_parsed(self) -> Parsed<T> {
        let mut items = Vec::with_capacity(self.len());
        items.extend(self.iter());
        Parsed {
            items,
            warnings: self.warnings,
        }
    }
}

impl<T> Table<T> {
    /// The number of rows (those the scan accepted).
    pub fn len(&self) -> usize {
        self.index.starts.len()
    }

    /// True when the table has no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows that were skipped and other oddities, in body order (PPMS-Q44).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The header the rows are read through (empty for an empty body).
    pub fn header(&self) -> &Header {
        &self.header
    }
}

impl<T: FromRow> Default for Table<T> {
    /// No rows.
    fn default() -> Self {
        let header = Arc::new(Header::default());
        Self {
            text: Bytes::new(),
            resolved: Arc::new(Resolved::new(&header, T::COLUMNS)),
            header,
            index: RowIndex::default(),
            warnings: Vec::new(),
            rows: PhantomData,
        }
    }
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        Self {
            text: self.text.clone(),
            header: self.header.clone(),
            resolved: self.resolved.clone(),
            index: self.index.clone(),
            warnings: self.warnings.clone(),
            rows: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("rows", &self.len())
            .field("header", &self.header)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl<'a, T: FromRow> IntoIterator for &'a Table<T> {
    type Item = T;
    type IntoIter = Rows<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: FromRow> IntoIterator for Table<T> {
    type Item = T;
    type IntoIter = IntoRows<T>;
    fn into_iter(self) -> Self::IntoIter {
        IntoRows {
            table: self,
            walk: Walk::default(),
        }
    }
}

/// The rows of a [`Table`], decoded one by one ([`Table::iter`]).
///
/// It yields [`Table::len`] rows, unless a `T::from_row` that is not a function of its row
/// alone refuses one it accepted while the table was built: that row is left out.
pub struct Rows<'a, T> {
    table: &'a Table<T>,
    walk: Walk,
}

impl<T: FromRow> Iterator for Rows<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.walk.next_row(self.table)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.walk.size_hint(self.table)
    }
}

impl<T> fmt::Debug for Rows<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rows")
            .field("next", &self.walk.next)
            .finish_non_exhaustive()
    }
}

/// The rows of a [`Table`] it owns, decoded one by one (`table.into_iter()`); see [`Rows`].
pub struct IntoRows<T> {
    table: Table<T>,
    walk: Walk,
}

impl<T: FromRow> Iterator for IntoRows<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.walk.next_row(&self.table)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.walk.size_hint(&self.table)
    }
}

impl<T> fmt::Debug for IntoRows<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoRows")
            .field("next", &self.walk.next)
            .finish_non_exhaustive()
    }
}

/// An iteration over a table: the next row to yield, and a reader left where the last row
/// ended, so that a whole iteration reads the body once.
#[derive(Default)]
struct Walk {
    reader: Option<Reader>,
    next: usize,
}

impl Walk {
    fn next_row<T: FromRow>(&mut self, table: &Table<T>) -> Option<T> {
        while self.next < table.len() {
            let i = self.next;
            self.next += 1;
            if let Some(row) = self.read(table, i) {
                return Some(row);
            }
        }
        None
    }

    fn size_hint<T>(&self, table: &Table<T>) -> (usize, Option<usize>) {
        (0, Some(table.len().saturating_sub(self.next)))
    }

    /// Row `i`: read on from the last row when the reader is there (the records in between are
    /// rows the scan did not accept, or blank), else sought.
    fn read<T: FromRow>(&mut self, table: &Table<T>, i: usize) -> Option<T> {
        let want = table.index.starts.get(i)?;
        if let Some(r) = &mut self.reader {
            while let Ok(true) = next_record(&mut r.rdr, &mut r.record) {
                // read on from a record's end, the reader sees positions exactly as the scan did
                let (line, offset) = record_pos(&table.text, &r.record);
                if offset == want {
                    return r.decode(table, offset, line);
                }
                if offset > want {
                    break;
                }
            }
        }
        let (offset, line) = table.index.locate(i, &table.text)?;
        self.reader
            .get_or_insert_with(|| Reader::new(table.text.clone()))
            .row_at(table, offset, line)
    }
}

/// A CSV reader over a table's body, and the record it reads into.
struct Reader {
    rdr: csv::Reader<std::io::Cursor<Bytes>>,
    record: StringRecord,
}

impl Reader {
    fn new(text: Bytes) -> Self {
        Self {
            rdr: reader_over(text),
            record: StringRecord::new(),
        }
    }

    /// The row that the scan found at `offset` on `line`.
    fn row_at<T: FromRow>(&mut self, table: &Table<T>, offset: usize, line: u64) -> Option<T> {
        let mut pos = csv::Position::new();
        pos.set_byte(offset as u64).set_line(line);
        // `seek_raw`, not `seek`: `seek` keeps the reader's line when the byte is unchanged
        self.rdr
            .seek_raw(SeekFrom::Start(offset as u64), pos)
            .ok()?;
        if !next_record(&mut self.rdr, &mut self.record).ok()? {
            return None;
        }
        self.decode(table, offset, line)
    }

    /// Decodes the record just read, which starts at `offset` on `line`, as the scan did.
    fn decode<T: FromRow>(&self, table: &Table<T>, offset: usize, line: u64) -> Option<T> {
        let end = usize::try_from(self.rdr.position().byte()).unwrap_or(usize::MAX);
        // the body is UTF-8, so this is `Some` exactly when the scan's `body.get(offset..end)` was
        let raw = table
            .text
            .get(offset..end)
            .and_then(|r| std::str::from_utf8(r).ok());
        decode_row::<T>(&table.header, &table.resolved, &self.record, line, raw).ok()
    }
}

/// Rows whose line is kept; the others' lines are counted from the last one before them.
const CHECKPOINT: usize = 64;

/// Where each row a scan accepted starts, and the line of every [`CHECKPOINT`]-th row.
#[derive(Debug, Clone, Default)]
struct RowIndex {
    starts: Offsets,
    lines: Vec<u64>,
}

/// Where each kept item of a body starts (a [`Table`]'s rows, a [`super::Lines`]' values):
/// `u32` for bodies up to 4 GiB (the transport refuses bodies over 64 MiB by default), `u64`
/// beyond. Reserved exactly, never regrown: a doubling `Vec` can hold twice its items, and
/// copies itself as it grows.
#[derive(Debug, Clone)]
pub(super) enum Offsets {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Default for Offsets {
    fn default() -> Self {
        Self::Narrow(Vec::new())
    }
}

impl Offsets {
    /// No offsets yet, for a body of `len` bytes.
    pub(super) fn for_body(len: usize) -> Self {
        if u32::try_from(len).is_ok() {
            Self::Narrow(Vec::new())
        } else {
            Self::Wide(Vec::new())
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Self::Narrow(v) => v.len(),
            Self::Wide(v) => v.len(),
        }
    }

    pub(super) fn get(&self, i: usize) -> Option<usize> {
        match self {
            Self::Narrow(v) => v.get(i).map(|o| *o as usize),
            Self::Wide(v) => v.get(i).and_then(|o| usize::try_from(*o).ok()),
        }
    }

    /// Room for exactly `additional` more offsets.
    pub(super) fn reserve_exact(&mut self, additional: usize) {
        match self {
            Self::Narrow(v) => v.reserve_exact(additional),
            Self::Wide(v) => v.reserve_exact(additional),
        }
    }

    pub(super) fn push(&mut self, offset: usize) {
        match self {
            // narrow offsets are only kept for bodies whose offsets fit
            Self::Narrow(v) => v.push(u32::try_from(offset).unwrap_or(u32::MAX)),
            Self::Wide(v) => v.push(offset as u64),
        }
    }

    pub(super) fn shrink_to_fit(&mut self) {
        match self {
            Self::Narrow(v) => v.shrink_to_fit(),
            Self::Wide(v) => v.shrink_to_fit(),
        }
    }
}

impl RowIndex {
    fn for_body(len: usize) -> Self {
        Self {
            starts: Offsets::for_body(len),
            lines: Vec::new(),
        }
    }

    fn shrink_to_fit(&mut self) {
        self.starts.shrink_to_fit();
        self.lines.shrink_to_fit();
    }

    /// Where row `i` starts and its line. The CSV reader counts a line at every `\n` it
    /// consumes (`csv_core`), so a row's line is the last checkpoint's plus the `\n`s between
    /// the two starts.
    fn locate(&self, i: usize, text: &[u8]) -> Option<(usize, u64)> {
        let offset = self.starts.get(i)?;
        let from = self.starts.get(i - i % CHECKPOINT)?;
        let line = *self.lines.get(i / CHECKPOINT)?;
        let newlines = text
            .get(from..offset)?
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        Some((offset, line.saturating_add(newlines as u64)))
    }
}

impl<T> Keep<T> for RowIndex {
    fn reserve(&mut self, _rows: usize, rest: &str) {
        // Reserved exactly enough for the most rows `rest` can hold, so that the index never
        // regrows. A row worth keeping has a character that is not blank, and records only end
        // at line ends, so the rows number at most the lines that have one: at most 4 bytes of
        // index per 2 bytes of body. The first row's length alone could not bound it: a long
        // first row followed by short ones would reserve too little.
        let most = lines_with_content(rest);
        self.starts.reserve_exact(most);
        self.lines.reserve_exact(most / CHECKPOINT + 1);
    }

    fn keep(&mut self, _item: T, offset: usize, line: u64) {
        if self.starts.len().is_multiple_of(CHECKPOINT) {
            self.lines.push(line);
        }
        self.starts.push(offset);
    }
}

/// The number of lines (ended by `\n`, `\r` or `\r\n`, as the CSV reader ends records) holding
/// a byte that is not ASCII white space.
fn lines_with_content(text: &str) -> usize {
    let mut lines = 0;
    let mut content = false;
    for b in text.bytes() {
        match b {
            b'\n' | b'\r' => {
                lines += usize::from(content);
                content = false;
            }
            b' ' | b'\t' | b'\x0c' => {}
            _ => content = true,
        }
    }
    lines + usize::from(content)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{Column, RowRef, parse_table};
    use crate::{Extra, System};

    const ID: Col = &Column(&["System id"]);
    const NAME: Col = &Column(&["Name"]);

    /// A row that keeps everything the scan can give it: its line, a value, its extra cells.
    #[derive(Debug, Clone, PartialEq)]
    struct Probe {
        line: u64,
        id: u32,
        name: Option<String>,
        extra: Extra,
    }

    impl FromRow for Probe {
        const COLUMNS: &'static [Col] = &[ID, NAME];
        const REQUIRED: &'static [Col] = &[ID];
        fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
            Ok(Probe {
                line: row.line(),
                id: row.u32(ID)?,
                name: row.opt_text(NAME),
                extra: row.extra(),
            })
        }
    }

    fn same_as_parse_table(body: &str) {
        for policy in [RowPolicy::SkipAndWarn, RowPolicy::Strict] {
            let eager = parse_table::<Probe>(body, policy);
            let lazy = Table::<Probe>::parse(body.to_owned(), policy);
            match (eager, lazy) {
                (Ok(eager), Ok(lazy)) => {
                    assert_eq!(lazy.len(), eager.len(), "{body:?}");
                    assert_eq!(lazy.warnings(), &eager.warnings[..], "{body:?}");
                    let rows: Vec<Probe> = lazy.iter().collect();
                    assert_eq!(rows, eager.items, "{body:?}");
                    for (i, row) in eager.items.iter().enumerate().rev() {
                        assert_eq!(lazy.get(i).as_ref(), Some(row), "{body:?} row {i}");
                    }
                    assert_eq!(lazy.clone().into_parsed(), eager, "{body:?}");
                    assert_eq!(lazy.into_iter().collect::<Vec<_>>(), eager.items);
                }
                (Err(eager), Err(lazy)) => assert_eq!(lazy, eager, "{body:?}"),
                (eager, lazy) => panic!("{body:?}: parse_table {eager:?}, table {lazy:?}"),
            }
        }
    }

    #[test]
    fn rows_read_back_exactly_as_parse_table_gives_them() {
        for body in [
            "System id,Name\r\n1,a\r\n2,b\r\n",
            "System id,Name\n1,a\n\n\n   \n2,b\nx,c\n3,\"multi\nline\"\n4,d",
            "System id,Name,Colour\r\n1,a,red,,surplus\r\n\r\nbad,b,blue\r\n2,\"q, r\",\r\n",
            "System id,Name\r1,a\r\r2,b\r\n\r\n3,c",
            "\r\n\r\n  System id , Name \r\n\r\n\r\n1, \"a\" \r\n",
            "System id\n\"1\"\"\n2\n",
            "System id,Name\n1,a\n\"unterminated",
        ] {
            same_as_parse_table(body);
        }
        // more than one checkpoint, lines of varied lengths, skipped rows between kept ones
        let mut body = String::from("Name,System id,X\r\n");
        for i in 0..300 {
            match i % 7 {
                0 => body.push_str(&format!("n{i},oops,x\r\n")),
                1 => body.push_str("\r\n\n"),
                2 => body.push_str(&format!("\"n\r\n{i}\",{i},\"x\ny\"\r\n")),
                _ => body.push_str(&format!("n{i},{i},{}\n", "x".repeat(i % 5))),
            }
        }
        same_as_parse_table(&body);
    }

    #[test]
    fn empty_and_header_only_bodies_have_no_rows() {
        for body in ["", "\r\n \r\n", "System id,Name\r\n"] {
            let t = Table::<System>::parse(body, RowPolicy::Strict).unwrap();
            assert!(t.is_empty());
            assert_eq!(t.len(), 0);
            assert!(t.warnings().is_empty());
            assert_eq!(t.get(0), None);
            assert_eq!(t.iter().next(), None);
        }
        assert!(Table::<System>::default().into_parsed().is_empty());
    }

    #[test]
    fn skipped_rows_are_warnings_and_not_rows() {
        let body = "System id,Name\r\n1,a\r\nx,b\r\n2,c\r\n";
        let t = Table::<System>::parse(body, RowPolicy::SkipAndWarn).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.warnings().len(), 1);
        assert_eq!(t.warnings()[0].line, 3);
        let ids: Vec<u32> = t.iter().map(|s| s.system_id.0).collect();
        assert_eq!(ids, [1, 2]);
        let err = Table::<System>::parse(body, RowPolicy::Strict).unwrap_err();
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn tables_and_their_iterators_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Table<System>>();
        send_sync::<Rows<'_, System>>();
        send_sync::<IntoRows<System>>();
    }

    #[test]
    fn out_of_range_get_is_none() {
        let t = Table::<System>::parse("System id,Name\r\n1,a\r\n", RowPolicy::Strict).unwrap();
        assert!(t.get(0).is_some());
        assert_eq!(t.get(1), None);
        assert_eq!(t.get(usize::MAX), None);
    }

    #[test]
    fn a_body_that_is_not_utf8_is_an_error() {
        let err = Table::<System>::parse(b"System id\n\xff\n".to_vec(), RowPolicy::Strict);
        assert!(err.unwrap_err().reason.contains("not UTF-8"));
    }

    #[test]
    fn the_table_shares_the_body_it_was_given() {
        let body = Bytes::from("System id,Name\r\n1,a\r\n");
        let t = Table::<System>::parse(body.clone(), RowPolicy::Strict).unwrap();
        assert_eq!(t.text.as_ptr(), body.as_ptr());
    }

    #[test]
    fn the_index_reserves_at_most_one_start_per_line_with_content() {
        assert_eq!(lines_with_content(""), 0);
        assert_eq!(lines_with_content("a"), 1);
        assert_eq!(lines_with_content("a\r\nb\rc\n \t\n\n"), 3);
        assert_eq!(lines_with_content("\"\n\"\n"), 2);
    }

    #[test]
    fn parse_after_matches_parse_table_after() {
        let body = "title\r\nSystem id,Name\r\n1,a\r\nx,b\r\n";
        let (pre, t) = Table::<Probe>::parse_after(body, ID, 5, RowPolicy::SkipAndWarn)
            .unwrap()
            .unwrap();
        let (epre, eager) =
            crate::parse::parse_table_after::<Probe>(body, ID, 5, RowPolicy::SkipAndWarn)
                .unwrap()
                .unwrap();
        assert_eq!(pre, epre);
        assert_eq!(t.into_parsed(), eager);
        assert!(
            Table::<Probe>::parse_after("a\r\nb\r\n", ID, 5, RowPolicy::Strict)
                .unwrap()
                .is_none()
        );
    }
}
