//! Recorded fixtures ("cassettes"): the file format, recording and replay transports,
//! matching, scrubbing, and the recording-scenario types vendor crates implement.
//!
//! Test machinery, compiled only with the `recording` feature: a program that calls a vendor
//! API never needs it.
//!
//! ## The file format
//!
//! A cassette is one scenario's ordered list of request/response pairs, stored as
//! `fixtures/<vendor>/<scenario>.json`: pretty JSON with two-space indent, a fixed key order
//! (so re-writing never reorders anything) and a final newline.
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "vendor": "ppms",
//!   "scenario": "users",
//!   "recorded_at": "2026-11-23T15:04:05Z",
//!   "recorded_against": "https://REDACTED/site/",
//!   "interactions": [
//!     {
//!       "request": {
//!         "method": "POST",
//!         "path": "/pumapi/",
//!         "form": [
//!           ["action", "getuser"],
//!           ["apikey", "REDACTED"],
//!           ["login", "jdoe"]
//!         ],
//!         "headers": {
//!           "content-type": "application/x-www-form-urlencoded"
//!         }
//!       },
//!       "response": {
//!         "status": 200,
//!         "headers": {
//!           "content-type": "text/plain"
//!         },
//!         "body_lines": [
//!           "login,lname,fname,email\r\n",
//!           "\"jdoe\",\"Doe\",\"Jane\",\"jane.doe@example.org\"\r\n"
//!         ]
//!       }
//!     }
//!   ]
//! }
//! ```
//!
//! * `path` is relative to the base URL the cassette was recorded against, so a cassette
//!   recorded at `https://ppms.eu/site/` replays against any base URL.
//! * `query` and `form` are sorted `[name, value]` pairs; `json` is a JSON request body.
//! * Headers are allow-listed (see [`ScrubConfig`]); secret ones hold `"REDACTED"`.
//! * A UTF-8 body is `body_lines`: one string per line **with its line ending**, so PUMAPI's
//!   `\r\n` survives a write/read round trip byte for byte and diffs are line by line. Any
//!   other body is `body_base64`. Hand-written cassettes may use `body_json` (served as
//!   compact JSON). No body field means an empty body.
//! * `format_version` is checked on load; `recorded_at` and `recorded_against` (host
//!   redacted) are informational.
//!
//! ## Pieces
//!
//! | piece | what it does |
//! |---|---|
//! | [`Cassette`] | load ([`Cassette::load`], [`Cassette::load_fixture`]), canonical text ([`Cassette::to_json`]), [`Cassette::write_checked`] (refuses secrets) |
//! | [`RecordingTransport`] | wraps any [`Transport`](crate::Transport), keeps every exchange, [`RecordingTransport::finish`] scrubs into a cassette |
//! | [`ReplayTransport`] | answers from cassettes without sockets; a miss names the nearest recorded request; [`ReplayTransport::assert_all_used`] |
//! | [`ScrubConfig`] | per-vendor secret and personal-data fields; [`ScrubConfig::scrub`]; [`find_secrets`] |
//! | [`VendorRecording`], [`Scenario`], [`ScenarioContext`] | what a vendor crate's `recording` module declares for `cargo xtask record` |
//!
//! See `docs/fixtures.md` in the repository for the recording workflow.

mod format;
pub mod matching;
mod record;
mod replay;
mod scenario;
pub mod scrub;

pub use format::{
    Cassette, CassetteError, FORMAT_VERSION, Interaction, RecordedRequest, RecordedResponse,
    SECRET_PLACEHOLDER, StoredBody, fixtures_dir, rfc3339, split_lines,
};
pub use record::{RecordObserver, RecordingTransport, redact_host};
pub use replay::{AllUsedGuard, ReplayTransport, UnusedInteractions, to_http_response};
pub use scenario::{CredentialVar, Scenario, ScenarioContext, Vars, VendorRecording};
pub use scrub::{
    DEFAULT_REQUEST_HEADERS, DEFAULT_RESPONSE_HEADERS, DEFAULT_SECRET_FIELDS, LineListRule,
    PersonalKind, ScrubConfig, SecretFinding, find_secrets, looks_high_entropy,
};
