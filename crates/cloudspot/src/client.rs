//! [`Client`] (company data) and its [`ClientBuilder`].

use std::{collections::HashSet, fmt, sync::Arc};

use billing_http_core::auth::{Auth, Placement, StaticKey};
use billing_http_core::settings::Settings;
use billing_http_core::transport::Redirects;
use billing_http_core::{Request, SecretString};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use url::Url;

use crate::endpoints::{TOKEN_HEADER, resource_of};
use crate::error::{CloudspotClassifier, Error, Family, Result, body_error, from_http};
use crate::model::envelope::decode_page;
use crate::{Articles, Categories, Customers};

/// Production base URL (since wrapper 0.3.0).
pub const PRODUCTION_URL: &str = "https://erp.cloudspot.be/api/v1";
/// The vendor's own local development server, selected by the wrapper's "test mode". It is
/// not a public sandbox: point tests at a mock server or the workspace sandbox instead.
pub const LOCAL_DEV_URL: &str = "http://localhost:8000/api/v1";
/// Environment variable holding the company API token ([`Client::from_env`]; required).
pub const TOKEN_ENV: &str = "CLOUDSPOT_TOKEN";
/// Environment variable overriding the base URL ([`Client::from_env`]; optional).
pub const BASE_URL_ENV: &str = "CLOUDSPOT_BASE_URL";
/// Default cap on the number of pages followed through `next` links (CS-Q07).
pub const DEFAULT_MAX_PAGES: usize = 1000;

/// The shared builder settings with Cloudspot's defaults: [`PRODUCTION_URL`], the
/// `cloudspot-rs/<version>` user agent, and the runtime's timeouts and retry policy.
pub(crate) fn default_settings() -> Settings {
    Settings::new(
        PRODUCTION_URL,
        format!("cloudspot-rs/{}", env!("CARGO_PKG_VERSION")),
    )
}

/// Normalises a base URL so that with or without trailing slashes the URLs are identical
/// (CS-Q10): every trailing `/` is removed, then billing-http-core appends exactly one.
pub(crate) fn normalise_base_url(raw: &str) -> String {
    raw.trim().trim_end_matches('/').to_owned()
}

/// Builds the billing-http-core client of a Cloudspot builder: the Cloudspot classifier (only
/// 200 is success), the given credentials, the configured transport or else the default one
/// with **no redirects followed** ([`Redirects::None`], CS-Q14: the token travels in a custom
/// header that would be forwarded; a 3xx is reported with its `Location` instead), and the
/// limiter the settings choose. Cloudspot documents no quota, so the vendor default is none
/// (`Settings::limiter(None, ..)`): the runtime's default still shares 429/503 back-off
/// between all clones.
pub(crate) fn http_client(
    settings: &Settings,
    auth: Arc<dyn Auth>,
) -> Result<billing_http_core::Client> {
    let transport_config = settings.transport_config().redirects(Redirects::None);
    let base_url = normalise_base_url(&settings.base_url);
    let b = settings
        .core_builder("cloudspot", &base_url, transport_config)
        .classifier(Arc::new(CloudspotClassifier))
        .auth(auth)
        .rate_limiter(settings.limiter(None, settings.clock()));
    b.build().map_err(|e| {
        // name the step in the one-line message: `cloudspot build: invalid base url ...`
        let e = if e.operation().is_empty() {
            e.with_operation("build")
        } else {
            e
        };
        Error::Transport(e)
    })
}

/// Refuses a credential or header value that is empty, padded with white space or contains a
/// control character (CR or LF in a header value would break every request, so it fails at
/// `build()`; billing-http-core's shared rule, issue 16). The error names what was refused, never
/// its value.
pub(crate) fn check_header_value(what: &str, value: &str) -> Result<()> {
    billing_http_core::auth::validate_secret(what, value)
        .map_err(|e| Error::Transport(e.with_vendor("cloudspot").with_operation("build")))
}

