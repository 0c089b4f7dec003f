//! Recording scenarios for `cargo xtask record --vendor cloudspot`, declared in code.
//!
//! [`recording`] returns the vendor's [`VendorRecording`]: the variables it reads, its
//! [`ScrubConfig`] and one [`Scenario`] per cassette `fixtures/cloudspot/<name>.json`.
//!
//! | variable | kind | for |
//! |---|---|---|
//! | `CLOUDSPOT_BASE_URL` | base URL | default `https://erp.cloudspot.be/api/v1` |
//! | `CLOUDSPOT_TOKEN` | secret, required | company token (all data scenarios) |
//! | `CLOUDSPOT_ARTIKEL_ID`, `CLOUDSPOT_CATEGORIE_ID` | optional | id for the get-by-id scenarios; without it the list is fetched (and recorded) first |
//! | `CLOUDSPOT_USERNAME`, `CLOUDSPOT_PASSWORD`, `CLOUDSPOT_REQUESTOR` | optional | legacy user-login scenario (feature `legacy-user-auth`) |
//!
//! Scrubbing (CS-Q14): the `X-ERP-TOKEN` header, the sign-in `password`, the returned `token`
//! and the user's `pin` are secrets; customer and user names, addresses, birth data, VAT and
//! enterprise numbers, e-mail addresses and the sign-in `username` are pseudonymised (a birth
//! date becomes a day of 1901 in the same format, so it still decodes). The invented values
//! of the hand-built cassettes are kept (`ScrubConfig::keep_value`), so that
//! `cargo xtask record --vendor cloudspot --sandbox --check` regenerates them unchanged.
//!
//! Error cassettes that cannot be provoked on a live server (HTML 502, maintenance page, a
//! token without the clients right, a wrong password) are hand-built and listed in
//! [`HAND_BUILT`].

use billing_http_core::cassette::{
    CredentialVar, PersonalKind, Scenario, ScenarioContext, ScrubConfig, VendorRecording,
};

use crate::{Client, PRODUCTION_URL};

/// Cassettes built by hand from the vendor reference, not recordable against a live server.
pub const HAND_BUILT: &[&str] = &[
    "artikels_bad_gateway",
    "artikels_maintenance_page",
    "klanten_forbidden",
    "legacy_signin_bad_credentials",
];

/// The article id used by the `artikels_get_not_found` scenario; no company is expected to
/// have it.
pub const MISSING_ID: i64 = 999_999_999;

/// What `cargo xtask record --vendor cloudspot` runs.
pub fn recording() -> VendorRecording {
    let rec = VendorRecording::new("cloudspot", scrub_config())
        .base_url_var("CLOUDSPOT_BASE_URL", Some(PRODUCTION_URL))
        .credential(CredentialVar::secret(
            "CLOUDSPOT_TOKEN",
            "company API token",
        ))
        // Sandbox values: the ids the committed hand-built cassettes ask for.
        .credential(
            CredentialVar::plain("CLOUDSPOT_ARTIKEL_ID", "article id for artikels_get")
                .optional()
                .sandbox_value("101"),
        )
        .credential(
            CredentialVar::plain("CLOUDSPOT_CATEGORIE_ID", "category id for categories_get")
                .optional()
                .sandbox_value("1"),
        )
        .scenario(Scenario::new(
            "artikels_list",
            "E1: every article",
            artikels_list,
        ))
        .scenario(Scenario::new(
            "artikels_get",
            "E2: one article by id (a filter on the list endpoint)",
            artikels_get,
        ))
        .scenario(Scenario::new(
            "artikels_get_not_found",
            "E2: an id that does not exist",
            artikels_get_not_found,
        ))
        .scenario(Scenario::new(
            "klanten_list",
            "E3: every customer (personal data is pseudonymised)",
            klanten_list,
        ))
        .scenario(Scenario::new(
            "categories_list",
            "E4: the category tree",
            categories_list,
        ))
        .scenario(Scenario::new(
            "categories_get",
            "E5: one category by id",
            categories_get,
        ));
    #[cfg(feature = "legacy-user-auth")]
    let rec = rec
        .credential(
            CredentialVar::plain("CLOUDSPOT_USERNAME", "legacy login user")
                .optional()
                .sandbox_value("jdoe"),
        )
        .credential(CredentialVar::secret("CLOUDSPOT_PASSWORD", "legacy login password").optional())
        .credential(
            CredentialVar::plain("CLOUDSPOT_REQUESTOR", "external-app slug (legacy login)")
                .optional()
                .sandbox_value("timeapp"),
        )
        .scenario(Scenario::new(
            "legacy_user_login",
            "E6-E8: sign-in, permissions, user (deprecated endpoints)",
            legacy_user_login,
        ));
    rec
}

