//! How results are written: a table on a terminal, or one JSON document, JSON lines or CSV.
//!
//! Every command hands its items one at a time to an [`Emitter`]; JSON, JSON lines and CSV
//! are written as the items arrive (memory bounded by one item, whatever the count), the table
//! is drawn at the end (comfy-table sizes the columns to the content).

use std::io::{BufWriter, IsTerminal as _, Stdout, Write};

use comfy_table::{
    CellAlignment, ContentArrangement, Table, TableComponent, presets::UTF8_HORIZONTAL_ONLY,
};
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// Printed in a table or CSV cell that has no value.
pub const NONE: &str = "-";

/// The output format chosen on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people (the default).
    Table,
    /// One JSON document: an array of the items.
    Json,
    /// One JSON object per line, written as each item arrives.
    Jsonl,
    /// CSV with a header line; the same columns as the table.
    Csv,
}

/// An item the CLI can print: serialised as is for JSON, as named columns for tables and CSV.
pub trait Record: Serialize {
    /// Column titles (English).
    const HEADER: &'static [&'static str];
    /// Columns holding numbers (right-aligned in tables).
    const NUMERIC: &'static [usize] = &[];
    /// The cells, in [`Record::HEADER`] order; [`NONE`] for a missing value.
    fn cells(&self) -> Vec<String>;
}

enum Sink {
    Table {
        rows: Vec<Vec<String>>,
        empty: usize,
    },
    Json {
        out: BufWriter<Stdout>,
        first: bool,
    },
    Jsonl(BufWriter<Stdout>),
    // boxed: the writer's buffer state is large next to the other sinks
    Csv(Box<csv::Writer<BufWriter<Stdout>>>),
}

/// Writes the items of one command in the chosen [`Format`].
pub struct Emitter<T: Record> {
    sink: Sink,
    count: usize,
    _item: std::marker::PhantomData<fn(&T)>,
}

impl<T: Record> Emitter<T> {
    /// An emitter writing to standard output.
    pub fn new(format: Format) -> anyhow::Result<Self> {
        let out = BufWriter::new(std::io::stdout());
        let sink = match format {
            Format::Table => Sink::Table {
                rows: Vec::new(),
                empty: 0,
            },
            Format::Json => Sink::Json { out, first: true },
            Format::Jsonl => Sink::Jsonl(out),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(T::HEADER)?;
                Sink::Csv(Box::new(w))
            }
        };
        Ok(Emitter {
            sink,
            count: 0,
            _item: std::marker::PhantomData,
        })
    }

    /// Writes (or, for a table, keeps) one item.
    pub fn item(&mut self, item: &T) -> anyhow::Result<()> {
        self.count += 1;
        match &mut self.sink {
            Sink::Table { rows, empty } => {
                let cells = item.cells();
                if is_empty(&cells) {
                    *empty += 1;
                } else {
                    rows.push(cells);
                }
            }
            Sink::Json { out, first } => {
                out.write_all(if *first { b"[\n" } else { b",\n" })?;
                *first = false;
                serde_json::to_writer(&mut *out, item)?;
            }
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, item)?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(w) => {
                let cells = item.cells();
                // the same rows as the table; a missing value is an empty field
                if !is_empty(&cells) {
                    w.write_record(cells.iter().map(|c| if c == NONE { "" } else { c }))?;
                }
            }
        }
        Ok(())
    }

    /// Writes every item of `items`.
    pub fn items<'a>(&mut self, items: impl IntoIterator<Item = &'a T>) -> anyhow::Result<()>
    where
        T: 'a,
    {
        items.into_iter().try_for_each(|i| self.item(i))
    }

    /// Ends the output (closes the JSON array, draws the table) and returns the item count.
    pub fn finish(self) -> anyhow::Result<usize> {
        match self.sink {
            Sink::Table { rows, empty } => {
                let mut out = std::io::stdout().lock();
                if rows.is_empty() {
                    writeln!(out, "(nothing to show)")?;
                } else {
                    writeln!(out, "{}", table(T::HEADER, T::NUMERIC, rows))?;
                }
                if empty > 0 {
                    writeln!(out, "({empty} without any value not shown)")?;
                }
                out.flush()?;
            }
            Sink::Json { mut out, first } => {
                out.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
                out.flush()?;
            }
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv(mut w) => w.flush()?,
        }
        Ok(self.count)
    }
}

/// A row without any value (left out of tables and CSV; JSON keeps every item as sent).
fn is_empty(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty() || c == NONE)
}

fn table(header: &[&str], numeric: &[usize], rows: Vec<Vec<String>>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_HORIZONTAL_ONLY)
        // a rule under the header only, none between rows
        .remove_style(TableComponent::HorizontalLines)
        .remove_style(TableComponent::MiddleIntersections)
        .remove_style(TableComponent::LeftBorderIntersections)
        .remove_style(TableComponent::RightBorderIntersections)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    for row in rows {
        t.add_row(row);
    }
    for &i in numeric {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// An amount of money with two decimals, rounded half away from zero: `1234.5` → `1234.50`.
pub fn money(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    // `-0.00` for a tiny negative amount reads as a mistake
    let rounded = if rounded.is_zero() {
        Decimal::ZERO
    } else {
        rounded
    };
    format!("{rounded:.2}")
}

/// [`money`] or [`NONE`].
pub fn opt_money(amount: Option<Decimal>) -> String {
    amount.map(money).unwrap_or_else(|| NONE.to_owned())
}

/// `value` or [`NONE`].
pub fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| NONE.to_owned())
}

/// A quantity without trailing zeros: `42.0` → `42`.
pub fn opt_quantity(q: Option<Decimal>) -> String {
    opt(q.map(|q| q.normalize()))
}

/// `yes` or `no`.
pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// A progress bar on standard error; hidden when standard error is not a terminal (or
/// `quiet`), so scripts and pipes see nothing of it.
pub fn progress(len: Option<u64>, what: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match len {
        Some(n) => {
            let bar = ProgressBar::new(n);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{bar:40}} {{pos}}/{{len}} {what}  eta {{eta}}"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template(&format!("{{spinner}} {{pos}} {what}  {{per_sec}}"))
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money(dec("80")), "80.00");
        assert_eq!(money(dec("1325.5")), "1325.50");
        assert_eq!(money(dec("0.005")), "0.01");
        assert_eq!(money(dec("-0.001")), "0.00");
        assert_eq!(money(dec("-12.345")), "-12.35");
        assert_eq!(opt_money(None), NONE);
    }

    #[test]
    fn quantities_drop_trailing_zeros() {
        assert_eq!(opt_quantity(Some(dec("42.0"))), "42");
        assert_eq!(opt_quantity(Some(dec("1.50"))), "1.5");
    }
}
