//! The cassette file format: types, body encoding, canonical writer and loader.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Version of the cassette format written by this crate. Loading a file with another version
/// is an error that says which version was found.
pub const FORMAT_VERSION: u32 = 1;

/// The fixed placeholder that replaces every secret value in a cassette.
pub const SECRET_PLACEHOLDER: &str = "REDACTED";

/// One scenario's recorded interactions, in the order they happened.
///
/// See the [module docs](super) for the file layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cassette {
    /// Format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Vendor name (`ppms`, `pax8`, `cloudspot`).
    pub vendor: String,
    /// Scenario name; the file is `fixtures/<vendor>/<scenario>.json`.
    pub scenario: String,
    /// When the cassette was recorded (RFC 3339, UTC), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<String>,
    /// What it was recorded against: the base URL with its host redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_against: Option<String>,
    /// The interactions, in order.
    #[serde(default)]
    pub interactions: Vec<Interaction>,
}

/// One request and the response it got.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Interaction {
    /// What was sent.
    pub request: RecordedRequest,
    /// What came back.
    pub response: RecordedResponse,
}

/// A recorded request.
///
/// `path` is relative to the base URL the cassette was recorded against and starts with `/`
/// (a request outside that base URL keeps its absolute path). `query` and `form` are sorted
/// pairs; `json` is a JSON request body; any other body is kept in `body`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// Path relative to the recording base URL, starting with `/`.
    pub path: String,
    /// Query pairs, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
    /// Form fields (`application/x-www-form-urlencoded`), sorted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Vec<(String, String)>>,
    /// JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    /// Allow-listed headers (lower-case names); secret ones hold [`SECRET_PLACEHOLDER`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Any other body.
    #[serde(flatten)]
    pub body: StoredBody,
}

impl Interaction {
    /// A request and its response.
    pub fn new(request: RecordedRequest, response: RecordedResponse) -> Self {
        Interaction { request, response }
    }
}

impl RecordedRequest {
    /// A request with a method and a path relative to the base URL (`/pumapi/`).
    pub fn new(method: &str, path: &str) -> Self {
        RecordedRequest {
            method: method.to_ascii_uppercase(),
            path: if path.starts_with('/') {
                path.to_owned()
            } else {
                format!("/{path}")
            },
            ..RecordedRequest::default()
        }
    }

    /// Adds a query pair (kept sorted).
    pub fn with_query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self.query.sort();
        self
    }

    /// Adds a form field (kept sorted).
    pub fn with_form(mut self, name: &str, value: &str) -> Self {
        let form = self.form.get_or_insert_with(Vec::new);
        form.push((name.to_owned(), value.to_owned()));
        form.sort();
        self
    }

    /// Sets a JSON body.
    pub fn with_json(mut self, json: serde_json::Value) -> Self {
        self.json = Some(json);
        self
    }

    /// Adds a header (name lower-cased).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .insert(name.to_ascii_lowercase(), value.to_owned());
        self
    }

    /// The value of a form field, else of a query parameter (PUMAPI's `action`, Pax8's `page`).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .flatten()
            .chain(self.query.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A recorded response.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedResponse {
    /// HTTP status code.
    pub status: u16,
    /// Allow-listed headers (lower-case names).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body.
    #[serde(flatten)]
    pub body: StoredBody,
}

impl RecordedResponse {
    /// A response with a status, no headers and the given body bytes.
    pub fn new(status: u16, body: &[u8]) -> Self {
        RecordedResponse {
            status,
            headers: BTreeMap::new(),
            body: StoredBody::from_bytes(body),
        }
    }

    /// Adds a header (name lower-cased).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .insert(name.to_ascii_lowercase(), value.to_owned());
        self
    }
}

/// A body as stored in a cassette.
///
/// Exactly one of the fields is written: `body_lines` for UTF-8 text (one string per line,
/// line endings kept, so `\r\n` survives), `body_base64` for anything else. `body_json` is
/// accepted when reading, for hand-written cassettes whose exact bytes do not matter: it is
/// served as compact JSON.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredBody {
    /// UTF-8 body split after every `\n`, line endings included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_lines: Option<Vec<String>>,
    /// Non-UTF-8 body, standard base64 with padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// Hand-written JSON body (read only; the writer never produces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_json: Option<serde_json::Value>,
}

