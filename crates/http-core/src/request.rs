//! Requests as plain data.
//!
//! A vendor crate describes every call as a [`Request`] value: method, path relative to the
//! client's base URL, query, body, extra headers, an operation name for logs and errors, and its
//! [`RetrySafety`]. Building a request never touches the network, so the shape of every call can
//! be unit-tested without a server.

use std::borrow::Cow;
use std::fmt;

use http::Method;
use secrecy::{ExposeSecret, SecretString};

/// Whether a request may be sent again after a failure.
///
/// The retry policy uses this to decide what is safe: see [`crate::retry`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetrySafety {
    /// Sending the request twice has the same effect as sending it once (reads, and PUMAPI's
    /// POST reads). Retried after any retryable failure.
    Idempotent,
    /// Sending the request twice may create two things (PPMS `createorder`, Pax8 `POST /orders`).
    /// Retried only when it provably never reached the server.
    NotIdempotent,
    /// Not idempotent by nature, but the server de-duplicates on the given idempotency key, so
    /// it is retried like an idempotent request.
    IdempotentWithKey(String),
}

impl RetrySafety {
    /// `true` if a retry after the request may have reached the server is safe.
    pub fn is_replay_safe(&self) -> bool {
        !matches!(self, RetrySafety::NotIdempotent)
    }
}

impl fmt::Debug for RetrySafety {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetrySafety::Idempotent => f.write_str("Idempotent"),
            RetrySafety::NotIdempotent => f.write_str("NotIdempotent"),
            RetrySafety::IdempotentWithKey(k) => {
                f.debug_tuple("IdempotentWithKey").field(k).finish()
            }
        }
    }
}

/// A value in a form body, query or header: plain text, or a secret that is redacted in every
/// `Debug` output and never logged.
#[derive(Clone)]
pub enum Value {
    /// An ordinary value.
    Plain(String),
    /// A secret (API key, password, token).
    Secret(SecretString),
}

impl Value {
    /// The value as it goes on the wire.
    pub fn expose(&self) -> &str {
        match self {
            Value::Plain(s) => s,
            Value::Secret(s) => s.expose_secret(),
        }
    }

    /// `true` for [`Value::Secret`].
    pub fn is_secret(&self) -> bool {
        matches!(self, Value::Secret(_))
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Plain(s) => fmt::Debug::fmt(s, f),
            Value::Secret(_) => f.write_str("[REDACTED]"),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.is_secret() == other.is_secret() && self.expose() == other.expose()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Plain(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Plain(s)
    }
}

impl From<SecretString> for Value {
    fn from(s: SecretString) -> Self {
        Value::Secret(s)
    }
}

/// The body of a request.
///
/// `Debug` redacts secret form values and, in JSON bodies, the value of every object key that
/// looks secret (`client_secret`, `password`, `apikey`, `token`, … — see [`is_secret_key`]).
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// `application/x-www-form-urlencoded` fields, in order.
    Form(Vec<(String, Value)>),
    /// A JSON document (`application/json`).
    Json(serde_json::Value),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Form(fields) => f.debug_tuple("Form").field(fields).finish(),
            Body::Json(value) => {
                let mut redacted = value.clone();
                redact_json(&mut redacted);
                f.debug_tuple("Json").field(&redacted).finish()
            }
        }
    }
}

/// `true` for JSON keys, form fields and headers whose value is treated as a secret in `Debug`
/// output: names containing `secret`, `password`, `passwd`, `pwd`, `token`, `apikey`,
/// `api_key` or `authorization` (case-insensitive).
pub fn is_secret_key(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "secret",
        "password",
        "passwd",
        "pwd",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "authorization",
    ]
    .iter()
    .any(|needle| n.contains(needle))
}

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k) {
                    *v = serde_json::Value::String("[REDACTED]".to_owned());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

impl Body {
    /// The value of a form field, if this is a form body that has it.
    pub fn form_field(&self, name: &str) -> Option<&Value> {
        match self {
            Body::Form(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// One call to a vendor API, as data.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// Path relative to the client's base URL (no leading slash needed; a leading slash is
    /// ignored so that the base URL's own path is kept).
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, Value)>,
    /// Body.
    pub body: Body,
    /// Extra headers (name, value).
    pub headers: Vec<(String, Value)>,
    /// Name of the logical operation, for logs and errors (`getuser`, `companies.list`).
    pub operation: Cow<'static, str>,
    /// Whether the request may be repeated.
    pub retry_safety: RetrySafety,
}

impl Request {
    /// A new idempotent request with no query, body or headers.
    pub fn new(
        method: Method,
        path: impl Into<String>,
        operation: impl Into<Cow<'static, str>>,
    ) -> Self {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
            headers: Vec::new(),
            operation: operation.into(),
            retry_safety: RetrySafety::Idempotent,
        }
    }

    /// A `GET` request.
    pub fn get(path: impl Into<String>, operation: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::GET, path, operation)
    }

    /// A `POST` request (idempotent by default: call [`Request::not_idempotent`] for creates).
    pub fn post(path: impl Into<String>, operation: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::POST, path, operation)
    }

    /// A `PUT` request.
    pub fn put(path: impl Into<String>, operation: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::PUT, path, operation)
    }

    /// A `PATCH` request.
    pub fn patch(path: impl Into<String>, operation: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::PATCH, path, operation)
    }

    /// A `DELETE` request.
    pub fn delete(path: impl Into<String>, operation: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::DELETE, path, operation)
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt<V: Into<Value>>(self, name: impl Into<String>, value: Option<V>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Adds a form field (turning the body into a form body if it was empty).
    pub fn form(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.push_form(name.into(), value.into());
        self
    }

    /// Adds a form field when `value` is `Some`.
    pub fn form_opt<V: Into<Value>>(self, name: impl Into<String>, value: Option<V>) -> Self {
        match value {
            Some(v) => self.form(name, v),
            None => self,
        }
    }

    /// Adds a form field in place (used by auth providers that put a key into the form body).
    pub fn push_form(&mut self, name: String, value: Value) {
        match &mut self.body {
            Body::Form(fields) => fields.push((name, value)),
            other => *other = Body::Form(vec![(name, value)]),
        }
    }

    /// Sets a JSON body.
    pub fn json(mut self, value: serde_json::Value) -> Self {
        self.body = Body::Json(value);
        self
    }

    /// Serializes `value` as the JSON body.
    pub fn json_body<T: serde::Serialize>(self, value: &T) -> Result<Self, serde_json::Error> {
        Ok(self.json(serde_json::to_value(value)?))
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Marks the request as not idempotent (never retried once it may have reached the server).
    pub fn not_idempotent(mut self) -> Self {
        self.retry_safety = RetrySafety::NotIdempotent;
        self
    }

    /// Sets the retry safety.
    pub fn retry_safety(mut self, safety: RetrySafety) -> Self {
        self.retry_safety = safety;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_body_debug_redacts_secret_looking_keys() {
        let req = Request::post("token", "token").json(serde_json::json!({
            "client_id": "abc",
            "client_secret": "s3cr3t-value",
            "nested": [{"password": "pw-value"}],
            "audience": "api://default"
        }));
        let dbg = format!("{req:?}");
        assert!(
            !dbg.contains("s3cr3t-value") && !dbg.contains("pw-value"),
            "{dbg}"
        );
        assert!(dbg.contains("abc") && dbg.contains("api://default"));
    }
}
