//! Line lists: one value per line, no header (PPMS-Q10), as a `Vec` ([`parse_lines`]) or kept
//! as the body plus where each value starts ([`Lines`], issue 16, item 5).

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use super::lazy::Offsets;
use super::text::{content_lines, unquote, utf8};
use super::{ParseError, value};

/// Parses a line list (`getusers`, `getadmins`, `getgroups`, `getgroupusers`,
/// `getprojectusers`, `getinvoicelist`).
///
/// Each line (ended by `\n`) is trimmed of CR, spaces and tabs (PPMS-Q07, PPMS-Q22), stripped
/// of one pair of surrounding quotes (PPMS-Q24) and entity-decoded (PPMS-Q21); empty lines are
/// dropped. This parser cannot fail; it returns a `Result` like every other parser.
///
/// **Memory**: one `String` per value (24 bytes plus its own allocation, however short the
/// line): one-character logins take 20–29× their body. [`Lines`] reads the same values from
/// the body kept whole, plus 4 bytes per value.
pub fn parse_lines(body: &str) -> Result<Vec<String>, ParseError> {
    Ok(line_values(body).map(|(_, v)| v.into_owned()).collect())
}

/// The values of a line list and where each value's line starts: the one scan behind
/// [`parse_lines`] and [`Lines`].
fn line_values(body: &str) -> impl Iterator<Item = (usize, Cow<'_, str>)> {
    let mut start = 0;
    body.split('\n').filter_map(move |line| {
        let at = start;
        start += line.len() + 1;
        Some((at, line_value(line)?))
    })
}

/// The value of one line (without its `\n`), `None` for a line that holds none.
fn line_value(line: &str) -> Option<Cow<'_, str>> {
    let v = match value::decode_entities(unquote(line.trim()).trim_ascii()) {
        Cow::Borrowed(v) => Cow::Borrowed(v.trim()),
        Cow::Owned(v) => Cow::Owned(v.trim().to_owned()),
    };
    (!v.is_empty()).then_some(v)
}

/// The values of a line list, decoded when they are read: the body (shared, never copied) and
/// where each value's line starts.
///
/// Building one scans the body exactly as [`parse_lines`] does (the same code decides which
/// lines hold a value) but keeps only where each value starts; reading a value
/// ([`Lines::get`], [`Lines::iter`]) decodes its line again with the same code, so it gives
/// exactly the value `parse_lines` gives.
///
/// **Memory**: the body, plus 4 bytes per value (8 for a body past 4 GiB), reserved exactly
/// (the scan counts the values first): at most 3× the body for the narrowest list (`a\n`
/// repeated), 1.4× for logins of 8 characters. A `Vec<String>` ([`parse_lines`],
/// `users().list()`) costs 24 bytes plus an allocation per value instead: 6.6× and 29× for the
/// same bodies (`docs/benchmarks.md`, "ppms" (c)). Use [`Lines::into_vec`] (or `collect`) for
/// the values you keep. The cost moves to access: each read decodes its line again (an
/// iteration reads the body once more); the scan reads the body twice (once to count).
///
/// ```
/// use ppms::parse::Lines;
///
/// let logins = Lines::parse("jdoe\r\n\r\n\"asmith\"\r\nb&amp;wong\t\r\n")?;
/// assert_eq!(logins.len(), 3); // the blank line holds no value
/// assert_eq!(logins.get(1).as_deref(), Some("asmith"));
/// assert_eq!(logins.get(3), None);
/// for login in &logins {
///     println!("{login}");
/// }
/// assert_eq!(logins.into_vec(), ["jdoe", "asmith", "b&wong"]);
/// # Ok::<(), ppms::parse::ParseError>(())
/// ```
#[derive(Clone, Default)]
pub struct Lines {
    /// The body: valid UTF-8 (checked when the list was built).
    text: Bytes,
    starts: Offsets,
}