impl StoredBody {
    /// Stores `bytes`: as lines if UTF-8, else as base64. An empty body is no field at all.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return StoredBody::default();
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => StoredBody {
                body_lines: Some(split_lines(text)),
                ..StoredBody::default()
            },
            Err(_) => StoredBody {
                body_base64: Some(BASE64.encode(bytes)),
                ..StoredBody::default()
            },
        }
    }

    /// The exact bytes.
    pub fn to_bytes(&self) -> Result<Bytes, CassetteError> {
        if let Some(lines) = &self.body_lines {
            return Ok(Bytes::from(lines.concat()));
        }
        if let Some(b64) = &self.body_base64 {
            // ASCII white space is ignored, so hand-written cassettes may wrap long lines
            let clean: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            return BASE64
                .decode(clean)
                .map(Bytes::from)
                .map_err(|_| CassetteError::Invalid("body_base64 is not valid base64".into()));
        }
        if let Some(json) = &self.body_json {
            return serde_json::to_vec(json)
                .map(Bytes::from)
                .map_err(|e| CassetteError::Invalid(format!("body_json: {e}")));
        }
        Ok(Bytes::new())
    }

    /// The body as text, if it is stored as text (lines or JSON).
    pub fn text(&self) -> Option<String> {
        if let Some(lines) = &self.body_lines {
            return Some(lines.concat());
        }
        self.body_json
            .as_ref()
            .and_then(|j| serde_json::to_string(j).ok())
    }

    /// `true` if there is no body.
    pub fn is_empty(&self) -> bool {
        self.body_lines.as_ref().is_none_or(|l| l.is_empty())
            && self.body_base64.as_ref().is_none_or(|b| b.is_empty())
            && self.body_json.is_none()
    }
}

fn is_default_secret(name: &str) -> bool {
    super::scrub::DEFAULT_SECRET_FIELDS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
}

/// Pairs with the values of well-known secret fields hidden (a recording is scrubbed only
/// when it is written, so `Debug` must not show raw credentials).
struct RedactedPairs<'a, I>(&'a I);

impl<'a, I> fmt::Debug for RedactedPairs<'a, I>
where
    &'a I: IntoIterator<Item = (&'a String, &'a String)>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_map();
        for (k, v) in self.0 {
            if is_default_secret(k) {
                list.entry(k, &"[REDACTED]");
            } else {
                list.entry(k, v);
            }
        }
        list.finish()
    }
}

