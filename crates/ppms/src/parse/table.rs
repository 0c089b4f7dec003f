//! CSV tables with a header line (PPMS-Q10 to PPMS-Q16).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use csv::StringRecord;
use rust_decimal::Decimal;

use super::extra::{Extra, ExtraLayout, surplus};
use super::{ParseError, Parsed, RowPolicy, WarningSink, value};

/// The most fields a line of a CSV body may have. PUMAPI tables have a few dozen columns; a line
/// with more is refused before the CSV reader builds a record for it, which bounds the memory a
/// body can take (issue 16: one line of 16 M empty fields took gigabytes).
pub const MAX_FIELDS: usize = 10_000;

/// A column, named by its header aliases; the first alias is the canonical name used in errors.
///
/// Names are compared after normalisation: case-insensitive, dots removed, runs of whitespace
/// collapsed (`Core facility ref` matches `Core facility ref.`, PPMS-Q15).
///
/// Declare columns as statics so that per-row lookups are a pointer comparison:
///
/// ```
/// use ppms::parse::{Col, Column};
/// static LOGIN: Col = {
///     static C: Column = Column(&["login"]);
///     &C
/// };
/// assert_eq!(LOGIN.name(), "login");
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Column(pub &'static [&'static str]);

impl Column {
    /// The canonical (first) name.
    pub fn name(&self) -> &'static str {
        self.0.first().copied().unwrap_or("")
    }

    /// Every alias.
    pub fn aliases(&self) -> &'static [&'static str] {
        self.0
    }
}

/// A reference to a [`Column`].
pub type Col = &'static Column;

/// The header line of a CSV table, with names trimmed (PPMS-Q11).
///
/// The names are packed into one buffer, so a header costs about its own text however many
/// columns it has.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// The trimmed names, concatenated.
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<u32>,
}

/// The `i`-th of the names packed into `text` (ending at `ends`).
fn packed<'a>(text: &'a str, ends: &[u32], i: usize) -> Option<&'a str> {
    let start = match i.checked_sub(1) {
        None => 0,
        Some(p) => *ends.get(p)? as usize,
    };
    text.get(start..*ends.get(i)? as usize)
}

/// Appends `name` to a packed buffer (a buffer past 4 GiB keeps empty names: a header that
/// long cannot come from a body under the transport's size limit).
fn pack(text: &mut String, ends: &mut Vec<u32>, name: &str) {
    if u32::try_from(text.len() + name.len()).is_ok() {
        text.push_str(name);
    }
    ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
}

impl Header {
    /// A header from its (untrimmed) names.
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::with_capacity(names, 0, 0)
    }

    /// The header of a CSV record, with its buffers sized once.
    pub(crate) fn of_record(record: &StringRecord) -> Self {
        Self::with_capacity(record, record.as_slice().len(), record.len())
    }

    fn with_capacity<I, S>(names: I, bytes: usize, count: usize) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut h = Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(count),
        };
        for name in names {
            pack(&mut h.text, &mut h.ends, name.as_ref().trim());
        }
        h
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the header has no column.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The trimmed name of the column at `index`.
    pub fn name(&self, index: usize) -> Option<&str> {
        packed(&self.text, &self.ends, index)
    }

    /// The trimmed header names, in body order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.name(i).unwrap_or_default())
    }

    /// The position of a column, trying each alias.
    pub fn position(&self, col: Col) -> Option<usize> {
        col.0.iter().find_map(|alias| {
            let alias = normalize(alias);
            (0..self.len()).find(|i| {
                self.name(*i)
                    .is_some_and(|n| normalized(n).eq(alias.chars()))
            })
        })
    }

    /// True when the header has the column.
    pub fn contains(&self, col: Col) -> bool {
        self.position(col).is_some()
    }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Header")
            .field(&self.names().collect::<Vec<_>>())
            .finish()
    }
}

