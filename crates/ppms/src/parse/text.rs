//! Body text helpers shared by the parsers.

use super::ParseError;

/// Decodes a body as UTF-8 (the character set is undocumented; PUMAPI sends UTF-8 in practice).
///
/// A leading byte-order mark is dropped. A body that is not UTF-8 gives a [`ParseError`] naming
/// the offset of the first bad byte.
pub fn body_text(body: &[u8]) -> Result<&str, ParseError> {
    utf8(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body))
}

/// The body as text; a body that is not UTF-8 gives a [`ParseError`] naming the offset of the
/// first bad byte.
pub(crate) fn utf8(body: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(body).map_err(|e| {
        ParseError::new(format!(
            "body is not UTF-8 (first bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// True when the body holds nothing but whitespace, CR and LF (PPMS-Q05, PPMS-Q06).
pub fn is_blank(body: &str) -> bool {
    body.trim().is_empty()
}

/// The non-empty lines of a body with their 1-based line numbers, each trimmed of CR, spaces and
/// tabs (PPMS-Q07, PPMS-Q22).
pub(crate) fn content_lines(body: &str) -> impl Iterator<Item = (u64, &str)> {
    body.split('\n')
        .enumerate()
        .map(|(i, line)| ((i as u64) + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
}

/// Strips one pair of surrounding double quotes, if present (PPMS-Q24: `noheaders` and
/// `format=csv` modes quote list values).
pub(crate) fn unquote(value: &str) -> &str {
    let v = value.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1].trim()
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_text_drops_bom_and_rejects_invalid_utf8() {
        assert_eq!(body_text(b"\xEF\xBB\xBFjdoe\r\n").ok(), Some("jdoe\r\n"));
        let err = body_text(b"jd\xFFoe").err();
        assert!(err.is_some_and(|e| e.reason.contains("offset 2")));
    }

    #[test]
    fn content_lines_trim_and_skip_blank_lines() {
        let lines: Vec<_> = content_lines("a \r\n\r\n\tb\t\r\n").collect();
        assert_eq!(lines, vec![(1, "a"), (3, "b")]);
    }

    #[test]
    fn unquote_strips_one_pair() {
        assert_eq!(unquote("\"jdoe\""), "jdoe");
        assert_eq!(unquote("jdoe"), "jdoe");
        assert_eq!(unquote("\""), "\"");
    }
}