/// Builds a [`Client`].
///
/// The builder methods shared by every vendor crate of the workspace (`base_url`, `timeout`,
/// `connect_timeout`, `retry`, `rate_limit`, `rate_limiter`, `no_rate_limit`, `user_agent`,
/// `transport`, `clock`) mean the same here as everywhere; Cloudspot's defaults are
/// [`PRODUCTION_URL`], 30 s per attempt, 10 s to connect, the runtime's retry policy, no
/// client-side quota (none is documented) but 429/503 back-off shared by clones. With or
/// without a trailing slash a base URL gives identical request URLs (CS-Q10). A custom
/// transport must not follow redirects either (CS-Q14).
///
/// ```no_run
/// use std::time::Duration;
///
/// # fn run() -> Result<(), cloudspot::Error> {
/// let client = cloudspot::Client::builder_from_env()? // CLOUDSPOT_TOKEN, CLOUDSPOT_BASE_URL
///     .timeout(Duration::from_secs(20))
///     .rate_limit(cloudspot::Quota::per_second(5))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
pub struct ClientBuilder {
    token: SecretString,
    settings: Settings,
    max_pages: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &"[REDACTED]")
            .field("settings", &self.settings)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    billing_http_core::client_builder_methods!();

    /// Sets the cap on pages followed through `next` links (default
    /// [`DEFAULT_MAX_PAGES`]). Reaching it is an [`Error::Pagination`], never a silent
    /// truncation (CS-Q07).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Builds the client. Fails, before anything is sent, on a token that is empty, padded
    /// with white space or contains a control character (CR/LF), and on a base URL that is
    /// not absolute http(s).
    pub fn build(self) -> Result<Client> {
        check_header_value("company token", self.token.expose_secret())?;
        // Raw value in a custom header, no `Bearer`/`Token` prefix, marked secret (CS-Q14).
        let auth = Arc::new(StaticKey::new(
            self.token.clone(),
            Placement::Header(TOKEN_HEADER.to_owned()),
        ));
        let http = http_client(&self.settings, auth)?;
        Ok(Client {
            http,
            max_pages: self.max_pages,
        })
    }
}

/// An environment variable's value; `None` when unset or blank.
fn env_var(name: &'static str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::Transport(
            billing_http_core::Error::config(format!(
                "environment variable {name} is not valid unicode"
            ))
            .with_vendor("cloudspot")
            .with_operation("from_env"),
        )),
    }
}

/// Client for the company-data endpoints of one company (articles, clients, categories).
///
/// Built from a company API token, which is sent raw in the `X-ERP-TOKEN` header on every
/// request. The token is static: a 401 or 403 is [`Error::Unauthorized`] for that one call
/// (rights are per resource, CS-Q12) and is never retried. Cheap to clone; clones share the
/// connection pool and rate limiter.
///
/// ```no_run
/// # async fn run() -> Result<(), cloudspot::Error> {
/// let client = cloudspot::Client::builder("company-token").build()?;
/// for customer in client.customers().list().await? {
///     println!("{:?} {:?}", customer.customer_number, customer.company_name);
/// }
/// match client.categories().get(7).await {
///     Ok(c) => println!("{:?}", c.name),
///     Err(e) if e.is_not_found() => println!("no category 7"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    http: billing_http_core::Client,
    max_pages: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.http.base_url().as_str())
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a builder with the mandatory company API token.
    pub fn builder(token: impl Into<SecretString>) -> ClientBuilder {
        ClientBuilder {
            token: token.into(),
            settings: default_settings(),
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// A client at the production URL with default settings.
    pub fn new(token: impl Into<SecretString>) -> Result<Client> {
        Client::builder(token).build()
    }

    /// A client from the environment: the company token from `CLOUDSPOT_TOKEN` (required) and
    /// the base URL from `CLOUDSPOT_BASE_URL` (optional, default [`PRODUCTION_URL`]).
    ///
    /// A missing (or blank) `CLOUDSPOT_TOKEN` is an error whose
    /// `core().and_then(|e| e.missing_env_var())` is `Some("CLOUDSPOT_TOKEN")` and whose
    /// [`is_invalid_input`](Error::is_invalid_input) is true.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), cloudspot::Error> {
    /// let client = cloudspot::Client::from_env()?;
    /// println!("{} articles", client.articles().list().await?.len());
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Client> {
        Client::builder_from_env()?.build()
    }

    /// The builder [`Client::from_env`] uses, for further settings.
    pub fn builder_from_env() -> Result<ClientBuilder> {
        let token = env_var(TOKEN_ENV)?.ok_or_else(|| {
            Error::Transport(
                billing_http_core::Error::missing_env(TOKEN_ENV)
                    .with_vendor("cloudspot")
                    .with_operation("from_env"),
            )
        })?;
        let mut b = Client::builder(token);
        if let Some(url) = env_var(BASE_URL_ENV)? {
            b = b.base_url(url);
        }
        Ok(b)
    }

    /// Articles (products), Dutch `artikels` on the wire (path `artikels/`). Needs the token
    /// right "see all products".
    #[doc(alias = "artikels")]
    #[doc(alias = "artikel")]
    #[doc(alias = "products")]
    pub fn articles(&self) -> Articles<'_> {
        Articles { client: self }
    }

    /// Customers ("clients"), Dutch `klanten` on the wire (path `klanten/`). Needs the token
    /// right "see all clients".
    #[doc(alias = "klanten")]
    #[doc(alias = "klant")]
    #[doc(alias = "clients")]
    pub fn customers(&self) -> Customers<'_> {
        Customers { client: self }
    }

    /// Product categories: path `categories/` (English path, CS-Q11), Dutch `categorieen`
    /// as a model key.
    #[doc(alias = "categorieen")]
    #[doc(alias = "categorie")]
    pub fn categories(&self) -> Categories<'_> {
        Categories { client: self }
    }

    /// The normalised base URL (ends in `/`).
    pub fn base_url(&self) -> &Url {
        self.http.base_url()
    }

    /// The underlying http-core client (for custom calls and request-shape checks).
    pub fn http(&self) -> &billing_http_core::Client {
        &self.http
    }

    /// Runs a list request and returns every element of `data`, following same-origin `next`
    /// links if the server ever sends them (CS-Q07).
    pub(crate) async fn fetch_all<T: DeserializeOwned>(&self, first: Request) -> Result<Vec<T>> {
        fetch_all(&self.http, first, Family::Data, self.max_pages).await
    }

    /// Runs a get-by-id request (a filter on a list endpoint, CS-Q06) and picks the element
    /// with `id` ([`pick_by_id`]).
    pub(crate) async fn fetch_by_id<T: DeserializeOwned>(
        &self,
        request: Request,
        id: i64,
        id_of: impl Fn(&T) -> Option<i64>,
    ) -> Result<T> {
        let resource = resource_of(&request.path);
        let operation = request.operation.to_string();
        let items = self.fetch_all(request).await?;
        pick_by_id(items, id, id_of).ok_or(Error::NotFound {
            operation,
            resource,
            id,
        })
    }
}