/// The characters of a column name as compared: lower case, dots removed, words separated by
/// one space (`Core facility ref.` matches `core  facility ref`, PPMS-Q15). Computed on the
/// fly, so a header keeps no second copy of its names.
fn normalized(name: &str) -> impl Iterator<Item = char> + '_ {
    name.split_whitespace().enumerate().flat_map(|(i, word)| {
        let space = (i > 0).then_some(' ');
        space.into_iter().chain(
            word.chars()
                .filter(|c| *c != '.')
                .flat_map(char::to_lowercase),
        )
    })
}

fn normalize(name: &str) -> String {
    normalized(name).collect()
}

/// Columns resolved once per table, so that per-row lookups do no string work.
///
/// It is `Sync`, so that a [`Table`](super::Table) (which keeps it to decode rows on access)
/// can be shared between threads; the lookup hint is only a hint, so racing updates of it are
/// harmless.
#[derive(Debug)]
pub(crate) struct Resolved {
    cols: Vec<(Col, Option<usize>)>,
    /// Where the columns the model does not read are; shared by every row's [`Extra`].
    layout: Arc<ExtraLayout>,
    /// Where the next lookup probably is: rows read their columns in the same order.
    hint: AtomicUsize,
}

impl Resolved {
    pub(crate) fn new(header: &Arc<Header>, known: &[Col]) -> Self {
        let cols: Vec<_> = known.iter().map(|c| (*c, header.position(c))).collect();
        let read = cols.iter().filter_map(|(_, p)| *p).collect();
        Self {
            cols,
            layout: Arc::new(ExtraLayout::new(header.clone(), read)),
            hint: AtomicUsize::new(0),
        }
    }

    /// The resolved position of a known column: pointer identity first, then by content.
    fn lookup(&self, col: Col) -> Option<Option<usize>> {
        let same = |c: Col| std::ptr::eq(c, col) || c == col;
        let n = self.cols.len();
        let mut i = self.hint.load(Ordering::Relaxed);
        for _ in 0..n {
            if i >= n {
                i = 0;
            }
            let (c, pos) = self.cols[i];
            i += 1;
            if same(c) {
                self.hint.store(i, Ordering::Relaxed);
                return Some(pos);
            }
        }
        None
    }
}

/// Where a row's fields live: a CSV record, or a slice of a packed section buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fields<'a> {
    Record(&'a StringRecord),
    Packed {
        text: &'a str,
        ends: &'a [u32],
        first: usize,
        len: usize,
    },
}

impl<'a> Fields<'a> {
    fn get(self, i: usize) -> Option<&'a str> {
        match self {
            Fields::Record(r) => r.get(i),
            Fields::Packed {
                text,
                ends,
                first,
                len,
            } => {
                if i >= len {
                    return None;
                }
                let idx = first + i;
                let start = if idx == 0 {
                    0
                } else {
                    *ends.get(idx - 1)? as usize
                };
                text.get(start..*ends.get(idx)? as usize)
            }
        }
    }

    fn len(self) -> usize {
        match self {
            Fields::Record(r) => r.len(),
            Fields::Packed { len, .. } => len,
        }
    }
}

/// One data row of a table, seen through its header.
///
/// Values are trimmed of spaces and tabs (PPMS-Q07, PPMS-Q22); text accessors decode HTML
/// entities (PPMS-Q21). A field missing at the end of a short row reads as absent (PPMS-Q14).
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    header: &'a Header,
    record: Fields<'a>,
    line: u64,
    resolved: Option<&'a Resolved>,
    /// The row's CSV text in the body, when it came from one.
    raw: Option<&'a str>,
}

/// A field trimmed of spaces and tabs, with the quotes of a field padded before its opening
/// quote (`, "x"`, which the CSV reader keeps) stripped (PPMS-Q11).
pub(crate) fn clean_field(f: &str) -> &str {
    let f = f.trim_ascii();
    match f.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') => inner.trim_ascii(),
        _ => f,
    }
}

impl<'a> RowRef<'a> {
    /// A row read through a header with no per-table column resolution.
    pub(crate) fn detached(header: &'a Header, record: Fields<'a>, line: u64) -> Self {
        Self {
            header,
            record,
            line,
            resolved: None,
            raw: None,
        }
    }