fn pairs_debug(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            let v = if is_default_secret(k) {
                "[REDACTED]".to_owned()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

fn redact_json_debug(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        J::Object(obj) => J::Object(
            obj.iter()
                .map(|(k, v)| {
                    let v = if is_default_secret(k) {
                        J::String("[REDACTED]".into())
                    } else {
                        redact_json_debug(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        J::Array(items) => J::Array(items.iter().map(redact_json_debug).collect()),
        other => other.clone(),
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &pairs_debug(&self.query))
            .field("form", &self.form.as_deref().map(pairs_debug))
            .field("json", &self.json.as_ref().map(redact_json_debug))
            .field("headers", &RedactedPairs(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

impl fmt::Debug for RecordedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedResponse")
            .field("status", &self.status)
            .field("headers", &RedactedPairs(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

/// Shows the storage kind and size only: bodies may hold secrets before scrubbing.
impl fmt::Debug for StoredBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.to_bytes().map(|b| b.len()).unwrap_or(0);
        let kind = if self.body_lines.is_some() {
            "body_lines"
        } else if self.body_base64.is_some() {
            "body_base64"
        } else if self.body_json.is_some() {
            "body_json"
        } else {
            "empty"
        };
        write!(f, "StoredBody({kind}, {len} bytes)")
    }
}

/// Splits text after every `\n`, keeping the line endings (`"a\r\nb"` → `["a\r\n", "b"]`).
pub fn split_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_owned).collect()
}

/// Errors of loading, checking and writing cassettes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CassetteError {
    /// A file could not be read or written.
    #[error("cannot access cassette {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a valid cassette.
    #[error("invalid cassette {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The cassette's content is inconsistent.
    #[error("invalid cassette: {0}")]
    Invalid(String),
    /// Writing was refused: the cassette still contains secret-looking values.
    #[error("refusing to write cassette {scenario}: {} secret-looking value(s) left: {}", findings.len(), summary(findings))]
    SecretsLeft {
        /// The scenario.
        scenario: String,
        /// Where (never what) the secrets are.
        findings: Vec<super::scrub::SecretFinding>,
    },
    /// No fixtures folder was found above the current crate.
    #[error("cannot find the fixtures folder (looked for `fixtures/` above {0})")]
    NoFixturesDir(PathBuf),
}

fn summary(findings: &[super::scrub::SecretFinding]) -> String {
    findings
        .iter()
        .take(5)
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl Cassette {
    /// An empty cassette for `vendor` / `scenario`.
    pub fn new(vendor: impl Into<String>, scenario: impl Into<String>) -> Self {
        Cassette {
            format_version: FORMAT_VERSION,
            vendor: vendor.into(),
            scenario: scenario.into(),
            recorded_at: None,
            recorded_against: None,
            interactions: Vec::new(),
        }
    }

    /// Parses a cassette from its text. `origin` names it in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<Self, CassetteError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let cassette: Cassette =
            serde_path_to_error::deserialize(de).map_err(|e| CassetteError::Parse {
                path: origin.to_owned(),
                message: format!("at {}: {}", e.path(), e.inner()),
            })?;
        if cassette.format_version != FORMAT_VERSION {
            return Err(CassetteError::Parse {
                path: origin.to_owned(),
                message: format!(
                    "format_version {} is not supported (this build reads {FORMAT_VERSION})",
                    cassette.format_version
                ),
            });
        }
        for (i, interaction) in cassette.interactions.iter().enumerate() {
            for (what, body) in [
                ("request", &interaction.request.body),
                ("response", &interaction.response.body),
            ] {
                body.to_bytes().map_err(|e| CassetteError::Parse {
                    path: origin.to_owned(),
                    message: format!("interaction {i} {what}: {e}"),
                })?;
            }
            if http::Method::from_bytes(interaction.request.method.as_bytes()).is_err() {
                return Err(CassetteError::Parse {
                    path: origin.to_owned(),
                    message: format!("interaction {i}: invalid method"),
                });
            }
            if http::StatusCode::from_u16(interaction.response.status).is_err() {
                return Err(CassetteError::Parse {
                    path: origin.to_owned(),
                    message: format!("interaction {i}: invalid status"),
                });
            }
        }
        Ok(cassette)
    }

    /// Loads a cassette file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CassetteError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| CassetteError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Loads `fixtures/<name>` (e.g. `"<vendor>/<scenario>.json"`) from the workspace's fixtures
    /// folder, found with [`fixtures_dir`].
    pub fn load_fixture(name: &str) -> Result<Self, CassetteError> {
        Self::load(fixtures_dir()?.join(name))
    }

    /// The canonical text: pretty JSON, two-space indent, fixed key order, a final newline.
    /// Writing the same cassette twice gives the same bytes.
    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut out = String::new();
        write_value(&mut out, &value, 0, false);
        out.push('\n');
        out
    }

    /// Writes the canonical text to `path` without any secret check (use
    /// [`Cassette::write_checked`] for recorded data). Creates parent folders; replaces the
    /// file atomically.
    pub fn write_unchecked(&self, path: impl AsRef<Path>) -> Result<(), CassetteError> {
        let path = path.as_ref();
        let io = |source| CassetteError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, self.to_json()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Writes the cassette after checking it with [`super::find_secrets`]: if any
    /// secret-looking value is left (a secret field that is not the placeholder, a bearer
    /// token, a long high-entropy string, or one of `known_secrets`), nothing is written and
    /// [`CassetteError::SecretsLeft`] says where.
    pub fn write_checked(
        &self,
        path: impl AsRef<Path>,
        config: &super::ScrubConfig,
        known_secrets: &[&str],
    ) -> Result<(), CassetteError> {
        let findings = super::find_secrets(self, config, known_secrets);
        if !findings.is_empty() {
            return Err(CassetteError::SecretsLeft {
                scenario: self.scenario.clone(),
                findings,
            });
        }
        self.write_unchecked(path)
    }

    /// `true` if both cassettes have the same interactions (metadata such as `recorded_at`
    /// ignored).
    pub fn same_interactions(&self, other: &Cassette) -> bool {
        self.interactions == other.interactions
    }
}

/// The workspace's `fixtures/` folder: the first `fixtures` directory found walking up from
/// `$CARGO_MANIFEST_DIR` (set by `cargo test` and `cargo run`) or else the current directory.
/// `$FIXTURES_DIR` overrides the search.
pub fn fixtures_dir() -> Result<PathBuf, CassetteError> {
    if let Some(dir) = std::env::var_os("FIXTURES_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let candidate = d.join("fixtures");
        if candidate.is_dir() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(CassetteError::NoFixturesDir(start))
}

/// Rank of well-known keys so the file reads top-down; other keys follow alphabetically.
fn key_rank(key: &str) -> usize {
    const ORDER: &[&str] = &[
        "format_version",
        "vendor",
        "scenario",
        "recorded_at",
        "recorded_against",
        "interactions",
        "request",
        "response",
        "method",
        "path",
        "status",
        "query",
        "form",
        "json",
        "headers",
        "body_lines",
        "body_base64",
        "body_json",
    ];
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

fn is_scalar(v: &serde_json::Value) -> bool {
    !matches!(
        v,
        serde_json::Value::Array(_) | serde_json::Value::Object(_)
    )
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_scalar(out: &mut String, v: &serde_json::Value) {
    out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned()));
}

/// Pretty printer with a fixed key order; short arrays of scalars (query and form pairs) stay
/// on one line, `body_lines` always has one line per element.
fn write_value(out: &mut String, v: &serde_json::Value, level: usize, one_per_line: bool) {
    match v {
        serde_json::Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| key_rank(a).cmp(&key_rank(b)).then_with(|| a.cmp(b)));
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                push_indent(out, level + 1);
                write_scalar(out, &serde_json::Value::String((*k).clone()));
                out.push_str(": ");
                if let Some(child) = map.get(*k) {
                    write_value(out, child, level + 1, k.as_str() == "body_lines");
                }
                if i + 1 < keys.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            push_indent(out, level);
            out.push('}');
        }
        serde_json::Value::Array(items) if !items.is_empty() => {
            let inline = !one_per_line && items.iter().all(is_scalar) && {
                let width: usize = items
                    .iter()
                    .map(|i| serde_json::to_string(i).map(|s| s.len()).unwrap_or(0) + 2)
                    .sum();
                width <= 100
            };
            if inline {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_scalar(out, item);
                }
                out.push(']');
            } else {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    push_indent(out, level + 1);
                    write_value(out, item, level + 1, false);
                    if i + 1 < items.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                push_indent(out, level);
                out.push(']');
            }
        }
        serde_json::Value::Object(_) => out.push_str("{}"),
        serde_json::Value::Array(_) => out.push_str("[]"),
        scalar => write_scalar(out, scalar),
    }
}

/// Formats a system time as RFC 3339 UTC with seconds (`2026-11-23T15:04:05Z`).
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_raw_credentials_and_bodies() {
        let req = RecordedRequest::new("POST", "/pumapi/")
            .with_form("apikey", "raw-key-1")
            .with_form("login", "jdoe")
            .with_header("Authorization", "Bearer raw-token-2")
            .with_json(serde_json::json!({"client_secret": "raw-secret-3", "a": 1}));
        let resp = RecordedResponse::new(200, b"access_token=raw-token-4")
            .with_header("set-cookie", "raw-cookie-5");
        let text = format!("{:?}", Interaction::new(req, resp));
        for raw in [
            "raw-key-1",
            "raw-token-2",
            "raw-secret-3",
            "raw-token-4",
            "raw-cookie-5",
        ] {
            assert!(!text.contains(raw), "{raw} in {text}");
        }
        assert!(text.contains("jdoe"));
        assert!(text.contains("24 bytes"));
    }

    #[test]
    fn split_lines_keeps_crlf_and_missing_final_newline() {
        assert_eq!(split_lines("a\r\nb\r\n"), vec!["a\r\n", "b\r\n"]);
        assert_eq!(split_lines("a\nb"), vec!["a\n", "b"]);
        assert!(split_lines("").is_empty());
    }

    #[test]
    fn rfc3339_formats_known_instants() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
