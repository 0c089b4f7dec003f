//! Three-line booking records (`getbooking`, `nextbooking`; PPMS-Q25).

use super::text::content_lines;
use super::{ParseError, value};

/// The raw content of a `getbooking` / `nextbooking` body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BookingRecord {
    /// Line 1: the login of the booking's user.
    pub login: String,
    /// Line 2: minutes until the running booking ends (`getbooking`) or until the next one
    /// starts (`nextbooking`).
    pub minutes: i64,
    /// Line 3: the session id, when sent.
    pub session: Option<String>,
}

/// Parses a booking record. The caller handles the empty body (no booking) before.
pub fn parse_booking_record(body: &str) -> Result<BookingRecord, ParseError> {
    let mut lines = content_lines(body);
    let (_, login) = lines
        .next()
        .ok_or_else(|| ParseError::new("empty booking record"))?;
    let (n, minutes) = lines
        .next()
        .ok_or_else(|| ParseError::new("booking record lacks the minutes line"))?;
    let minutes = value::parse_i64(minutes).map_err(|e| ParseError::at_line(n, e))?;
    let session = lines.next().map(|(_, s)| s.to_owned());
    if let Some((n, extra)) = lines.next() {
        return Err(ParseError::at_line(
            n,
            format!("unexpected fourth line {extra:?}"),
        ));
    }
    Ok(BookingRecord {
        login: value::text(login),
        minutes,
        session,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_lines() {
        let r = parse_booking_record("jdoe\r\n45\r\n210034\r\n");
        assert_eq!(
            r,
            Ok(BookingRecord {
                login: "jdoe".into(),
                minutes: 45,
                session: Some("210034".into())
            })
        );
    }

    #[test]
    fn rejects_non_numeric_minutes_and_extra_lines() {
        assert_eq!(
            parse_booking_record("jdoe\r\nsoon\r\n1\r\n")
                .err()
                .and_then(|e| e.line),
            Some(2)
        );
        assert!(parse_booking_record("a\r\n1\r\n2\r\n3\r\n").is_err());
        assert!(parse_booking_record("jdoe\r\n").is_err());
    }
}