    /// The 1-based line of the body where the row starts.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The header the row is read through.
    pub fn header(&self) -> &'a Header {
        self.header
    }

    /// The field at a position, trimmed.
    ///
    /// A field padded with a space before its opening quote (`, "x"`) is read by the CSV reader
    /// with its quotes; they are stripped here (PPMS-Q11).
    pub fn field(&self, index: usize) -> Option<&'a str> {
        self.record.get(index).map(clean_field)
    }

    /// The number of fields in the row (it may differ from the header's, PPMS-Q14).
    pub fn len(&self) -> usize {
        self.record.len()
    }

    /// True when the row has no field.
    pub fn is_empty(&self) -> bool {
        self.record.len() == 0
    }

    fn position(&self, col: Col) -> Option<usize> {
        if let Some(pos) = self.resolved.and_then(|r| r.lookup(col)) {
            return pos;
        }
        self.header.position(col)
    }

    /// The trimmed raw value of a column; `None` when the header lacks the column or the row is
    /// too short to reach it.
    pub fn raw(&self, col: Col) -> Option<&'a str> {
        self.position(col).and_then(|i| self.field(i))
    }

    fn err(&self, col: Col, reason: impl Into<String>) -> ParseError {
        ParseError::at_line(self.line, reason).with_column(col.name())
    }

    fn required(&self, col: Col) -> Result<&'a str, ParseError> {
        match self.position(col) {
            None => Err(self.err(col, "missing column")),
            Some(i) => self.field(i).ok_or_else(|| self.err(col, "row too short")),
        }
    }

    /// Parses an optional value: `None` when the column or field is absent, empty or `n/a`.
    fn optional<T>(
        &self,
        col: Col,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ParseError> {
        match self.raw(col) {
            Some(v) if !value::is_none_marker(v) => {
                parse(v).map(Some).map_err(|e| self.err(col, e))
            }
            _ => Ok(None),
        }
    }

    /// A mandatory text value, entity-decoded (it may be empty).
    pub fn text(&self, col: Col) -> Result<String, ParseError> {
        self.required(col).map(value::text)
    }

    /// An optional text value: `None` when the column or field is absent or empty.
    pub fn opt_text(&self, col: Col) -> Option<String> {
        self.raw(col).and_then(value::opt_text)
    }

    /// A mandatory boolean (case-insensitive, PPMS-Q13).
    pub fn bool(&self, col: Col) -> Result<bool, ParseError> {
        value::parse_bool(self.required(col)?).map_err(|e| self.err(col, e))
    }

    /// An optional boolean: `None` when absent or empty; other non-boolean text is an error.
    pub fn opt_bool(&self, col: Col) -> Result<Option<bool>, ParseError> {
        self.optional(col, value::parse_bool)
    }

    /// A mandatory unsigned integer.
    pub fn u32(&self, col: Col) -> Result<u32, ParseError> {
        value::parse_u32(self.required(col)?).map_err(|e| self.err(col, e))
    }

    /// An optional unsigned integer: `None` when absent, empty or `n/a`.
    pub fn opt_u32(&self, col: Col) -> Result<Option<u32>, ParseError> {
        self.optional(col, value::parse_u32)
    }

    /// A mandatory signed integer.
    pub fn i64(&self, col: Col) -> Result<i64, ParseError> {
        value::parse_i64(self.required(col)?).map_err(|e| self.err(col, e))
    }

    /// An optional date (`YYYY/MM/DD`; `n/a`, empty and absent give `None`, PPMS-Q20).
    pub fn date(&self, col: Col) -> Result<Option<NaiveDate>, ParseError> {
        match self.raw(col) {
            None => Ok(None),
            Some(v) => value::parse_date(v).map_err(|e| self.err(col, e)),
        }
    }

    /// A mandatory decimal number.
    pub fn decimal(&self, col: Col) -> Result<Decimal, ParseError> {
        value::parse_decimal(self.required(col)?).map_err(|e| self.err(col, e))
    }

    /// An optional decimal number: `None` when absent, empty or `n/a`.
    pub fn opt_decimal(&self, col: Col) -> Result<Option<Decimal>, ParseError> {
        self.optional(col, value::parse_decimal)
    }

    /// Columns the row's type does not know, by header name, plus non-empty surplus fields
    /// beyond the header under positional keys `#17` (1-based), so that new server columns are
    /// not lost (PPMS-Q14, PPMS-Q15). Empty cells are left out.
    ///
    /// A row of a table body keeps only its own CSV text (and only when it has a non-empty
    /// extra cell); see [`Extra`].
    pub fn extra(&self) -> Extra {
        let len = self.record.len();
        let field = |i| self.field(i);
        match (self.resolved, self.raw) {
            (Some(r), Some(raw)) if r.layout.keeps_anything(len, field) => {
                Extra::from_row(r.layout.clone(), raw)
            }
            (Some(_), Some(_)) => Extra::default(),
            (Some(r), None) => r.layout.entries(len, field).into(),
            (None, _) => {
                let mut out = BTreeMap::new();
                surplus(self.header.len(), len, field, &mut out);
                out.into()
            }
        }
    }

    /// Every column of the row by header name (entity-decoded), surplus fields included as in
    /// [`RowRef::extra`].
    pub fn to_map(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (i, name) in self.header.names().enumerate() {
            if let Some(v) = self.field(i) {
                out.insert(name.to_owned(), value::text(v));
            }
        }
        surplus(
            self.header.len(),
            self.record.len(),
            |i| self.field(i),
            &mut out,
        );
        out
    }
}