/// Runs `first`, decodes the `{"data": [...]}` envelope and follows `next` links.
pub(crate) async fn fetch_all<T: DeserializeOwned>(
    http: &billing_http_core::Client,
    first: Request,
    family: Family,
    max_pages: usize,
) -> Result<Vec<T>> {
    let resource = resource_of(&first.path);
    let operation = first.operation.to_string();
    let mut seen = HashSet::new();
    seen.insert(page_key(http, &first));
    let mut out = Vec::new();
    let mut request = first;
    let mut pages = 0usize;
    loop {
        pages += 1;
        let response = http
            .execute(request.clone())
            .await
            .map_err(|e| from_http(e, family, resource))?;
        let page = decode_page::<T>(&response.body).map_err(|p| {
            body_error(
                p,
                &operation,
                response.header("content-type"),
                &response.body,
            )
        })?;
        out.extend(page.data);
        let Some(next) = page.next else {
            return Ok(out);
        };
        let pagination = |message: String| Error::Pagination {
            operation: operation.clone(),
            message,
        };
        if pages >= max_pages {
            return Err(pagination(format!(
                "page cap of {max_pages} reached with a next link still present"
            )));
        }
        request = next_request(http.base_url(), &request, &next).map_err(pagination)?;
        if !seen.insert(page_key(http, &request)) {
            return Err(pagination(
                "next link repeats a page already fetched".into(),
            ));
        }
    }
}

fn page_key(http: &billing_http_core::Client, request: &Request) -> String {
    http.to_http(request)
        .map(|r| r.url.to_string())
        .unwrap_or_else(|_| format!("{}?{:?}", request.path, request.query))
}

/// The request for a `next` link: only on the base URL's origin (the token header must never
/// travel to another host, CS-Q14) and only to the **same resource path** as the previous page
/// (`artikels/` pages never continue into `klanten/`, which would be decoded as articles; issue
/// 16), with the same headers and the link's own query.
pub(crate) fn next_request(
    base: &Url,
    previous: &Request,
    next: &str,
) -> std::result::Result<Request, String> {
    let url = base
        .join(next.trim())
        .map_err(|e| format!("next link is not a url: {e}"))?;
    if url.origin() != base.origin() {
        return Err("next link points to another origin; not followed".into());
    }
    let Some(rel) = url.path().strip_prefix(base.path()) else {
        return Err("next link points outside the api base path; not followed".into());
    };
    if rel != previous.path.trim_start_matches('/') {
        return Err(format!(
            "next link points to another resource than {}; not followed",
            previous.path
        ));
    }
    let mut request = Request::get(rel.to_owned(), previous.operation.clone());
    request.headers = previous.headers.clone();
    for (k, v) in url.query_pairs() {
        request = request.query(k.into_owned(), v.into_owned());
    }
    Ok(request)
}

