//! Turning wire requests into recorded ones, and matching requests against recordings.
//!
//! Two requests match when they have the same method, the same path (relative to the base
//! URL), the same sorted query pairs, the same sorted form fields and the same JSON body, with
//! every secret field (per [`ScrubConfig`]) left out. Headers are not compared.

use std::collections::BTreeMap;

use http::header::CONTENT_TYPE;
use url::Url;

use super::format::{RecordedRequest, StoredBody};
use super::scrub::ScrubConfig;
use crate::transport::HttpRequest;

/// Path of `url` relative to `base` (both normalised to end in `/`), as `/rest`. A URL on
/// another origin or outside the base path keeps its absolute path.
pub fn relative_path(url: &Url, base: &Url) -> String {
    let same_origin = url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default();
    if same_origin {
        strip_base_path(url.path(), base.path())
    } else {
        url.path().to_owned()
    }
}

/// `path` without the `base_path` prefix (`/site/` + `/site/pumapi/` → `/pumapi/`).
pub fn strip_base_path(path: &str, base_path: &str) -> String {
    let base = base_path.trim_end_matches('/');
    match path.strip_prefix(base) {
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        Some("") => "/".to_owned(),
        _ => path.to_owned(),
    }
}

/// The recorded form of a wire request: path relative to `base`, sorted query, form or JSON
/// body parsed, headers filtered by the config's allow-list (values not scrubbed yet).
pub fn record_request(request: &HttpRequest, base: &Url, config: &ScrubConfig) -> RecordedRequest {
    let mut query: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    query.sort();
    let content_type = request
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut out = RecordedRequest {
        method: request.method.as_str().to_owned(),
        path: relative_path(&request.url, base),
        query,
        ..RecordedRequest::default()
    };
    let body = &request.body;
    if !body.is_empty() {
        if content_type.starts_with("application/x-www-form-urlencoded") {
            if let Ok(mut form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
                form.sort();
                out.form = Some(form);
            }
        } else if content_type.contains("json") {
            out.json = serde_json::from_slice(body).ok();
        }
        if out.form.is_none() && out.json.is_none() {
            out.body = StoredBody::from_bytes(body);
        }
    }
    let mut headers = BTreeMap::new();
    for (name, value) in &request.headers {
        if config.keeps_request_header(name.as_str()) {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|old: &mut String| {
                    old.push_str(", ");
                    old.push_str(&v);
                })
                .or_insert(v);
        }
    }
    out.headers = headers;
    out
}

/// A request reduced to what matching compares (public so that the sandbox matches, ranks and
/// explains misses with the same rule as [`super::ReplayTransport`]).
#[derive(Clone, Debug, PartialEq)]
pub struct MatchKey {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    form: Option<Vec<(String, String)>>,
    json: Option<serde_json::Value>,
    body: Vec<u8>,
}

fn drop_secret_pairs(pairs: &[(String, String)], config: &ScrubConfig) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !config.is_secret_field(k))
        .cloned()
        .collect();
    out.sort();
    out
}

fn drop_secret_keys(value: &serde_json::Value, config: &ScrubConfig) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        J::Object(obj) => {
            // Sorted insertion: equal regardless of serde_json's `preserve_order`.
            let mut keys: Vec<&String> = obj.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                if !config.is_secret_field(k)
                    && let Some(v) = obj.get(k)
                {
                    out.insert(k.clone(), drop_secret_keys(v, config));
                }
            }
            J::Object(out)
        }
        J::Array(items) => J::Array(items.iter().map(|i| drop_secret_keys(i, config)).collect()),
        other => other.clone(),
    }
}

impl MatchKey {
    /// The key of a recorded request, with `config`'s secret fields left out.
    pub fn new(req: &RecordedRequest, config: &ScrubConfig) -> Self {
        MatchKey {
            method: req.method.to_ascii_uppercase(),
            path: req.path.clone(),
            query: drop_secret_pairs(&req.query, config),
            form: req.form.as_ref().map(|f| drop_secret_pairs(f, config)),
            json: req.json.as_ref().map(|j| drop_secret_keys(j, config)),
            body: req.body.to_bytes().map(|b| b.to_vec()).unwrap_or_default(),
        }
    }