impl Lines {
    /// Reads a line list as [`parse_lines`] does. `body` is kept without copying (a `String`, a
    /// `Vec<u8>` or [`Bytes`] becomes the list's buffer); a body that is not UTF-8 is a
    /// [`ParseError`]. A byte-order mark is not dropped (the client drops it before).
    pub fn parse(body: impl Into<Bytes>) -> Result<Self, ParseError> {
        let text = body.into();
        let body = utf8(&text)?;
        let mut starts = Offsets::for_body(text.len());
        // counted first, so that the offsets take exactly 4 bytes per value: a growing `Vec`
        // could hold twice its values and copies itself as it grows
        starts.reserve_exact(line_values(body).count());
        for (at, _) in line_values(body) {
            starts.push(at);
        }
        Ok(Self { text, starts })
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True when the list has no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `index` (in body order); `None` past the end.
    pub fn get(&self, index: usize) -> Option<String> {
        let rest = self.text.get(self.starts.get(index)?..)?;
        let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        // a line of a UTF-8 body, cut at `\n`s: UTF-8 too
        let line = std::str::from_utf8(rest.get(..end)?).ok()?;
        line_value(line).map(Cow::into_owned)
    }

    /// The values in body order, each decoded when the iterator reaches it.
    pub fn iter(&self) -> Values<'_> {
        Values {
            lines: self,
            next: 0,
        }
    }

    /// Every value: the `Vec` that [`parse_lines`] gives for the same body.
    pub fn into_vec(self) -> Vec<String> {
        let mut values = Vec::with_capacity(self.len());
        values.extend(self.iter());
        values
    }

    /// The next value from `*next` on, advancing it.
    fn next_from(&self, next: &mut usize) -> Option<String> {
        while *next < self.len() {
            let i = *next;
            *next += 1;
            if let Some(value) = self.get(i) {
                return Some(value);
            }
        }
        None
    }
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines")
            .field("values", &self.len())
            .finish_non_exhaustive()
    }
}

impl<'a> IntoIterator for &'a Lines {
    type Item = String;
    type IntoIter = Values<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Lines {
    type Item = String;
    type IntoIter = IntoValues;
    fn into_iter(self) -> Self::IntoIter {
        IntoValues {
            lines: self,
            next: 0,
        }
    }
}

/// The values of a [`Lines`], decoded one by one ([`Lines::iter`]).
#[derive(Debug, Clone)]
pub struct Values<'a> {
    lines: &'a Lines,
    next: usize,
}

impl Iterator for Values<'_> {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        self.lines.next_from(&mut self.next)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.lines.len().saturating_sub(self.next)))
    }
}

/// The values of a [`Lines`] it owns, decoded one by one (`lines.into_iter()`).
#[derive(Debug, Clone)]
pub struct IntoValues {
    lines: Lines,
    next: usize,
}

impl Iterator for IntoValues {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        self.lines.next_from(&mut self.next)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.lines.len().saturating_sub(self.next)))
    }
}

