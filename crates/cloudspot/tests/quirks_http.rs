//! Quirk tests that need a server (wiremock over real HTTP): CS-Q03, Q05, Q06, Q07, Q08, Q10,
//! Q11, Q12, Q14, Q15, Q16, Q19, Q20, Q23.
#![allow(clippy::unwrap_used)]

mod common;

use cloudspot::{ApiStatus, ArticleId, CategoryId, Error};
use common::*;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn cs_q06_get_by_id() -> anyhow::Result<()> {
    for (resource, with_id) in [("artikels/", true), ("categories/", false)] {
        let cases = [
            (
                json!({"data": [{"id": 125, "naam": "match"}]}),
                Some("match"),
            ),
            (json!({"data": []}), None),
            (
                json!({"data": [{"id": 7, "naam": "other"}, {"id": 125, "naam": "second"}]}),
                Some("second"),
            ),
            (json!({"data": [{"id": 7, "naam": "other"}]}), None),
            (
                json!({"data": [{"naam": "lone without id"}]}),
                Some("lone without id"),
            ),
        ];
        for (reply, want) in cases {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path(api(resource)))
                .and(query_param("id", "125"))
                .respond_with(json(reply.clone()))
                .expect(1)
                .mount(&server)
                .await;
            catch_all(&server).await;
            let client = client(&server);
            let got = if with_id {
                client.articles().get(ArticleId(125)).await.map(|a| a.name)
            } else {
                client
                    .categories()
                    .get(CategoryId(125))
                    .await
                    .map(|c| c.name)
            };
            match want {
                Some(name) => assert_eq!(got?.as_deref(), Some(name), "{resource} {reply}"),
                None => {
                    let err = got.unwrap_err();
                    assert!(
                        matches!(err, Error::NotFound { id: 125, .. }),
                        "{resource} {reply}: {err:?}"
                    );
                    assert!(err.is_not_found());
                    assert_eq!(err.resource(), Some(resource.trim_end_matches('/')));
                }
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn cs_q07_pagination_single_request_ignores_count() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(json(
            json!({"data": [{"id": 1}, {"id": 2}], "count": 2, "next": null}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    assert_eq!(client(&server).articles().list().await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn cs_q07_pagination_follows_same_origin_next() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    let next = format!("{}{}?page=2", server.uri(), api("artikels/"));
    Mock::given(path(api("artikels/")))
        .and(query_param("page", "2"))
        .and(header("x-erp-token", TOKEN))
        .respond_with(json(json!({"data": [{"id": 3}], "next": null})))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(api("artikels/")))
        .respond_with(json(json!({"data": [{"id": 1}, {"id": 2}], "next": next})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let ids: Vec<i64> = client(&server)
        .articles()
        .list()
        .await?
        .into_iter()
        .filter_map(|a| a.id.map(ArticleId::get))
        .collect();
    assert_eq!(ids, vec![1, 2, 3]);
    Ok(())
}

#[tokio::test]
async fn cs_q07_pagination_refuses_other_host_and_repeats() -> anyhow::Result<()> {
    let other = MockServer::start().await;
    catch_all(&other).await;
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(json(json!({"data": [{"id": 1}], "next": format!("{}{}?page=2", other.uri(), api("artikels/"))})))
        .mount(&server)
        .await;
    Mock::given(path(api("klanten/")))
        .respond_with(json(json!({"data": [{"klantennummer": 1}], "next": format!("{}{}", server.uri(), api("klanten/"))})))
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.articles().list().await.unwrap_err();
    assert!(matches!(err, Error::Pagination { .. }), "{err:?}");
    assert!(
        other
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "the other host received a request"
    );
    let err = client.customers().list().await.unwrap_err();
    assert!(
        matches!(&err, Error::Pagination { message, .. } if message.contains("repeats")),
        "{err:?}"
    );
    Ok(())
}

/// Issue 16 item 11: a `next` link to another resource under the same base (`klanten/` from
/// `artikels/`) is refused, so customers are never decoded as articles (and the other resource
/// is never called).
#[tokio::test]
async fn cs_q07_next_link_to_another_resource_is_not_followed() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    for next in [
        format!("{}{}", server.uri(), api("klanten/")),
        api("klanten/?page=2"),
        format!("{}{}", server.uri(), api("artikels/../klanten/")),
        format!("{}{}", server.uri(), api("artikels/2/")),
    ] {
        server.reset().await;
        Mock::given(path(api("artikels/")))
            .respond_with(json(json!({"data": [{"id": 1}], "next": next})))
            .expect(1)
            .mount(&server)
            .await;
        catch_all(&server).await;
        let err = client(&server).articles().list().await.unwrap_err();
        assert!(
            matches!(&err, Error::Pagination { message, .. } if message.contains("resource")),
            "{next}: {err:?}"
        );
        server.verify().await;
    }
    Ok(())
}

#[tokio::test]
async fn cs_q07_pagination_page_cap_is_an_error_not_a_truncation() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    for page in 1..=3 {
        let next = format!("{}{}?page={}", server.uri(), api("artikels/"), page + 1);
        Mock::given(path(api("artikels/")))
            .and(query_param("page", page.to_string()))
            .respond_with(json(json!({"data": [{"id": page}], "next": next})))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(path(api("artikels/")))
        .respond_with(json(json!({"data": [{"id": 0}], "next": format!("{}{}?page=1", server.uri(), api("artikels/"))})))
        .mount(&server)
        .await;
    let client = cloudspot::Client::builder(TOKEN)
        .base_url(format!("{}{BASE}", server.uri()))
        .max_pages(3)
        .build()?;
    let err = client.articles().list().await.unwrap_err();
    assert!(
        matches!(&err, Error::Pagination { message, .. } if message.contains("cap")),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn cs_q07_pagination_results_envelope_is_decode_naming_the_key() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(json(json!({"results": [{"id": 1}], "count": 1})))
        .mount(&server)
        .await;
    let err = client(&server).articles().list().await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.contains("results")),
        "{err:?}"
    );
    assert!(err.is_decode());
    Ok(())
}

#[tokio::test]
async fn cs_q08_non_json() -> anyhow::Result<()> {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(ResponseTemplate::new(502).set_body_raw(html, "text/html"))
        .mount(&server)
        .await;
    Mock::given(path(api("klanten/")))
        .respond_with(ResponseTemplate::new(401).set_body_raw("<html>login</html>", "text/html"))
        .mount(&server)
        .await;
    Mock::given(path(api("categories/")))
        .and(query_param("id", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html>Onderhoud</html>", "text/html"),
        )
        .mount(&server)
        .await;
    Mock::given(path(api("categories/")))
        .and(query_param("id", "2"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path(api("categories/")))
        .and(query_param("id", "3"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"message": "Ongeldig id."})))
        .mount(&server)
        .await;
    let client = client(&server);

    let err = client.articles().list().await.unwrap_err();
    match &err {
        Error::Api(a) => {
            assert_eq!((a.status, a.message.as_deref()), (502, None));
            assert!(
                a.body
                    .as_deref()
                    .unwrap_or_default()
                    .contains("Bad Gateway")
            );
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert!(err.is_retryable());

    let err = client.customers().list().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");

    let err = client.categories().get(1).await.unwrap_err();
    match &err {
        Error::UnexpectedBody {
            status,
            content_type,
            snippet,
            ..
        } => {
            assert_eq!(*status, 200);
            assert_eq!(content_type.as_deref(), Some("text/html"));
            assert!(snippet.contains("Onderhoud"));
        }
        other => panic!("expected UnexpectedBody, got {other:?}"),
    }

    let err = client.categories().get(2).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(a) if a.status == 500 && a.message.is_none()),
        "{err:?}"
    );

    let err = client.categories().get(3).await.unwrap_err();
    assert!(matches!(&err, Error::Api(a) if a.status == 400), "{err:?}");
    assert_eq!(err.server_message(), Some("Ongeldig id."));
    assert!(!err.is_retryable());
    Ok(())
}

#[tokio::test]
async fn cs_q08_retries_502_then_succeeds() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(ResponseTemplate::new(502).set_body_raw("<html>proxy</html>", "text/html"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(api("artikels/")))
        .respond_with(json(json!({"data": [{"id": 1}]})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client(&server).articles().list().await?.len(), 1);
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        3
    );
    Ok(())
}

#[test]
fn cs_q10_trailing_slash_url_builder() -> anyhow::Result<()> {
    let cases = [
        (
            "https://erp.example.org/api/v1",
            cloudspot::endpoints::list_articles(),
            "https://erp.example.org/api/v1/artikels/",
        ),
        (
            "https://erp.example.org/api/v1/",
            cloudspot::endpoints::list_customers(),
            "https://erp.example.org/api/v1/klanten/",
        ),
        (
            "https://erp.example.org/api/v1//",
            cloudspot::endpoints::list_categories(),
            "https://erp.example.org/api/v1/categories/",
        ),
        (
            "https://erp.example.org/api/v1",
            cloudspot::endpoints::get_article(125),
            "https://erp.example.org/api/v1/artikels/?id=125",
        ),
        (
            "https://erp.example.org/api/v1/",
            cloudspot::endpoints::get_category(7),
            "https://erp.example.org/api/v1/categories/?id=7",
        ),
    ];
    for (base, request, want) in cases {
        let client = cloudspot::Client::builder(TOKEN).base_url(base).build()?;
        let url = client.http().to_http(&request)?.url;
        assert_eq!(url.as_str(), want, "base {base}");
        assert!(!url.path().contains("//"));
    }
    Ok(())
}

#[tokio::test]
async fn cs_q10_trailing_slash_exact_paths_with_and_without_base_slash() -> anyhow::Result<()> {
    for suffix in ["", "/"] {
        let server = MockServer::start().await;
        for p in ["artikels/", "klanten/", "categories/"] {
            Mock::given(method("GET"))
                .and(path(api(p)))
                .respond_with(json(json!({"data": []})))
                .expect(1)
                .mount(&server)
                .await;
        }
        catch_all(&server).await;
        let client = client_at(&format!("{}{BASE}{suffix}", server.uri()));
        client.articles().list().await?;
        client.customers().list().await?;
        client.categories().list().await?;
    }
    Ok(())
}

#[tokio::test]
async fn cs_q11_category_path() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("categories/")))
        .respond_with(json(
            json!({"data": [{"id": 7, "naam": "Olie", "children": []}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let cats = client(&server).categories().list().await?;
    assert_eq!(cats.len(), 1);
    assert_eq!(cats[0].name.as_deref(), Some("Olie"));
    Ok(())
}

#[tokio::test]
async fn cs_q12_rights_per_resource() -> anyhow::Result<()> {
    for refused in [401, 403] {
        let server = MockServer::start().await;
        Mock::given(path(api("artikels/")))
            .respond_with(json(json!({"data": [{"id": 1}]})))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(path(api("klanten/")))
            .respond_with(ResponseTemplate::new(refused).set_body_json(
                json!({"message": "Geen toegang tot deze resource.", "status": "NOT_AUTHORIZED"}),
            ))
            .expect(1) // never retried
            .mount(&server)
            .await;
        let client = client(&server);
        assert_eq!(client.articles().list().await?.len(), 1);
        let err = client.customers().list().await.unwrap_err();
        assert!(matches!(err, Error::Unauthorized(_)), "{refused}: {err:?}");
        assert!(err.is_auth());
        assert_eq!(err.resource(), Some("klanten"));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(refused));
        assert_eq!(
            err.server_message(),
            Some("Geen toegang tot deze resource.")
        );
        assert!(err.to_string().contains("klanten"), "{err}");
        assert_eq!(Error::required_right("klanten"), Some("see all clients"));
        // No client-wide "bad token" state: articles still work.
        assert_eq!(client.articles().list().await?.len(), 1);
    }
    Ok(())
}

#[tokio::test]
async fn cs_q14_token_header() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .and(header("x-erp-token", TOKEN))
        .respond_with(json(json!({"data": []})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    client(&server).articles().list().await?;
    let requests = server.received_requests().await.unwrap_or_default();
    let req = &requests[0];
    let tokens: Vec<_> = req.headers.get_all("x-erp-token").iter().collect();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        tokens[0].as_bytes(),
        TOKEN.as_bytes(),
        "byte for byte, no prefix"
    );
    assert!(req.headers.get("authorization").is_none());
    Ok(())
}

/// Answers `artikels/` on `server` with a `status` redirect to `location`, lists the articles
/// and checks that the 3xx is reported as `Error::Api` with its `Location`, not followed.
async fn assert_redirect_reported(server: &MockServer, status: u16, location: &str) {
    Mock::given(path(api("artikels/")))
        .respond_with(ResponseTemplate::new(status).insert_header("location", location))
        .expect(1)
        .mount(server)
        .await;
    match client(server).articles().list().await.unwrap_err() {
        Error::Api(a) => {
            assert_eq!(a.status, status);
            assert_eq!(a.location.as_deref(), Some(location));
        }
        other => panic!("expected Api {status}, got {other:?}"),
    }
}

#[tokio::test]
async fn cs_q14_redirect_to_other_host_is_not_followed() -> anyhow::Result<()> {
    let other = MockServer::start().await;
    catch_all(&other).await;
    let server = MockServer::start().await;
    let location = format!("{}{}", other.uri(), api("artikels/"));
    assert_redirect_reported(&server, 302, &location).await;
    assert!(
        other
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    Ok(())
}

/// http-core's default policy would follow a same-origin redirect; the crate configures
/// `Redirects::None`, so even that one is reported, not followed.
#[tokio::test]
async fn cs_q14_redirect_on_the_same_origin_is_not_followed_either() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let location = format!("{}{}", server.uri(), api("artikels/?page=1"));
    assert_redirect_reported(&server, 301, &location).await;
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        1
    );
    Ok(())
}

#[tokio::test]
async fn cs_q14_token_never_in_debug_or_errors() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(!format!("{client:?}").contains(TOKEN));
    assert!(!format!("{:?}", cloudspot::Client::builder(TOKEN)).contains(TOKEN));
    let err = client.articles().list().await.unwrap_err();
    assert!(!format!("{err:?}").contains(TOKEN));
    assert!(!err.to_string().contains(TOKEN));
    Ok(())
}

#[tokio::test]
async fn cs_q15_only_200() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(path(api("klanten/")))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"data": [{"klantennummer": 1}]})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.articles().list().await.unwrap_err();
    assert!(matches!(&err, Error::Api(a) if a.status == 204), "{err:?}");
    let err = client.customers().list().await.unwrap_err();
    assert!(matches!(&err, Error::Api(a) if a.status == 201), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn cs_q16_klantennummer_list_and_find_on_client() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("klanten/")))
        .respond_with(json(json!({"data": [{"klantennummer": 1041}, {"klantennummer": "1042", "voornaam": "Jane"}]})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let customers = client(&server).customers().list().await?;
    let jane = cloudspot::find_customer(&customers, 1042).map(|k| k.first_name.as_deref());
    assert_eq!(jane, Some(Some("Jane")));
    assert!(cloudspot::find_customer(&customers, 9).is_none());
    Ok(())
}

#[test]
fn cs_q19_user_login_is_a_non_default_documented_feature() {
    let manifest = include_str!("../Cargo.toml");
    assert!(manifest.contains("default = []"), "no default features");
    assert!(
        manifest.contains("legacy-user-auth = ["),
        "feature declared"
    );
    let user = include_str!("../src/user.rs");
    assert!(user.contains("2023-03-14") && user.contains("License server"));
    let sources = [
        user,
        include_str!("../src/endpoints.rs"),
        include_str!("../src/client.rs"),
    ];
    for s in sources {
        assert!(
            !s.contains(concat!("\"authenticate-", "external-app/\"")),
            "pre-0.4 path must not be implemented"
        );
    }
}

#[tokio::test]
async fn cs_q20_api_status() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    for (id, body) in [
        ("1", json!({"message": "nee", "status": "NOT_AUTHORIZED"})),
        ("2", json!({"message": "nee", "status": "SOMETHING_NEW"})),
        ("3", json!({"message": "nee"})),
    ] {
        Mock::given(path(api("categories/")))
            .and(query_param("id", id))
            .respond_with(ResponseTemplate::new(400).set_body_json(body))
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let status = |e: Error| e.api_error().and_then(|a| a.api_status.clone());
    assert_eq!(
        status(client.categories().get(1).await.unwrap_err()),
        Some(ApiStatus::NotAuthorized)
    );
    assert_eq!(
        status(client.categories().get(2).await.unwrap_err()),
        Some(ApiStatus::Unknown("SOMETHING_NEW".into()))
    );
    let err = client.categories().get(3).await.unwrap_err();
    // Never outranks the HTTP status: a 400 stays an Api error.
    assert!(matches!(&err, Error::Api(a) if a.status == 400));
    assert_eq!(status(err), None);
    Ok(())
}

#[tokio::test]
async fn cs_q05_unknown_keys_in_envelope_and_error_body() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(json(json!({"data": [{"id": 1, "nieuw": true, "fotos": [{"url": "u", "breedte": 3}]}], "count": 1, "meta": {"v": 2}})))
        .mount(&server)
        .await;
    Mock::given(path(api("klanten/")))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"message": "fout", "status": "INVALID_FORMAT", "trace_id": "x"}),
            ),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let a = client.articles().list().await?;
    assert_eq!(a[0].photos[0].url.as_deref(), Some("u"));
    let err = client.customers().list().await.unwrap_err();
    assert_eq!(err.server_message(), Some("fout"));
    Ok(())
}