    /// How different two requests are (0 = match); method and path weigh most.
    pub fn distance(&self, other: &MatchKey) -> u32 {
        let mut d = 0;
        if self.method != other.method {
            d += 1000;
        }
        if self.path != other.path {
            d += 500;
        }
        d += pair_distance(&self.query, &other.query);
        match (&self.form, &other.form) {
            (Some(a), Some(b)) => d += pair_distance(a, b),
            (None, None) => {}
            _ => d += 50,
        }
        if self.json != other.json {
            d += 20;
        }
        if self.body != other.body {
            d += 20;
        }
        d
    }

    /// What differs, for the miss message (`method`, `path`, `query page`, `form login`, ...).
    pub fn differences(&self, other: &MatchKey) -> Vec<String> {
        let mut out = Vec::new();
        if self.method != other.method {
            out.push("method".to_owned());
        }
        if self.path != other.path {
            out.push("path".to_owned());
        }
        let names = |a: &[(String, String)], b: &[(String, String)]| -> Vec<String> {
            let mut n: Vec<String> = a
                .iter()
                .filter(|p| !b.contains(p))
                .chain(b.iter().filter(|p| !a.contains(p)))
                .map(|(k, _)| k.clone())
                .collect();
            n.dedup();
            n
        };
        for k in names(&self.query, &other.query) {
            out.push(format!("query {k}"));
        }
        match (&self.form, &other.form) {
            (Some(a), Some(b)) => {
                for k in names(a, b) {
                    out.push(format!("form {k}"));
                }
            }
            (None, None) => {}
            _ => out.push("form".to_owned()),
        }
        match (&self.json, &other.json) {
            (Some(serde_json::Value::Object(a)), Some(serde_json::Value::Object(b))) => {
                let mut keys: Vec<&String> = a
                    .keys()
                    .chain(b.keys())
                    .filter(|k| a.get(*k) != b.get(*k))
                    .collect();
                keys.sort();
                keys.dedup();
                out.extend(keys.into_iter().map(|k| format!("json {k}")));
            }
            (a, b) if a != b => out.push("json body".to_owned()),
            _ => {}
        }
        if self.body != other.body {
            out.push("body".to_owned());
        }
        out
    }

    /// A short description without secrets: `POST /pumapi/ form{action=getuser, login=jdoe}`.
    pub fn describe(&self) -> String {
        let pairs = |p: &[(String, String)]| {
            p.iter()
                .map(|(k, v)| format!("{k}={}", shorten(v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut s = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            s.push_str(&format!(" query{{{}}}", pairs(&self.query)));
        }
        if let Some(form) = &self.form {
            s.push_str(&format!(" form{{{}}}", pairs(form)));
        }
        if let Some(json) = &self.json {
            s.push_str(&format!(" json {}", shorten(&json.to_string())));
        }
        if !self.body.is_empty() {
            s.push_str(&format!(" body of {} bytes", self.body.len()));
        }
        s
    }
}

fn shorten(v: &str) -> String {
    if v.chars().count() > 60 {
        let mut s: String = v.chars().take(57).collect();
        s.push_str("...");
        s
    } else {
        v.to_owned()
    }
}

fn pair_distance(a: &[(String, String)], b: &[(String, String)]) -> u32 {
    let missing = a.iter().filter(|p| !b.contains(p)).count();
    let extra = b.iter().filter(|p| !a.contains(p)).count();
    // A differing value of the same key counts less than a missing key.
    let same_keys = a
        .iter()
        .filter(|(k, _)| b.iter().any(|(k2, _)| k2 == k))
        .count();
    ((missing + extra) * 10) as u32 + (a.len().abs_diff(same_keys) * 5) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_strips_the_base_path_on_the_same_origin_only() {
        let base = Url::parse("https://ppms.eu/site/").unwrap_or_else(|_| unreachable!());
        let u = |s: &str| Url::parse(s).unwrap_or_else(|_| unreachable!());
        assert_eq!(
            relative_path(&u("https://ppms.eu/site/pumapi/"), &base),
            "/pumapi/"
        );
        assert_eq!(relative_path(&u("https://ppms.eu/site/"), &base), "/");
        assert_eq!(
            relative_path(&u("https://other.eu/site/x"), &base),
            "/site/x"
        );
        assert_eq!(
            relative_path(&u("https://ppms.eu/sites/x"), &base),
            "/sites/x"
        );
    }
}
