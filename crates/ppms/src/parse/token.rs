//! Single-token bodies: `done`, `OK newuser`, a bare order number, the `auth` answers.
//!
//! These functions only recognise a success marker; a body that is not one is the caller's
//! `UnexpectedResponse` (reference section 2.2, step 6).

use crate::model::{AuthOutcome, AuthRefusal, OrderRef};

/// True when the trimmed body is exactly `done` (`setright`, PPMS-Q31).
pub fn is_done(body: &str) -> bool {
    body.trim().eq_ignore_ascii_case("done")
}

/// True when the body contains `OK newuser` (`newuser`).
pub fn is_ok_newuser(body: &str) -> bool {
    body.to_ascii_lowercase().contains("ok newuser")
}

/// The order reference of a successful `createorder`: a trimmed body made only of digits
/// (PPMS-Q42). Anything else gives `None`.
pub fn parse_order_ref(body: &str) -> Option<OrderRef> {
    let v = body.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().map(OrderRef)
}

/// The answer to `auth` with `login` and `pwd`: `OK` (plus an `ADM` line for admins), or one of
/// `nopwd`, `nosys`, `notime`. Anything else gives `None`.
pub fn parse_auth_outcome(body: &str) -> Option<AuthOutcome> {
    let mut lines = super::text::content_lines(body).map(|(_, l)| l);
    let first = lines.next()?;
    let second = lines.next();
    if lines.next().is_some() {
        return None;
    }
    if first.eq_ignore_ascii_case("ok") {
        return match second {
            None => Some(AuthOutcome::Accepted { admin: false }),
            Some(s) if s.eq_ignore_ascii_case("adm") => Some(AuthOutcome::Accepted { admin: true }),
            Some(_) => None,
        };
    }
    if second.is_some() {
        return None;
    }
    let reason = match first.to_ascii_lowercase().as_str() {
        "nopwd" => AuthRefusal::BadPassword,
        "nosys" => AuthRefusal::NoSystemRight,
        "notime" => AuthRefusal::OutsidePermittedTime,
        _ => return None,
    };
    Some(AuthOutcome::Refused(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppms_q42_only_digit_bodies_are_order_refs() {
        assert_eq!(parse_order_ref("48213\r\n"), Some(OrderRef(48213)));
        assert_eq!(parse_order_ref("  48213 "), Some(OrderRef(48213)));
        assert_eq!(parse_order_ref("Invalid service"), None);
        assert_eq!(parse_order_ref("-4"), None);
        assert_eq!(parse_order_ref("99999999999999999999999"), None);
        assert_eq!(parse_order_ref(""), None);
    }

    #[test]
    fn done_and_ok_newuser_markers() {
        assert!(is_done("done\r\n"));
        assert!(!is_done("done with errors"));
        assert!(is_ok_newuser("OK newuser jdoe\r\n"));
        assert!(!is_ok_newuser("error: invalid id"));
    }

    #[test]
    fn auth_outcomes() {
        assert_eq!(
            parse_auth_outcome("OK\r\n"),
            Some(AuthOutcome::Accepted { admin: false })
        );
        assert_eq!(
            parse_auth_outcome("OK\r\nADM\r\n"),
            Some(AuthOutcome::Accepted { admin: true })
        );
        assert_eq!(
            parse_auth_outcome("nosys\r\n"),
            Some(AuthOutcome::Refused(AuthRefusal::NoSystemRight))
        );
        assert_eq!(parse_auth_outcome("maybe"), None);
        assert_eq!(parse_auth_outcome("OK\r\nXYZ"), None);
    }
}
