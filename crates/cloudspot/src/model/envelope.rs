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
    use crate::model::Article;

    #[test]
    fn results_envelope_names_the_keys_seen() {
        let err = decode_page::<Article>(br#"{"results": [], "count": 0}"#).unwrap_err();
        let BodyProblem::Shape { message, .. } = err else {
            panic!("expected a shape error")
        };
        assert!(message.contains("results"), "{message}");
    }

    #[test]
    fn html_is_not_json() {
        let err = decode_page::<Article>(b"<html><body>Maintenance</body></html>").unwrap_err();
        assert_eq!(err, BodyProblem::NotJson);
    }

    #[test]
    fn bad_decimal_names_its_path() {
        let err =
            decode_page::<Article>(br#"{"data": [{}, {"verkoopprijs_excl": "abc"}]}"#).unwrap_err();
        let BodyProblem::Shape { path, .. } = err else {
            panic!("expected a shape error")
        };
        assert_eq!(path.as_deref(), Some("data[1].verkoopprijs_excl"));
    }

    #[test]
    fn next_is_kept_only_when_a_non_empty_string() {
        let p =
            decode_page::<Article>(br#"{"data": [], "next": "http://x/api/v1/artikels/?page=2"}"#)
                .unwrap();
        assert!(p.next.is_some());
        let p = decode_page::<Article>(br#"{"data": [], "next": null}"#).unwrap();
        assert!(p.next.is_none());
        let p = decode_page::<Article>(br#"{"data": [], "next": ""}"#).unwrap();
        assert!(p.next.is_none());
    }

    mod properties {
        use super::*;
        use crate::model::{Customer, Date};
        use proptest::prelude::*;

        const KEYS: &[&str] = &[
            "id",
            "naam",
            "SKU",
            "BTW",
            "EAN",
            "op_voorraad",
            "verkoopprijs_excl",
            "status",
            "voorraad_bijhouden",
            "fotos",
            "prijscategorieen",
            "categorieen",
            "children",
            "korting",
            "klantennummer",
            "geboortedatum",
            "is_bedrijf",
            "aanspreektitel",
            "url",
            "is_hoofdfoto",
            "label_id",
            "type",
            "taal",
            "data",
            "next",
        ];

        fn json_value() -> impl Strategy<Value = serde_json::Value> {
            let leaf = prop_oneof![
                Just(serde_json::Value::Null),
                any::<bool>().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)),
                ".{0,12}".prop_map(serde_json::Value::from),
                "[0-9]{1,4}[-/][0-9]{1,2}[-/][0-9]{1,4}".prop_map(serde_json::Value::from),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                    prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(
                        |kv| serde_json::Value::Object(
                            kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                        )
                    ),
                ]
            })
        }

        proptest! {
            #[test]
            fn any_bytes_give_ok_or_a_typed_problem(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
                let _ = decode_page::<Article>(&bytes);
                let _ = decode_page::<Customer>(&bytes);
            }

            #[test]
            fn any_json_shape_gives_ok_or_a_typed_problem(v in json_value()) {
                let body = serde_json::to_vec(&serde_json::json!({"data": [v.clone()]})).unwrap_or_default();
                let _ = decode_page::<Article>(&body);
                let _ = decode_page::<Customer>(&body);
                let _ = decode_page::<crate::model::Category>(&serde_json::to_vec(&v).unwrap_or_default());
            }

            #[test]
            fn parsed_dates_round_trip_through_their_iso_text(s in ".{0,24}") {
                if let Some(Date::Parsed(d)) = Date::parse(&s) {
                    let again = Date::parse(&Date::Parsed(d).to_string());
                    prop_assert_eq!(again, Some(Date::Parsed(d)));
                }
            }
        }
    }
}