/// A type built from one row of a PUMAPI CSV table.
///
/// Implement it to decode an action the crate does not type yet, then call [`parse_table`] on
/// the text of [`crate::Client::raw_action`].
pub trait FromRow: Sized {
    /// Every column the type reads; the others go to [`RowRef::extra`].
    const COLUMNS: &'static [Col];
    /// Columns the header must have, or the whole body is a [`ParseError`] (PPMS-Q11).
    const REQUIRED: &'static [Col];
    /// Builds the value from one row.
    fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError>;
}

/// Refuses a body with a line of more than [`MAX_FIELDS`] fields (counted as commas, so a
/// quoted comma counts too), before the CSV reader allocates a record for it.
pub(crate) fn check_width(body: &str) -> Result<(), ParseError> {
    for (n, line) in body.split('\n').enumerate() {
        // a line shorter than MAX_FIELDS bytes cannot hold that many commas; the CSV reader
        // also ends records at a bare `\r`, so a body with old Mac line ends is many lines
        let too_wide = |part: &str| {
            part.len() >= MAX_FIELDS && part.bytes().filter(|b| *b == b',').count() >= MAX_FIELDS
        };
        if line.len() >= MAX_FIELDS && line.split('\r').any(too_wide) {
            return Err(ParseError::at_line(
                u64::try_from(n + 1).unwrap_or(u64::MAX),
                format!("line has more than {MAX_FIELDS} fields"),
            ));
        }
    }
    Ok(())
}

/// A CSV reader over a body whose lines [`check_width`] accepted.
pub(crate) fn open(body: &str) -> Result<CsvReader<'_>, ParseError> {
    check_width(body)?;
    Ok(reader(body))
}

/// The CSV reader of the parsers.
pub(crate) type CsvReader<'a> = csv::Reader<std::io::Cursor<&'a [u8]>>;

pub(crate) fn reader(body: &str) -> CsvReader<'_> {
    reader_over(body.as_bytes())
}

/// The CSV reader of the parsers over any buffer (a [`Table`](super::Table) reads its own
/// shared body).
pub(crate) fn reader_over<B: AsRef<[u8]>>(body: B) -> csv::Reader<std::io::Cursor<B>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(std::io::Cursor::new(body));
    // A fresh reader keeps a copy of the first record it reads as its headers (twice the size
    // of a wide header line, with its buffers). With (empty) headers set it keeps none, and after
    // a seek it treats the first record as data ("any special logic that skips the first record
    // ... is disabled"). Seeking a cursor to where it is cannot fail; if it did, the reader
    // would only yield the empty header first, and every parser test would fail.
    rdr.set_headers(StringRecord::new());
    let _ = rdr.seek(csv::Position::new());
    rdr
}