#[tokio::test]
async fn cs_q03_unreadable_decimal_is_decode_with_path() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(json(json!({"data": [{"id": 1, "verkoopprijs_excl": "12.10"}, {"id": 2, "verkoopprijs_excl": "abc"}]})))
        .mount(&server)
        .await;
    let err = client(&server).articles().list().await.unwrap_err();
    match &err {
        Error::Decode { path, snippet, .. } => {
            assert_eq!(path.as_deref(), Some("data[1].verkoopprijs_excl"));
            assert!(snippet.contains("abc"));
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn cs_q23_content_type() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    for p in ["artikels/", "klanten/", "categories/"] {
        Mock::given(method("GET"))
            .and(path(api(p)))
            .and(header("content-type", "application/json"))
            .respond_with(json(json!({"data": [{"id": 5}]})))
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    let client = client(&server);
    client.articles().list().await?;
    client.articles().get(5).await?;
    client.customers().list().await?;
    client.categories().list().await?;
    client.categories().get(5).await?;
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        5
    );
    Ok(())
}

#[tokio::test]
async fn cs_q02_sku_lookup_is_exact_on_the_listed_articles() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("artikels/")))
        .respond_with(json(
            json!({"data": [{"id": 1, "SKU": "vb-1"}, {"id": 2, "SKU": "VB-1"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let list = client(&server).articles().list().await?;
    let found = cloudspot::find_article_by_sku(&list, "VB-1").and_then(|a| a.id);
    assert_eq!(found, Some(ArticleId(2)));
    assert!(cloudspot::find_article_by_sku(&list, "vb-2").is_none());
    Ok(())
}
