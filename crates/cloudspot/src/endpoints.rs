//! Endpoint paths and request shapes, as plain data (no network).
//!
//! Every path is a literal constant ending in `/` (CS-Q10, CS-Q11): nothing is derived from a
//! type or field name, because the categories path is the English `categories/` while the
//! model key is the Dutch `categorieen`. A query string comes after that slash
//! (`artikels/?id=125`, CS-Q06).

use billing_http_core::Request;

/// E1/E2: articles (products), Dutch path (note `artikels`, not `artikelen`, CS-Q01).
pub const ARTICLES: &str = "artikels/";
/// E3: customers, Dutch path.
pub const CUSTOMERS: &str = "klanten/";
/// E4/E5: categories, **English** path (CS-Q11).
pub const CATEGORIES: &str = "categories/";
/// E6: legacy sign-in for external apps (POST).
pub const SIGNIN: &str = "auth/signin-external-app/";
/// E7: legacy permissions of the signed-in user.
pub const PERMISSIONS: &str = "auth/get-permissions/";
/// E8: legacy profile of the signed-in user.
pub const USER: &str = "auth/get-user/";

/// Header carrying a company token or a session token, raw, without any scheme (CS-Q14).
pub const TOKEN_HEADER: &str = "X-ERP-TOKEN";
/// Header carrying the lower-cased external-app slug on legacy user requests (CS-Q09).
pub const REQUESTOR_HEADER: &str = "X-ERP-REQUESTOR";

/// Resource name of a path, as used in errors (`artikels`, `klanten`, `categories`, `auth`).
pub(crate) fn resource_of(path: &str) -> &'static str {
    match path.split('/').next().unwrap_or_default() {
        "artikels" => "artikels",
        "klanten" => "klanten",
        "categories" => "categories",
        "auth" => "auth",
        _ => "unknown",
    }
}

/// A GET with `Content-Type: application/json`, which the wrapper sends on every request and
/// so is the only wire shape the server has seen (CS-Q23).
pub(crate) fn get(path: &'static str, operation: &'static str) -> Request {
    Request::get(path, operation).header("content-type", "application/json")
}

/// E1: `GET artikels/`.
pub fn list_articles() -> Request {
    get(ARTICLES, "articles.list")
}

/// E2: `GET artikels/?id={id}`: a filter on the list endpoint, never `artikels/{id}/` (CS-Q06).
pub fn get_article(id: i64) -> Request {
    get(ARTICLES, "articles.get").query("id", id.to_string())
}

/// E3: `GET klanten/`.
pub fn list_customers() -> Request {
    get(CUSTOMERS, "customers.list")
}

/// E4: `GET categories/`.
pub fn list_categories() -> Request {
    get(CATEGORIES, "categories.list")
}

/// E5: `GET categories/?id={id}` (CS-Q06).
pub fn get_category(id: i64) -> Request {
    get(CATEGORIES, "categories.get").query("id", id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use billing_http_core::{Body, Method, RetrySafety};

    fn query(r: &Request) -> Vec<(String, String)> {
        r.query
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().to_owned()))
            .collect()
    }

    #[test]
    fn data_requests_are_idempotent_gets_with_json_content_type() {
        let cases = [
            (list_articles(), "artikels/", "articles.list", vec![]),
            (
                get_article(125),
                "artikels/",
                "articles.get",
                vec![("id".to_owned(), "125".to_owned())],
            ),
            (list_customers(), "klanten/", "customers.list", vec![]),
            (list_categories(), "categories/", "categories.list", vec![]),
            (
                get_category(7),
                "categories/",
                "categories.get",
                vec![("id".to_owned(), "7".to_owned())],
            ),
        ];
        for (req, path, op, q) in cases {
            assert_eq!(req.method, Method::GET, "{op}");
            assert_eq!(req.path, path, "{op}");
            assert!(req.path.ends_with('/'), "{op}");
            assert_eq!(req.operation, op);
            assert_eq!(query(&req), q, "{op}");
            assert_eq!(req.body, Body::Empty);
            assert_eq!(req.retry_safety, RetrySafety::Idempotent);
            let ct: Vec<&str> = req
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.expose())
                .collect();
            assert_eq!(ct, vec!["application/json"], "{op}");
        }
    }

    #[test]
    fn resource_names() {
        assert_eq!(resource_of(ARTICLES), "artikels");
        assert_eq!(resource_of(CATEGORIES), "categories");
        assert_eq!(resource_of(SIGNIN), "auth");
        assert_eq!(resource_of("other/"), "unknown");
    }
}
