//! Parsers for PUMAPI response bodies, one per body shape (PPMS-Q10).
//!
//! PUMAPI answers in three shapes:
//!
//! * **CSV tables** with a header ([`parse_table`], [`parse_table_after`], [`parse_sections`];
//!   [`Table`] reads the same tables lazily, in memory bounded by the body's size),
//!   read with the `csv` crate: quoted values may hold commas and colons (PPMS-Q12), header names
//!   are trimmed (PPMS-Q11), rows may have more or fewer fields than the header (PPMS-Q14), and
//!   columns are matched by header name, never by position (PPMS-Q15);
//! * **line lists**, one value per line and no header ([`parse_lines`], [`parse_id_lines`];
//!   [`Lines`] reads the same lists lazily, in memory bounded by the body's size);
//! * **ad-hoc bodies**: rights lines `L:value` ([`parse_rights`]), three-line booking records
//!   ([`parse_booking_record`]) and single tokens (`done`, `OK newuser`, an order number, the
//!   `auth` answers; see [`token`]).
//!
//! Every parser takes the body text and returns `Ok` or a typed [`ParseError`]; none of them
//! panics, whatever the input (this is property-tested). Before any of them runs, the body is
//! classified with [`classify`] so that `error: ...` texts sent with HTTP 200 never reach a
//! data parser (PPMS-Q01).
//!
//! The parsers are public so that callers of [`crate::Client::raw_action`] can decode actions the
//! crate does not type yet, for example with their own [`FromRow`] implementation.

mod classify;
mod extra;
mod lazy;
mod lines;
mod record;
mod rights;
mod sections;
mod table;
mod text;
pub mod token;
pub mod value;

pub use classify::{BodyClass, ServerError, classify};
pub use extra::Extra;
pub use lazy::{IntoRows, Rows, Table};
pub use lines::{IntoValues, Lines, Values, parse_id_lines, parse_lines};
pub use record::{BookingRecord, parse_booking_record};
pub use rights::{RightLine, parse_rights, parse_rights_lenient};
pub use sections::{Section, Sections, parse_sections};
pub use table::{
    Col, Column, FromRow, Header, MAX_FIELDS, RowRef, WithPreamble, parse_headerless,
    parse_json_rows, parse_table, parse_table_after,
};
pub use text::{body_text, is_blank};

use std::fmt;

/// A body that could not be parsed into the expected shape.
///
/// It names the line (1-based, counted in the body) when one is at fault, and says why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseError {
    /// The 1-based line of the body at fault, if one is.
    pub line: Option<u64>,
    /// The column at fault, if one is.
    pub column: Option<String>,
    /// What was wrong.
    pub reason: String,
}

impl ParseError {
    /// A parse error about the whole body.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            line: None,
            column: None,
            reason: reason.into(),
        }
    }

    /// A parse error about one line.
    pub fn at_line(line: u64, reason: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            column: None,
            reason: reason.into(),
        }
    }

    /// Names the column at fault.
    #[must_use]
    pub fn with_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    /// Sets the line at fault, unless one is already set.
    #[must_use]
    pub fn or_line(mut self, line: u64) -> Self {
        if self.line.is_none() {
            self.line = Some(line);
        }
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(column) = &self.column {
            write!(f, "column `{column}`: ")?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ParseError {}

/// A non-fatal problem met while parsing, for example a row that was skipped (PPMS-Q44).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Default)]
#[non_exhaustive]
pub struct Warning {
    /// The 1-based line of the body the warning is about.
    pub line: u64,
    /// What happened.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The most warnings kept for one body; the rest are counted in one last warning, so that a
/// body of millions of bad rows cannot turn into millions of messages.
pub const MAX_WARNINGS: usize = 1000;

/// Collects at most [`MAX_WARNINGS`] warnings; `finish` adds one that counts the others.
#[derive(Debug, Default)]
pub(crate) struct WarningSink {
    kept: Vec<Warning>,
    dropped: usize,
}

impl WarningSink {
    /// Records a warning about `line`; the message is only built when it is kept.
    pub(crate) fn push(&mut self, line: u64, message: impl FnOnce() -> String) {
        if self.kept.len() < MAX_WARNINGS {
            self.kept.push(Warning {
                line,
                message: crate::error::bounded(&message()),
            });
        } else {
            self.dropped += 1;
        }
    }

    /// The warnings kept, plus one counting those that were not.
    pub(crate) fn finish(mut self) -> Vec<Warning> {
        if self.dropped > 0 {
            let line = self.kept.last().map_or(0, |w| w.line);
            self.kept.push(Warning {
                line,
                message: format!("{} more warnings not kept", self.dropped),
            });
        }
        self.kept
    }
}

/// Parsed rows together with the warnings met on the way (PPMS-Q44).
///
/// It dereferences to a slice of the items, so it can be used like a `Vec` for reading.
///
/// **Memory**: one `T` per row, whatever the row's size (`size_of::<T>()` plus what its
/// strings hold; a [`crate::System`] is about 128 bytes), on top of the body while it is
/// parsed. That is within a few times the body for rows of 60 bytes or more, but 10× for 3 M
/// rows of 20 bytes. For large tables use a [`Table`] (the `*_table` calls, such as
/// [`crate::Systems::list_table`]): the body plus 4 bytes per row, at most about 3× the body
/// for any body, rows decoded when read (`docs/benchmarks.md`, "ppms" (c)).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Parsed<T> {
    /// The rows that parsed.
    pub items: Vec<T>,
    /// Rows that were skipped and other oddities, in body order.
    pub warnings: Vec<Warning>,
}

impl<T> Parsed<T> {
    /// Rows without warnings.
    pub fn new(items: Vec<T>) -> Self {
        Self {
            items,
            warnings: Vec::new(),
        }
    }

    /// The rows, dropping the warnings.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// Converts every item, keeping the warnings.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Parsed<U> {
        Parsed {
            items: self.items.into_iter().map(f).collect(),
            warnings: self.warnings,
        }
    }
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl<T> std::ops::Deref for Parsed<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> IntoIterator for Parsed<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Parsed<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// How a table parser treats a row it cannot convert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowPolicy {
    /// Skip the row and record a [`Warning`] (the default, PPMS-Q44).
    #[default]
    SkipAndWarn,
    /// Fail the whole body with a [`ParseError`].
    Strict,
}