/// Parses a line list of whole numbers (`getuserprojects`).
///
/// A line that is not a number is a [`ParseError`] naming the line.
///
/// **Memory**: 4 bytes per number, reserved exactly (the lines are counted first: a growing
/// `Vec` could hold twice its numbers and holds two buffers while it grows), so at most 2× the
/// body (`7\n` repeated).
pub fn parse_id_lines(body: &str) -> Result<Vec<u32>, ParseError> {
    let mut ids = Vec::with_capacity(content_lines(body).count());
    for (n, line) in content_lines(body) {
        ids.push(value::parse_u32(unquote(line)).map_err(|e| ParseError::at_line(n, e))?);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ppms_q10_line_list_illustrative_body() {
        assert_eq!(
            parse_lines("jdoe\r\nasmith\r\nbwong\r\n"),
            Ok(vec![
                "jdoe".to_owned(),
                "asmith".to_owned(),
                "bwong".to_owned()
            ])
        );
    }

    #[test]
    fn ppms_q22_tab_after_login_is_trimmed() {
        assert_eq!(parse_lines("jdoe\t\r\n"), Ok(vec!["jdoe".to_owned()]));
    }

    /// Every way to read a [`Lines`] gives what `parse_lines` gives.
    fn same_as_parse_lines(body: &str) {
        let want = parse_lines(body).unwrap();
        let lines = Lines::parse(body.to_owned()).unwrap();
        assert_eq!(lines.len(), want.len(), "{body:?}");
        assert_eq!(lines.is_empty(), want.is_empty());
        let got: Vec<Option<String>> = (0..=want.len()).map(|i| lines.get(i)).collect();
        let mut expected: Vec<Option<String>> = want.iter().cloned().map(Some).collect();
        expected.push(None);
        assert_eq!(got, expected, "{body:?}");
        assert_eq!(lines.iter().collect::<Vec<_>>(), want);
        assert_eq!((&lines).into_iter().count(), want.len());
        assert_eq!(lines.clone().into_iter().collect::<Vec<_>>(), want);
        assert_eq!(lines.into_vec(), want);
    }

    #[test]
    fn lines_read_back_exactly_as_parse_lines_gives_them() {
        for body in [
            "jdoe\r\nasmith\r\nbwong\r\n",
            "jdoe\nasmith",
            " \"jdoe\" \r\n\"\"\r\n\"\r\n&amp;&#32;\r\n&#32;\r\nb&amp;w\t\r\n",
            "a\rb\r\nc\r",
            "\u{feff}jdoe\r\n\u{3000}x\u{3000}\n\u{3000}\n",
            "é\nü\r\n日本\n",
        ] {
            same_as_parse_lines(body);
        }
    }

    #[test]
    fn an_empty_or_blank_body_has_no_value() {
        for body in ["", "\r\n", "\n\n\n", " \t \r\n\r\n  ", "\"\"\r\n\" \"\n"] {
            let lines = Lines::parse(body).unwrap();
            assert!(lines.is_empty(), "{body:?}");
            assert_eq!(lines.len(), 0);
            assert_eq!(lines.get(0), None);
            assert_eq!(lines.iter().next(), None);
            assert!(lines.into_vec().is_empty());
        }
        assert!(Lines::default().is_empty());
    }

    #[test]
    fn out_of_range_get_is_none() {
        let lines = Lines::parse("a\r\nb\r\n").unwrap();
        assert_eq!(lines.get(1).as_deref(), Some("b"));
        assert_eq!(lines.get(2), None);
        assert_eq!(lines.get(usize::MAX), None);
    }

    #[test]
    fn a_body_that_is_not_utf8_is_an_error() {
        let err = Lines::parse(b"jdoe\n\xff\n".to_vec()).unwrap_err();
        assert!(err.reason.contains("offset 5"), "{err}");
    }

    #[test]
    fn the_list_shares_the_body_it_was_given() {
        let body = Bytes::from("jdoe\r\nasmith\r\n");
        let lines = Lines::parse(body.clone()).unwrap();
        assert_eq!(lines.text.as_ptr(), body.as_ptr());
        assert_eq!(format!("{lines:?}"), "Lines { values: 2, .. }");
    }

    #[test]
    fn the_offsets_are_reserved_for_exactly_the_values() {
        let lines = Lines::parse("a\n\n \n\"\"\nb\r\n".repeat(100)).unwrap();
        assert_eq!(lines.len(), 200);
        match &lines.starts {
            Offsets::Narrow(v) => assert_eq!(v.capacity(), 200),
            Offsets::Wide(_) => panic!("a small body has narrow offsets"),
        }
    }

    #[test]
    fn lists_and_their_iterators_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Lines>();
        send_sync::<Values<'_>>();
        send_sync::<IntoValues>();
    }

    #[test]
    fn id_lines_report_the_bad_line() {
        assert_eq!(parse_id_lines("12\r\n7 \r\n"), Ok(vec![12, 7]));
        let err = parse_id_lines("12\r\nx\r\n").err();
        assert_eq!(err.and_then(|e| e.line), Some(2));
    }
}
