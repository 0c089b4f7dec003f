//! Classification of a body before it is parsed (reference section 2.2, PPMS-Q01, PPMS-Q02).

use std::fmt;

/// An error the PUMAPI server reported inside an HTTP 200 body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerError {
    /// `error: request not authorized`.
    ///
    /// PPMS sends this for a bad or restricted key **and** for some invalid parameters, e.g. a
    /// non-numeric system id (PPMS-Q03), so it does not prove that the key is wrong.
    NotAuthorized,
    /// `error: invalid id`, or the legacy wording `System right not authorized` (PPMS-Q02).
    InvalidId,
    /// `error: invalid user <login>`.
    InvalidUser {
        /// The login the server named.
        login: String,
    },
    /// Any other `error: ...` text, kept verbatim (without the `error:` prefix).
    Other {
        /// The server's message.
        message: String,
    },
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAuthorized => f.write_str("request not authorized"),
            Self::InvalidId => f.write_str("invalid id"),
            Self::InvalidUser { login } => write!(f, "invalid user {login}"),
            Self::Other { message } => f.write_str(message),
        }
    }
}

/// What a body is, before any action-specific parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyClass<'a> {
    /// Nothing but whitespace and line breaks (PPMS-Q05, PPMS-Q06).
    Empty,
    /// A server error text.
    Error(ServerError),
    /// Anything else: data for the action's parser (untrimmed).
    Data(&'a str),
}

/// Legacy error texts sent without the `error:` prefix (PPMS-Q02).
const LEGACY_INVALID_ID: &[&str] = &["system right not authorized"];

/// Classifies a body following the reference's order (section 2.2).
///
/// Only the **first line** is inspected for an `error:` prefix (case-insensitive); a data value
/// that merely contains the word "error" is never misread.
pub fn classify(body: &str) -> BodyClass<'_> {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return BodyClass::Empty;
    }
    let first = trimmed.lines().next().unwrap_or_default().trim();
    if let Some(rest) = strip_prefix_ci(first, "error:") {
        return BodyClass::Error(classify_message(rest.trim()));
    }
    if LEGACY_INVALID_ID
        .iter()
        .any(|legacy| trimmed.eq_ignore_ascii_case(legacy))
    {
        return BodyClass::Error(ServerError::InvalidId);
    }
    BodyClass::Data(body)
}

fn classify_message(rest: &str) -> ServerError {
    if rest.eq_ignore_ascii_case("request not authorized") {
        ServerError::NotAuthorized
    } else if rest.eq_ignore_ascii_case("invalid id") {
        ServerError::InvalidId
    } else if let Some(login) = strip_prefix_ci(rest, "invalid user") {
        ServerError::InvalidUser {
            login: login.trim().to_owned(),
        }
    } else {
        ServerError::Other {
            message: rest.to_owned(),
        }
    }
}

pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppms_q01_error_body_is_classified_before_parsing() {
        assert_eq!(
            classify("error: request not authorized\r\n"),
            BodyClass::Error(ServerError::NotAuthorized)
        );
        assert_eq!(
            classify("ERROR: Request Not Authorized"),
            BodyClass::Error(ServerError::NotAuthorized)
        );
    }

    #[test]
    fn ppms_q02_both_invalid_id_wordings_and_unknown_texts() {
        assert_eq!(
            classify("error: invalid id\r\n"),
            BodyClass::Error(ServerError::InvalidId)
        );
        assert_eq!(
            classify("System right not authorized\r\n"),
            BodyClass::Error(ServerError::InvalidId)
        );
        assert_eq!(
            classify("error: something new\r\n"),
            BodyClass::Error(ServerError::Other {
                message: "something new".into()
            })
        );
        assert_eq!(
            classify("error: invalid user zz_nobody\r\n"),
            BodyClass::Error(ServerError::InvalidUser {
                login: "zz_nobody".into()
            })
        );
    }

    #[test]
    fn data_mentioning_error_later_is_data() {
        let body = "login,lname\r\n\"jdoe\",\"error: request not authorized\"\r\n";
        assert_eq!(classify(body), BodyClass::Data(body));
    }

    #[test]
    fn ppms_q06_bare_line_breaks_are_empty() {
        for body in ["", "\n\n", "\r\n", "\r\n\r\n", " \t\r\n"] {
            assert_eq!(classify(body), BodyClass::Empty, "{body:?}");
        }
    }

    #[test]
    fn strip_prefix_ci_handles_multibyte_input() {
        assert_eq!(strip_prefix_ci("é", "error:"), None);
        assert_eq!(strip_prefix_ci("érror:xx", "error:"), None);
    }
}