/// Secret and personal-data fields of Cloudspot (also used by replay matching and
/// `check-fixtures`).
pub fn scrub_config() -> ScrubConfig {
    let config = ScrubConfig::new() // x-erp-token, password, token are secrets already
        .secret_field("pin")
        .request_header("x-erp-token")
        .request_header("x-erp-requestor")
        .personal_field("voornaam", PersonalKind::FirstName)
        .personal_field("achternaam", PersonalKind::LastName)
        .personal_field("straat", PersonalKind::Address)
        .personal_field("huisnummer", PersonalKind::Text)
        .personal_field("busnummer", PersonalKind::Text)
        .personal_field("geboortedatum", PersonalKind::Date)
        .personal_field("geboorteplaats", PersonalKind::Text)
        .personal_field("bedrijfsnaam", PersonalKind::FullName)
        .personal_field("BTW_nummer", PersonalKind::Text)
        .personal_field("ondernemingsnummer", PersonalKind::Text)
        .personal_field("first_name", PersonalKind::FirstName)
        .personal_field("last_name", PersonalKind::LastName)
        .personal_field("email", PersonalKind::Email)
        .personal_field("username", PersonalKind::Login);
    KEEP_VALUES
        .iter()
        .fold(config, |config, value| config.keep_value(value))
}

/// Invented values of the hand-built cassettes that do not look invented to the scrubber;
/// kept so that re-recording against the sandbox (`cargo xtask record --vendor cloudspot
/// --sandbox --check`) reproduces the cassettes. Keep this list to values that are plainly
/// invented (`voorbeeld` = example, all-zero VAT numbers), the placeholder `onbekend`
/// ("unknown") and a bare house number; invented birth dates use the scrubber's own year 1901.
const KEEP_VALUES: &[&str] = &[
    "jdoe",
    "Proefstraat",
    "Voorbeeldlaan",
    "12A",
    "Voorbeeldstad",
    "Voorbeeld Garage BV",
    "BE0000000000",
    "0000.000.000",
    "onbekend",
];

fn client(ctx: &ScenarioContext) -> Result<Client, billing_http_core::Error> {
    Ok(Client::builder(ctx.secret("CLOUDSPOT_TOKEN")?)
        .base_url(ctx.base_url())
        .transport(ctx.transport())
        .build()?)
}

fn id_var(ctx: &ScenarioContext, name: &str) -> Result<Option<i64>, billing_http_core::Error> {
    ctx.var(name)
        .map(|v| {
            v.trim().parse::<i64>().map_err(|_| {
                billing_http_core::Error::config(format!("{name} must be an integer id"))
            })
        })
        .transpose()
}

async fn artikels_list(ctx: ScenarioContext) -> Result<(), billing_http_core::Error> {
    client(&ctx)?.articles().list().await?;
    Ok(())
}

/// The id from `var`, else the first id `first` lists (that list call is recorded too).
async fn id_for<F, Fut>(
    ctx: &ScenarioContext,
    var: &str,
    what: &str,
    first: F,
) -> Result<i64, billing_http_core::Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = crate::Result<Option<i64>>>,
{
    if let Some(id) = id_var(ctx, var)? {
        return Ok(id);
    }
    first().await?.ok_or_else(|| {
        billing_http_core::Error::config(format!("the company has no {what} to fetch by id"))
    })
}

async fn artikels_get(ctx: ScenarioContext) -> Result<(), billing_http_core::Error> {
    let client = client(&ctx)?;
    let id = id_for(&ctx, "CLOUDSPOT_ARTIKEL_ID", "article", || async {
        let list = client.articles().list().await?;
        Ok(list.iter().find_map(|a| a.id.map(|i| i.get())))
    })
    .await?;
    client.articles().get(id).await?;
    Ok(())
}

async fn artikels_get_not_found(ctx: ScenarioContext) -> Result<(), billing_http_core::Error> {
    match client(&ctx)?.articles().get(MISSING_ID).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn klanten_list(ctx: ScenarioContext) -> Result<(), billing_http_core::Error> {
    client(&ctx)?.customers().list().await?;
    Ok(())
}

async fn categories_list(ctx: ScenarioContext) -> Result<(), billing_http_core::Error> {
    client(&ctx)?.categories().list().await?;
    Ok(())
}

async fn categories_get(ctx: ScenarioContext) -> Result<(), billing_http_core::Error> {
    let client = client(&ctx)?;
    let id = id_for(&ctx, "CLOUDSPOT_CATEGORIE_ID", "category", || async {
        let list = client.categories().list().await?;
        Ok(list.iter().find_map(|c| c.id.map(|i| i.get())))
    })
    .await?;
    client.categories().get(id).await?;
    Ok(())
}

#[cfg(feature = "legacy-user-auth")]
#[allow(deprecated)]
async fn legacy_user_login(ctx: ScenarioContext) -> Result<(), billing_http_core::Error> {
    let missing = |name: &str| billing_http_core::Error::config(format!("{name} is not set"));
    let username = ctx
        .var("CLOUDSPOT_USERNAME")
        .ok_or_else(|| missing("CLOUDSPOT_USERNAME"))?;
    let password = ctx.secret("CLOUDSPOT_PASSWORD")?;
    let requestor = ctx
        .var("CLOUDSPOT_REQUESTOR")
        .ok_or_else(|| missing("CLOUDSPOT_REQUESTOR"))?;
    let user = crate::UserClient::builder(requestor)
        .base_url(ctx.base_url())
        .transport(ctx.transport())
        .build()?;
    user.sign_in(username, password).await?;
    user.permissions().await?;
    user.user().await?;
    Ok(())
}
