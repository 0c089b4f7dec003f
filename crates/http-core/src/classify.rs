//! Turning a response into success or a classified [`Error`].
//!
//! [`DefaultClassifier`] maps HTTP statuses. A vendor crate supplies its own [`Classifier`]
//! when the vendor signals failures in the body (PUMAPI answers HTTP 200 with
//! `error: request not authorized`): it can inspect the body first and fall back to
//! [`classify_status`] for everything else. http-core itself never knows vendor strings.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::StatusCode;

use crate::error::{Error, ErrorKind};
use crate::retry::parse_retry_after;
use crate::transport::HttpResponse;

/// What the request was, as far as a classifier needs to know.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RequestInfo<'a> {
    /// The operation name.
    pub operation: &'a str,
    /// The request's path relative to the base URL.
    pub path: &'a str,
}

impl<'a> RequestInfo<'a> {
    /// Builds request info (mainly for tests of classifiers).
    pub fn new(operation: &'a str, path: &'a str) -> Self {
        RequestInfo { operation, path }
    }
}

/// Decides whether a response is a success or which error it is.
pub trait Classifier: Send + Sync + fmt::Debug {
    /// `Ok(())` for success; otherwise the error (kind, vendor message, body snippet).
    /// `now` is the wall-clock time used to interpret an HTTP-date `Retry-After`.
    fn classify(
        &self,
        request: RequestInfo<'_>,
        response: &HttpResponse,
        now: SystemTime,
    ) -> Result<(), Error>;
}

/// Classifies by HTTP status only.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultClassifier;

impl Classifier for DefaultClassifier {
    fn classify(
        &self,
        _request: RequestInfo<'_>,
        response: &HttpResponse,
        now: SystemTime,
    ) -> Result<(), Error> {
        classify_status(response, now)
    }
}

/// The error kind for a non-success HTTP status.
pub fn kind_for_status(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        401 => ErrorKind::Auth,
        403 => ErrorKind::Forbidden,
        404 | 410 => ErrorKind::NotFound,
        408 | 504 => ErrorKind::Timeout,
        409 => ErrorKind::Conflict,
        400 | 422 => ErrorKind::Validation,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Client,
    }
}

/// The status-based classification: 2xx is success, everything else an [`Error`] with the
/// status, a body snippet and, for 429 and 503, the parsed `Retry-After`.
pub fn classify_status(response: &HttpResponse, now: SystemTime) -> Result<(), Error> {
    if response.status.is_success() {
        return Ok(());
    }
    Err(error_for_status(response, now))
}

/// The error for a (non-success) response, by status.
pub fn error_for_status(response: &HttpResponse, now: SystemTime) -> Error {
    let kind = kind_for_status(response.status);
    Error::http(kind, response.status, &response.body).with_retry_after(retry_after(response, now))
}

/// The header with which `billing-sandbox` marks a request it has no answer for.
pub const SANDBOX_MISS_HEADER: &str = "x-sandbox-miss";

/// Longest sandbox explanation kept as the vendor message, in characters.
const SANDBOX_MISS_LIMIT: usize = 200;

/// A response marked `X-Sandbox-Miss` (the sandbox has no recording for the request) is a
/// non-retryable [`ErrorKind::Vendor`] error whose vendor message is the sandbox's explanation
/// (its body, at most 200 characters), whatever its status: repeating the request cannot help,
/// and the explanation names the nearest recording and what differs. The runtime applies this
/// before the vendor's classifier; no real vendor sends the header.
pub fn sandbox_miss(response: &HttpResponse) -> Option<Error> {
    response.header(SANDBOX_MISS_HEADER)?;
    let text = String::from_utf8_lossy(&response.body);
    let explanation: String = text.trim().chars().take(SANDBOX_MISS_LIMIT).collect();
    Some(
        Error::http(ErrorKind::Vendor, response.status, &response.body)
            .with_vendor_message(explanation),
    )
}

/// The `Retry-After` of a response, in seconds or as an HTTP date relative to `now`.
pub fn retry_after(response: &HttpResponse, now: SystemTime) -> Option<Duration> {
    response
        .header("retry-after")
        .and_then(|v| parse_retry_after(v, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        let now = SystemTime::now();
        let cases = [
            (200, None),
            (204, None),
            (401, Some(ErrorKind::Auth)),
            (403, Some(ErrorKind::Forbidden)),
            (404, Some(ErrorKind::NotFound)),
            (408, Some(ErrorKind::Timeout)),
            (422, Some(ErrorKind::Validation)),
            (429, Some(ErrorKind::RateLimited)),
            (502, Some(ErrorKind::Server)),
            (418, Some(ErrorKind::Client)),
        ];
        for (code, want) in cases {
            let resp = HttpResponse::new(StatusCode::from_u16(code).expect("valid"), "body");
            let got = classify_status(&resp, now).err().map(|e| e.kind());
            assert_eq!(got, want, "status {code}");
        }
    }

    #[test]
    fn sandbox_miss_is_not_retryable_and_carries_the_explanation() {
        let long = format!(
            "sandbox: no recorded interaction matches GET /x; {}",
            "y".repeat(400)
        );
        let miss = HttpResponse::new(StatusCode::NOT_IMPLEMENTED, long.clone())
            .with_header("X-Sandbox-Miss", "1");
        let err = sandbox_miss(&miss).expect("a marked response is a miss");
        assert!(!err.is_retryable());
        assert_eq!(err.status(), Some(StatusCode::NOT_IMPLEMENTED));
        let message = err.vendor_message().expect("the explanation");
        assert_eq!(message.chars().count(), SANDBOX_MISS_LIMIT);
        assert!(long.starts_with(message));
        assert!(
            err.to_string()
                .contains("no recorded interaction matches GET /x")
        );
        let plain = HttpResponse::new(StatusCode::NOT_IMPLEMENTED, "not implemented");
        assert!(sandbox_miss(&plain).is_none());
    }

    #[test]
    fn rate_limited_keeps_retry_after() {
        let resp = HttpResponse::new(StatusCode::TOO_MANY_REQUESTS, "slow down")
            .with_header("Retry-After", "7");
        let err = classify_status(&resp, SystemTime::now()).expect_err("429 is an error");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(err.body_snippet(), Some("slow down"));
    }
}