/// The 1-based line and byte offset where a record starts.
///
/// With CRLF line ends the `csv` reader stops at the CR and reports the next record as starting
/// on the LF, one line early; this corrects for that.
pub(crate) fn record_pos(body: &[u8], record: &StringRecord) -> (u64, usize) {
    let (line, byte) = record
        .position()
        .map_or((1, 0), |p| (p.line(), p.byte() as usize));
    if body.get(byte) == Some(&b'\n') {
        (line + 1, byte + 1)
    } else {
        (line, byte)
    }
}

pub(crate) fn record_line(body: &str, record: &StringRecord) -> u64 {
    record_pos(body.as_bytes(), record).0
}

/// Reads the next record that is not blank; `Ok(false)` at the end of the body.
pub(crate) fn next_record<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    record: &mut StringRecord,
) -> Result<bool, ParseError> {
    loop {
        match rdr.read_record(record) {
            Err(e) => return Err(csv_error(&e)),
            Ok(true) if is_blank_record(record) => continue,
            Ok(more) => return Ok(more),
        }
    }
}

pub(crate) fn is_blank_record(record: &StringRecord) -> bool {
    record.as_slice().trim().is_empty()
}

pub(crate) fn csv_error(e: &csv::Error) -> ParseError {
    let line = e.position().map(csv::Position::line);
    let err = ParseError::new(format!("malformed CSV: {e}"));
    match line {
        Some(l) => err.or_line(l),
        None => err,
    }
}

/// The raw text of the line a record starts on, trimmed.
pub(crate) fn raw_line<'b>(body: &'b str, record: &StringRecord) -> &'b str {
    let start = record_pos(body.as_bytes(), record).1;
    let rest = body.get(start..).unwrap_or_default();
    rest.split('\n').next().unwrap_or_default().trim()
}

/// Parses a CSV table whose header is its first non-blank line.
///
/// An empty body, or one with only a header, gives no rows (reference section 2.3).
///
/// The rows become `T`s, held in a `Vec`: memory is the size of `T` per row whatever the row's
/// size. For large tables, [`Table::parse`](super::Table::parse) reads the same body with the
/// same rules and keeps only where each row starts.
pub fn parse_table<T: FromRow>(body: &str, policy: RowPolicy) -> Result<Parsed<T>, ParseError> {
    let mut items = Vec::new();
    let scanned = scan_table::<T>(body, policy, &mut items)?;
    Ok(parsed(items, scanned))
}

/// Preamble lines (verbatim) and the rows of the table after them.
pub type WithPreamble<T> = (Vec<String>, Parsed<T>);

/// Parses a CSV table whose header is the first line (within the first `max_scan` non-blank
/// lines) holding the `key` column; the lines before it are returned verbatim as a preamble
/// (PPMS-Q16, PPMS-Q17).
///
/// Returns `Ok(None)` when no such header is found in a non-empty body.
pub fn parse_table_after<T: FromRow>(
    body: &str,
    key: Col,
    max_scan: usize,
    policy: RowPolicy,
) -> Result<Option<WithPreamble<T>>, ParseError> {
    let mut items = Vec::new();
    let found = scan_table_after::<T>(body, key, max_scan, policy, &mut items)?;
    Ok(found.map(|(preamble, scanned)| (preamble, parsed(items, scanned))))
}

/// Parses every non-blank line of a body as data, read through a header the caller supplies
/// (for bodies sent without a header, PPMS-Q17 and PPMS-Q19).
pub fn parse_headerless<T: FromRow>(
    body: &str,
    header: &Header,
    policy: RowPolicy,
) -> Result<Parsed<T>, ParseError> {
    let mut items = Vec::new();
    let mut record = StringRecord::new();
    let header = Arc::new(header.clone());
    let scanned = scan_rows::<T>(
        body,
        &mut open(body)?,
        &mut record,
        header,
        policy,
        &mut items,
    )?;
    Ok(parsed(items, Some(scanned)))
}

