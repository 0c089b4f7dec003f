//! How xtask prints for people: headings, plain text tables and the formatting of values
//! (money, counts, durations, quantities), in one place so that every vendor's section of the
//! tour reads the same.
//!
//! Hand-written rather than a table crate: the tables are small, left or right aligned, and the
//! helpers are a few lines each; a dependency would add more than it saves.

use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};

/// Printed in a cell that has no value.
pub const NONE: &str = "-";

/// Widest a column may grow, in characters (longer cells are cut).
const MAX_WIDTH: usize = 40;

/// A section heading with the mode it runs in (`offline sandbox …`, `live: …`).
pub fn heading(title: &str, mode: &str) {
    println!(
        "\n{}\n{title}  [{mode}]\n{}",
        "═".repeat(78),
        "═".repeat(78)
    );
}

/// A step within a section.
pub fn step(title: &str) {
    println!("\n── {title}");
}

/// An indented line of commentary under a step or heading.
pub fn note(text: &str) {
    println!("  {text}");
}

/// `value` or [`NONE`].
pub fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| NONE.to_owned())
}

/// An amount of money: two decimals (rounded half away from zero) and thousands separators,
/// `1234.5` → `1,234.50`.
pub fn money(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{rounded:.2}");
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) if rounded != Decimal::ZERO => ("-", rest),
        Some(rest) => ("", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    format!("{sign}{}.{frac}", group_thousands(int))
}

/// [`money`] or [`NONE`].
pub fn opt_money(amount: Option<Decimal>) -> String {
    amount.map(money).unwrap_or_else(|| NONE.to_owned())
}

/// A count with thousands separators: `12345` → `12,345`.
pub fn count(n: impl Into<u64>) -> String {
    group_thousands(&n.into().to_string())
}

/// [`count`] for a `usize` (lengths of lists).
pub fn count_usize(n: usize) -> String {
    group_thousands(&n.to_string())
}

/// A decimal quantity (stock, seats) without trailing zeros and with thousands separators:
/// `42.0` → `42`, `1500.50` → `1,500.5`.
pub fn quantity(q: Decimal) -> String {
    let text = q.normalize().to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    match digits.split_once('.') {
        Some((int, frac)) => format!("{sign}{}.{frac}", group_thousands(int)),
        None => format!("{sign}{}", group_thousands(digits)),
    }
}

/// [`quantity`] or [`NONE`].
pub fn opt_quantity(q: Option<Decimal>) -> String {
    q.map(quantity).unwrap_or_else(|| NONE.to_owned())
}

/// A duration in seconds with two decimals: `0.71 s`, `12.00 s`.
pub fn duration(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Inserts `,` every three digits from the right of a run of ASCII digits.
fn group_thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A plain text table: header, a rule, rows; columns sized to their content (at most
/// 40 characters). Rows without any value are left out, and a note says how many.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
    empty_rows: usize,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            right: vec![false; header.len()],
            empty_rows: 0,
        }
    }

    /// Right-aligns the given columns (numbers).
    pub fn right(mut self, cols: &[usize]) -> Self {
        for &c in cols {
            if let Some(r) = self.right.get_mut(c) {
                *r = true;
            }
        }
        self
    }

    /// Adds a row; a row whose every cell is empty or [`NONE`] is counted but not shown.
    pub fn row(&mut self, cells: Vec<String>) {
        if cells.iter().all(|c| c.trim().is_empty() || c == NONE) {
            self.empty_rows += 1;
        } else {
            self.rows.push(cells);
        }
    }

    /// The table as lines of text (what [`Table::print`] prints).
    pub fn lines(&self) -> Vec<String> {
        let cols = self.header.len();
        let mut width: Vec<usize> = self
            .header
            .iter()
            .map(|h| h.chars().count().min(MAX_WIDTH))
            .collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(cols) {
                width[i] = width[i].max(c.chars().count()).min(MAX_WIDTH);
            }
        }
        let line = |cells: &[String]| {
            let parts: Vec<String> = (0..cols)
                .map(|i| {
                    let cell: String = cells
                        .get(i)
                        .map(String::as_str)
                        .unwrap_or("")
                        .chars()
                        .take(MAX_WIDTH)
                        .collect();
                    let pad = " ".repeat(width[i].saturating_sub(cell.chars().count()));
                    if self.right[i] {
                        format!("{pad}{cell}")
                    } else {
                        format!("{cell}{pad}")
                    }
                })
                .collect();
            format!("  {}", parts.join("  ").trim_end())
        };
        let mut out = vec![line(&self.header)];
        out.push(format!(
            "  {}",
            width
                .iter()
                .map(|w| "─".repeat(*w))
                .collect::<Vec<_>>()
                .join("  ")
        ));
        out.extend(self.rows.iter().map(|r| line(r)));
        if self.empty_rows > 0 {
            out.push(format!(
                "  ({} {} without any value not shown)",
                count_usize(self.empty_rows),
                if self.empty_rows == 1 { "row" } else { "rows" }
            ));
        }
        out
    }

    /// Prints the table.
    pub fn print(&self) {
        for l in self.lines() {
            println!("{l}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().expect("a decimal")
    }

    #[test]
    fn money_has_two_decimals_and_separators() {
        assert_eq!(money(dec("80")), "80.00");
        assert_eq!(money(dec("120.5")), "120.50");
        assert_eq!(money(dec("1325.0")), "1,325.00");
        assert_eq!(money(dec("1234567.891")), "1,234,567.89");
        assert_eq!(money(dec("0.005")), "0.01");
        assert_eq!(money(dec("-1234.5")), "-1,234.50");
        assert_eq!(money(dec("-0.001")), "0.00");
        assert_eq!(money(Decimal::ZERO), "0.00");
        assert_eq!(opt_money(None), "-");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0u32), "0");
        assert_eq!(count(999u32), "999");
        assert_eq!(count(1000u32), "1,000");
        assert_eq!(count(1_234_567u64), "1,234,567");
        assert_eq!(count_usize(250), "250");
        assert_eq!(count_usize(12_000), "12,000");
    }

    #[test]
    fn quantities_drop_trailing_zeros() {
        assert_eq!(quantity(dec("42.0")), "42");
        assert_eq!(quantity(dec("1500.50")), "1,500.5");
        assert_eq!(quantity(dec("-3")), "-3");
        assert_eq!(opt_quantity(None), "-");
    }

    #[test]
    fn durations_are_seconds_with_two_decimals() {
        assert_eq!(duration(Duration::from_millis(713)), "0.71 s");
        assert_eq!(duration(Duration::from_secs(12)), "12.00 s");
        assert_eq!(duration(Duration::ZERO), "0.00 s");
    }

    #[test]
    fn tables_leave_out_rows_without_any_value() {
        let mut t = Table::new(&["sku", "stock"]).right(&[1]);
        t.row(vec!["A-1".into(), "42".into()]);
        t.row(vec![NONE.into(), NONE.into()]);
        t.row(vec![String::new(), " ".into()]);
        t.row(vec![NONE.into(), "3".into()]);
        assert_eq!(
            t.lines(),
            [
                "  sku  stock",
                "  ───  ─────",
                "  A-1     42",
                "  -        3",
                "  (2 rows without any value not shown)",
            ]
        );
    }

    #[test]
    fn long_cells_are_cut_to_the_column_limit() {
        let mut t = Table::new(&["name"]);
        t.row(vec!["x".repeat(100)]);
        assert_eq!(t.lines()[2].trim().chars().count(), MAX_WIDTH);
    }
}
