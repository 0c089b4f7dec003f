//! Line lists: one value per line, no header (PPMS-Q10).

use super::text::{content_lines, unquote};
use super::{ParseError, value};

/// Parses a line list (`getusers`, `getadmins`, `getgroups`, `getgroupusers`,
/// `getprojectusers`, `getinvoicelist`).
///
/// Each line is trimmed of CR, spaces and tabs (PPMS-Q07, PPMS-Q22), stripped of one pair of
/// surrounding quotes (PPMS-Q24) and entity-decoded (PPMS-Q21); empty lines are dropped.
/// This parser cannot fail; it returns a `Result` like every other parser.
pub fn parse_lines(body: &str) -> Result<Vec<String>, ParseError> {
    Ok(content_lines(body)
        .map(|(_, line)| value::text(unquote(line)).trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect())
}

/// Parses a line list of whole numbers (`getuserprojects`).
///
/// A line that is not a number is a [`ParseError`] naming the line.
pub fn parse_id_lines(body: &str) -> Result<Vec<u32>, ParseError> {
    content_lines(body)
        .map(|(n, line)| value::parse_u32(unquote(line)).map_err(|e| ParseError::at_line(n, e)))
        .collect()
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn id_lines_report_the_bad_line() {
        assert_eq!(parse_id_lines("12\r\n7 \r\n"), Ok(vec![12, 7]));
        let err = parse_id_lines("12\r\nx\r\n").err();
        assert_eq!(err.and_then(|e| e.line), Some(2));
    }
}