fn parsed<T>(items: Vec<T>, scanned: Option<Scanned>) -> Parsed<T> {
    Parsed {
        items,
        warnings: scanned.map(|s| s.warnings).unwrap_or_default(),
    }
}

/// What a table scan does with each row that `T::from_row` accepted: the `Vec` of
/// [`parse_table`] keeps the value, a [`Table`](super::Table) only where the row starts.
pub(crate) trait Keep<T> {
    /// Called once, before the first row is kept: rows as long as the first one would number
    /// `rows` in `rest`, the part of the body from the first row on.
    fn reserve(&mut self, rows: usize, rest: &str);
    /// A row accepted by `T::from_row`, starting at byte `offset` (counted in the body), on
    /// `line`.
    fn keep(&mut self, item: T, offset: usize, line: u64);
}

impl<T> Keep<T> for Vec<T> {
    fn reserve(&mut self, rows: usize, rest: &str) {
        // Reserving once avoids regrowing (and copying) a large Vec. The reservation never takes
        // more than twice the rest of the body, whatever the first row looks like (a short
        // first row followed by blank lines would otherwise reserve millions of rows for
        // nothing).
        let by_memory = 2 * rest.len() / std::mem::size_of::<T>().max(1);
        Vec::reserve(self, rows.min(by_memory));
    }

    fn keep(&mut self, item: T, _offset: usize, _line: u64) {
        self.push(item);
    }
}

/// The outcome of a table scan besides the rows kept: the header and its resolved columns (a
/// [`Table`](super::Table) keeps them to decode rows again) and the warnings.
pub(crate) struct Scanned {
    pub(crate) header: Arc<Header>,
    pub(crate) resolved: Resolved,
    pub(crate) warnings: Vec<super::Warning>,
}

/// Scans a CSV table whose header is its first non-blank line; `None` for an empty body.
pub(crate) fn scan_table<T: FromRow>(
    body: &str,
    policy: RowPolicy,
    keep: &mut impl Keep<T>,
) -> Result<Option<Scanned>, ParseError> {
    let mut rdr = open(body)?;
    let mut record = StringRecord::new();
    if !next_record(&mut rdr, &mut record)? {
        return Ok(None);
    }
    let header = Arc::new(Header::of_record(&record));
    scan_rows(body, &mut rdr, &mut record, header, policy, keep).map(Some)
}

/// The preamble before a table's header, and the scan of the table (`None` for an empty body).
pub(crate) type ScannedAfter = (Vec<String>, Option<Scanned>);

/// Scans a CSV table whose header is the first line (within the first `max_scan` non-blank
/// lines) holding the `key` column, as [`parse_table_after`] reads it: `None` when no such
/// header is found in a non-empty body; the preamble, and `None` for the scan of an empty one.
pub(crate) fn scan_table_after<T: FromRow>(
    body: &str,
    key: Col,
    max_scan: usize,
    policy: RowPolicy,
    keep: &mut impl Keep<T>,
) -> Result<Option<ScannedAfter>, ParseError> {
    let mut rdr = open(body)?;
    let mut record = StringRecord::new();
    let mut preamble = Vec::new();
    let mut scanned = 0;
    loop {
        if !next_record(&mut rdr, &mut record)? {
            return Ok(preamble.is_empty().then_some((preamble, None)));
        }
        let header = Arc::new(Header::of_record(&record));
        if header.contains(key) {
            let rows = scan_rows(body, &mut rdr, &mut record, header, policy, keep)?;
            return Ok(Some((preamble, Some(rows))));
        }
        scanned += 1;
        if scanned >= max_scan {
            return Ok(None);
        }
        preamble.push(raw_line(body, &record).to_owned());
    }
}

/// Builds one row's value: the one decoding step of the table parsers, used by the scan and
/// again by a [`Table`](super::Table) when a row is read.
pub(crate) fn decode_row<T: FromRow>(
    header: &Header,
    resolved: &Resolved,
    record: &StringRecord,
    line: u64,
    raw: Option<&str>,
) -> Result<T, ParseError> {
    T::from_row(&RowRef {
        header,
        record: Fields::Record(record),
        line,
        resolved: Some(resolved),
        raw,
    })
}

