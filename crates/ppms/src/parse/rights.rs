//! Rights lines `<letter>:<value>` (`getsysrights`, `getuserrights`; PPMS-Q24, PPMS-Q33).

use super::text::{content_lines, unquote};
use super::{ParseError, Parsed, WarningSink};

/// One rights line: the raw right letter and the value after the separator.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RightLine {
    /// The 1-based line in the body.
    pub line: u64,
    /// The right letter as sent (`A`, `N`, `S`, `D`, or anything else).
    pub letter: String,
    /// The login (`getsysrights`) or system id (`getuserrights`), unquoted and trimmed.
    pub value: String,
}

/// Parses rights lines. The separator may be `:` (default mode) or `,` (`format=csv`), and the
/// value may be quoted (PPMS-Q24). A line without that form is a [`ParseError`] naming the line
/// (PPMS-Q33); empty lines are not malformed.
pub fn parse_rights(body: &str) -> Result<Vec<RightLine>, ParseError> {
    content_lines(body)
        .map(|(n, line)| {
            let (letter, value) = line
                .split_once([':', ','])
                .ok_or_else(|| ParseError::at_line(n, format!("malformed rights line {line:?}")))?;
            let (letter, value) = (letter.trim(), unquote(value));
            if letter.is_empty() || value.is_empty() {
                return Err(ParseError::at_line(
                    n,
                    format!("malformed rights line {line:?}"),
                ));
            }
            Ok(RightLine {
                line: n,
                letter: letter.to_owned(),
                value: value.to_owned(),
            })
        })
        .collect()
}

/// Like [`parse_rights`], but a malformed line is skipped and reported as a [`super::Warning`]
/// (the lenient mode recommended for PPMS-Q33).
pub fn parse_rights_lenient(body: &str) -> Parsed<RightLine> {
    let mut out = Parsed::default();
    let mut warnings = WarningSink::default();
    for (n, line) in content_lines(body) {
        match parse_rights(line) {
            Ok(mut lines) if lines.len() == 1 => {
                if let Some(mut l) = lines.pop() {
                    l.line = n;
                    out.items.push(l);
                }
            }
            _ => warnings.push(n, || format!("malformed rights line {line:?} skipped")),
        }
    }
    out.warnings = warnings.finish();
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ppms_q24_colon_comma_and_quoted_forms() {
        for body in ["A:jdoe", "A,\"jdoe\"", "A,jdoe"] {
            let lines = parse_rights(body).unwrap();
            assert_eq!(
                (lines[0].letter.as_str(), lines[0].value.as_str()),
                ("A", "jdoe"),
                "{body}"
            );
        }
    }

    #[test]
    fn ppms_q33_malformed_line_is_reported_with_its_number() {
        let err = parse_rights("A:jdoe\r\nN:asmith\r\nmalformed-entry\r\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(parse_rights("A:jdoe\r\nN:asmith\r\n\r\n").unwrap().len(), 2);
        let lenient = parse_rights_lenient("A:jdoe\r\nN:asmith\r\nmalformed-entry\r\nS:bwong\r\n");
        assert_eq!(lenient.items.len(), 3);
        assert_eq!(lenient.items[2].line, 4);
        assert_eq!(lenient.warnings.len(), 1);
        assert_eq!(lenient.warnings[0].line, 3);
    }
}
