//! The success envelope `{"data": [...]}` of the data endpoints (CS-Q06, CS-Q07).

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// One decoded page of a list endpoint.
#[derive(Debug)]
pub(crate) struct Page<T> {
    /// The `data` list.
    pub(crate) data: Vec<T>,
    /// A non-empty `next` URL, if the server ever paginates (CS-Q07).
    pub(crate) next: Option<String>,
}

/// Why a 200 body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyProblem {
    /// The body is not JSON at all (an HTML maintenance or proxy page, CS-Q08).
    NotJson,
    /// JSON of the wrong shape: where and what.
    Shape {
        path: Option<String>,
        message: String,
    },
}

#[derive(Deserialize)]
struct Raw<T> {
    #[serde(default = "none")]
    data: Option<Vec<T>>,
    #[serde(default)]
    next: Option<serde_json::Value>,
}

fn none<T>() -> Option<T> {
    None
}

/// Decodes the envelope. Extra top-level keys (`count`, `status`, ...) are ignored; a missing
/// or `null` `data` is a shape error that lists the top-level keys seen, so a change of
/// envelope (say to `results`) is visible.
pub(crate) fn decode_page<T: DeserializeOwned>(body: &[u8]) -> Result<Page<T>, BodyProblem> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, Raw<T>>(de) {
        Ok(Raw {
            data: Some(data),
            next,
        }) => Ok(Page {
            data,
            next: next.and_then(|n| match n {
                serde_json::Value::String(s) if !s.trim().is_empty() => Some(s),
                _ => None,
            }),
        }),
        Ok(Raw { data: None, .. }) => Err(missing_data(body)),
        Err(e) => {
            if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
                return Err(BodyProblem::NotJson);
            }
            let path = e.path().to_string();
            Err(BodyProblem::Shape {
                path: (path != ".").then_some(path),
                message: e.into_inner().to_string(),
            })
        }
    }
}

fn missing_data(body: &[u8]) -> BodyProblem {
    let keys = match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body) {
        Ok(map) => map.keys().cloned().collect::<Vec<_>>().join(", "),
        Err(_) => String::new(),
    };
    BodyProblem::Shape {
        path: Some("data".into()),
        message: format!("missing or null `data` list; top-level keys seen: [{keys}]"),
    }
}

/// Decodes a flat object body (legacy auth endpoints).
#[cfg(feature = "legacy-user-auth")]
pub(crate) fn decode_flat<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyProblem> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
            return BodyProblem::NotJson;
        }
        let path = e.path().to_string();
        BodyProblem::Shape {
            path: (path != ".").then_some(path),
            message: e.into_inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::Artikel;

    #[test]
    fn results_envelope_names_the_keys_seen() {
        let err = decode_page::<Artikel>(br#"{"results": [], "count": 0}"#).unwrap_err();
        let BodyProblem::Shape { message, .. } = err else {
            panic!("expected a shape error")
        };
        assert!(message.contains("results"), "{message}");
    }

    #[test]
    fn html_is_not_json() {
        let err = decode_page::<Artikel>(b"<html><body>Maintenance</body></html>").unwrap_err();
        assert_eq!(err, BodyProblem::NotJson);
    }

    #[test]
    fn bad_decimal_names_its_path() {
        let err =
            decode_page::<Artikel>(br#"{"data": [{}, {"verkoopprijs_excl": "abc"}]}"#).unwrap_err();
        let BodyProblem::Shape { path, .. } = err else {
            panic!("expected a shape error")
        };
        assert_eq!(path.as_deref(), Some("data[1].verkoopprijs_excl"));
    }

    #[test]
    fn next_is_kept_only_when_a_non_empty_string() {
        let p =
            decode_page::<Artikel>(br#"{"data": [], "next": "http://x/api/v1/artikels/?page=2"}"#)
                .unwrap();
        assert!(p.next.is_some());
        let p = decode_page::<Artikel>(br#"{"data": [], "next": null}"#).unwrap();
        assert!(p.next.is_none());
        let p = decode_page::<Artikel>(br#"{"data": [], "next": ""}"#).unwrap();
        assert!(p.next.is_none());
    }
}