/// Reads the rows after the header, validating each with `T::from_row` under `policy`, and
/// hands the accepted ones to `keep`; reuses `record` (the header's, whose buffers are already
/// as large as a line needs).
fn scan_rows<T: FromRow>(
    body: &str,
    rdr: &mut CsvReader<'_>,
    record: &mut StringRecord,
    header: Arc<Header>,
    policy: RowPolicy,
    keep: &mut impl Keep<T>,
) -> Result<Scanned, ParseError> {
    let missing: Vec<&str> = T::REQUIRED
        .iter()
        .filter(|c| !header.contains(c))
        .map(|c| c.name())
        .collect();
    if let Some(first) = missing.first() {
        return Err(ParseError::at_line(
            1,
            format!("header lacks column(s) {}", missing.join(", ")),
        )
        .with_column(*first));
    }
    let resolved = Resolved::new(&header, T::COLUMNS);
    let mut warnings = WarningSink::default();
    let mut reserved = false;
    while next_record(rdr, record)? {
        let (line, offset) = record_pos(body.as_bytes(), record);
        let end = usize::try_from(rdr.position().byte()).unwrap_or(usize::MAX);
        if !reserved {
            // the first row's length predicts the row count
            reserved = true;
            let rest = body.get(offset..).unwrap_or_default();
            let row_len = record.as_slice().len() + record.len() + 2;
            keep.reserve(rest.len() / row_len.max(8), rest);
        }
        if record.len() > header.len()
            && record
                .iter()
                .skip(header.len())
                .any(|f| !f.trim().is_empty())
        {
            warnings.push(line, || {
                format!(
                    "row has {} fields, header has {}; surplus kept in extra",
                    record.len(),
                    header.len()
                )
            });
        }
        match decode_row::<T>(&header, &resolved, record, line, body.get(offset..end)) {
            Ok(item) => keep.keep(item, offset, line),
            Err(e) => match policy {
                RowPolicy::Strict => return Err(e.or_line(line)),
                RowPolicy::SkipAndWarn => warnings.push(line, || format!("row skipped: {e}")),
            },
        }
    }
    Ok(Scanned {
        header,
        resolved,
        warnings: warnings.finish(),
    })
}