/// Picks the element with the requested id from a get-by-id reply (CS-Q06): the element
/// whose id matches, else a lone element without an id, else `None` (not found).
pub(crate) fn pick_by_id<T>(
    items: Vec<T>,
    id: i64,
    id_of: impl Fn(&T) -> Option<i64>,
) -> Option<T> {
    let lone_without_id = items.len() == 1 && items.first().is_some_and(|i| id_of(i).is_none());
    items
        .into_iter()
        .find(|item| lone_without_id || id_of(item) == Some(id))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn base() -> Url {
        Url::parse("https://erp.example.org/api/v1/").unwrap()
    }

    fn prev() -> Request {
        crate::endpoints::list_articles()
    }

    #[test]
    fn next_link_same_origin_becomes_relative_request() {
        let r = next_request(
            &base(),
            &prev(),
            "https://erp.example.org/api/v1/artikels/?page=2",
        )
        .unwrap();
        assert_eq!(r.path, "artikels/");
        assert_eq!(r.query[0].0, "page");
        assert_eq!(r.query[0].1.expose(), "2");
        assert_eq!(r.headers, prev().headers);
        let r = next_request(&base(), &prev(), "/api/v1/artikels/?page=3").unwrap();
        assert_eq!(r.query[0].1.expose(), "3");
    }

    #[test]
    fn next_link_elsewhere_is_refused() {
        assert!(
            next_request(
                &base(),
                &prev(),
                "https://evil.example.com/api/v1/artikels/"
            )
            .is_err()
        );
        assert!(next_request(&base(), &prev(), "http://erp.example.org/api/v1/artikels/").is_err());
        assert!(next_request(&base(), &prev(), "https://erp.example.org/other/").is_err());
    }

    #[test]
    fn next_link_to_another_resource_under_the_base_is_refused() {
        for other in [
            "klanten/",
            "/api/v1/klanten/?page=2",
            "https://erp.example.org/api/v1/artikels/../categories/",
            "artikels/2/",
            "artikels",
        ] {
            let err = next_request(&base(), &prev(), other).unwrap_err();
            assert!(err.contains("another resource"), "{other}: {err}");
        }
    }

    #[test]
    fn pick_by_id_cases() {
        let id_of = |v: &(Option<i64>, &str)| v.0;
        assert_eq!(pick_by_id(vec![(Some(1), "a")], 1, id_of).unwrap().1, "a");
        assert_eq!(pick_by_id(vec![(None, "a")], 1, id_of).unwrap().1, "a");
        assert_eq!(
            pick_by_id(vec![(Some(2), "a"), (Some(1), "b")], 1, id_of)
                .unwrap()
                .1,
            "b"
        );
        assert!(pick_by_id(vec![(Some(2), "a")], 1, id_of).is_none());
        assert!(pick_by_id(Vec::<(Option<i64>, &str)>::new(), 1, id_of).is_none());
        assert!(pick_by_id(vec![(None, "a"), (None, "b")], 1, id_of).is_none());
    }

    #[test]
    fn token_with_cr_lf_or_control_characters_is_refused_at_build() {
        for bad in [
            "s3cr3t\r\nX-Injected: 1",
            "s3cr3t\nx",
            "s3cr3t\u{0}x",
            "s3\tcr3t",
        ] {
            let err = Client::builder(bad).build().unwrap_err();
            assert!(err.is_invalid_input(), "{bad:?}: {err:?}");
            assert!(!err.may_have_reached_server());
            let text = format!("{err} {err:?}");
            assert!(!text.contains("s3"), "the token leaks: {text}");
            assert!(text.contains("control character"), "{text}");
        }
    }

    #[test]
    fn empty_or_padded_token_is_a_config_error() {
        for bad in ["", "  ", " tok", "tok\n"] {
            let err = Client::builder(bad).build().unwrap_err();
            assert!(
                matches!(&err, Error::Transport(e) if e.kind() == billing_http_core::ErrorKind::Config),
                "{bad:?}: {err:?}"
            );
        }
        assert!(
            Client::builder("tok")
                .base_url("not a url")
                .build()
                .is_err()
        );
        assert!(
            Client::builder("tok")
                .base_url("https://x/api/v1?x=1")
                .build()
                .is_err()
        );
    }

    #[test]
    fn base_url_normalisation() {
        for raw in [
            "https://x/api/v1",
            "https://x/api/v1/",
            "https://x/api/v1//",
            " https://x/api/v1 ",
        ] {
            assert_eq!(normalise_base_url(raw), "https://x/api/v1");
        }
    }
}