/// Parses a `format=json` body (an object, or an array of objects) into rows, reading each
/// object through a header made of its keys, so the same [`FromRow`] type serves both formats
/// (PPMS-Q23: JSON keys may differ, e.g. `booked hours`; declare them as aliases).
///
/// Returns `Ok(None)` for a body that is not JSON: PUMAPI answers an unknown login in JSON mode
/// with a non-JSON body, which means "not found".
pub fn parse_json_rows<T: FromRow>(body: &str) -> Result<Option<Vec<T>>, ParseError> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body.trim()) else {
        return Ok(None);
    };
    let objects = match value {
        serde_json::Value::Array(items) => items,
        obj @ serde_json::Value::Object(_) => vec![obj],
        _ => return Ok(None),
    };
    let mut out = Vec::with_capacity(objects.len());
    for (i, obj) in objects.iter().enumerate() {
        let Some(map) = obj.as_object() else {
            return Err(ParseError::new(format!(
                "JSON record {} is not an object",
                i + 1
            )));
        };
        let header = Arc::new(Header::new(map.keys()));
        let record: StringRecord = map
            .values()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect();
        let line = u64::try_from(i + 1).unwrap_or(u64::MAX);
        let resolved = Resolved::new(&header, T::COLUMNS);
        let row = RowRef {
            header: &header,
            record: Fields::Record(&record),
            line,
            resolved: Some(&resolved),
            raw: None,
        };
        out.push(T::from_row(&row).map_err(|e| ParseError {
            line: None,
            reason: format!("JSON record {line}: {}", e.reason),
            ..e
        })?);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NAME: Col = &Column(&["Name"]);
    const ID: Col = &Column(&["System id", "id"]);
    const ACTIVE: Col = &Column(&["Active"]);

    #[derive(Debug, PartialEq)]
    struct Sys {
        id: u32,
        name: String,
        active: Option<bool>,
        extra: Extra,
    }

    #[test]
    fn a_long_table_with_bare_carriage_return_line_ends_is_not_one_wide_line() {
        // 20,000 rows of "n,name" ended by a bare `\r`: many lines to the CSV reader, whose
        // commas together pass MAX_FIELDS; only a single line that wide is refused
        let mut body = String::from("System id,Name\r");
        for i in 0..20_000 {
            body.push_str(&format!("{i},sys {i}\r"));
        }
        let parsed = parse_table::<Sys>(&body, RowPolicy::Strict).unwrap();
        assert_eq!(parsed.items.len(), 20_000);
        let wide = format!("{}\r1,a\r", ",".repeat(MAX_FIELDS));
        assert!(parse_table::<Sys>(&wide, RowPolicy::Strict).is_err());
    }

    impl FromRow for Sys {
        const COLUMNS: &'static [Col] = &[NAME, ID, ACTIVE];
        const REQUIRED: &'static [Col] = &[ID];
        fn from_row(row: &RowRef<'_>) -> Result<Self, ParseError> {
            Ok(Sys {
                id: row.u32(ID)?,
                name: row.text(NAME)?,
                active: row.opt_bool(ACTIVE)?,
                extra: row.extra(),
            })
        }
    }

    #[test]
    fn header_normalisation_ignores_case_dots_and_spacing() {
        let h = Header::new([" Core facility ref. ", "System  ID"]);
        assert_eq!(h.position(&Column(&["Core facility ref"])), Some(0));
        assert_eq!(h.position(&Column(&["system id"])), Some(1));
        assert_eq!(h.name(0), Some("Core facility ref."));
        assert_eq!(
            h.names().collect::<Vec<_>>(),
            ["Core facility ref.", "System  ID"]
        );
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn maps_by_name_not_position() {
        let body = "Active,Name,System id\r\nTrue,\"A, b\",3\r\n";
        let p: Parsed<Sys> = parse_table(body, RowPolicy::Strict).unwrap();
        assert_eq!(p.items[0].id, 3);
        assert_eq!(p.items[0].name, "A, b");
        assert_eq!(p.items[0].active, Some(true));
    }

    #[test]
    fn unknown_columns_and_surplus_fields_go_to_extra() {
        let body = "System id,Name,Colour\r\n3,\"x\",\"red\",\"\",,\"late\"\r\n";
        let p: Parsed<Sys> = parse_table(body, RowPolicy::Strict).unwrap();
        let extra = &p.items[0].extra;
        assert_eq!(extra.get("Colour").as_deref(), Some("red"));
        assert_eq!(extra.get("#6").as_deref(), Some("late"));
        assert_eq!(extra.len(), 2);
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn missing_required_column_names_it() {
        let err = parse_table::<Sys>("SystemidName\r\n3\r\n", RowPolicy::Strict).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("System id"));
    }

    #[test]
    fn header_only_and_empty_bodies_give_no_rows() {
        assert!(
            parse_table::<Sys>("System id,Name\r\n", RowPolicy::Strict)
                .unwrap()
                .is_empty()
        );
        assert!(
            parse_table::<Sys>("", RowPolicy::Strict)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn table_after_finds_the_header_and_keeps_the_preamble() {
        let body = "Some title line\r\nSystem id,Name\r\n1,\"a\"\r\n";
        let (pre, rows) = parse_table_after::<Sys>(body, ID, 5, RowPolicy::Strict)
            .unwrap()
            .unwrap();
        assert_eq!(pre, vec!["Some title line".to_owned()]);
        assert_eq!(rows.len(), 1);
        assert!(
            parse_table_after::<Sys>("a\r\nb\r\n", ID, 5, RowPolicy::Strict)
                .unwrap()
                .is_none()
        );
    }
}
