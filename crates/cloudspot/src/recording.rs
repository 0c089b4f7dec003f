//! Recording scenarios for `cargo xtask record --vendor cloudspot`, declared as data.
//!
//! Each [`Scenario`] names a cassette `fixtures/cloudspot/<name>.json` and the calls that
//! produce it. [`run`] executes one scenario with a client whose transport is the recording
//! transport; the recorder then scrubs the cassette with [`SECRET_HEADERS`],
//! [`SECRET_JSON_FIELDS`] and [`PERSONAL_FIELDS`] before writing it (CS-Q14: the
//! `X-ERP-TOKEN` header is custom, so it must be listed explicitly).
//!
//! Environment read by the recorder (never by the library):
//!
//! | variable | for |
//! |---|---|
//! | `CLOUDSPOT_TOKEN` | company token (all data scenarios) |
//! | `CLOUDSPOT_BASE_URL` | optional base URL (default production) |
//! | `CLOUDSPOT_USERNAME`, `CLOUDSPOT_PASSWORD`, `CLOUDSPOT_REQUESTOR` | legacy user-login scenarios (feature `legacy-user-auth`) |
//!
//! Error cassettes that cannot be provoked on a live server (HTML 502, maintenance page, a
//! token without the clients right, a wrong password) are hand-built and listed in
//! [`HAND_BUILT`].

use crate::{Client, Result};

/// Request headers whose values are secrets: replaced by the placeholder when recorded.
pub const SECRET_HEADERS: &[&str] = &["x-erp-token"];
/// JSON fields (request or response bodies) holding secrets: the sign-in `password`, the
/// returned session `token` and the user's `pin`.
pub const SECRET_JSON_FIELDS: &[&str] = &["password", "token", "pin"];
/// Response fields holding personal data, pseudonymised when recorded.
pub const PERSONAL_FIELDS: &[&str] = &[
    "voornaam",
    "achternaam",
    "straat",
    "huisnummer",
    "busnummer",
    "geboortedatum",
    "geboorteplaats",
    "BTW_nummer",
    "ondernemingsnummer",
    "first_name",
    "last_name",
    "email",
];
/// Request headers kept in cassettes (besides the secret ones, which are kept scrubbed).
pub const ALLOWED_HEADERS: &[&str] = &["content-type", "x-erp-requestor", "x-erp-token"];

/// Cassettes built by hand from the vendor reference, not recordable against a live server.
pub const HAND_BUILT: &[&str] = &[
    "artikels_bad_gateway",
    "artikels_maintenance_page",
    "klanten_forbidden",
    "legacy_signin_bad_credentials",
];

/// The article id used by [`Step::GetMissingArtikel`]; no company is expected to have it.
pub const MISSING_ID: i64 = 999_999_999;

/// One call of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// E1 `artikels/`.
    ListArtikels,
    /// E2 `artikels/?id=` with the first id of a preceding list (or `CLOUDSPOT_RECORD_ID`).
    GetFirstArtikel,
    /// E2 with an id that does not exist ([`MISSING_ID`]): an empty `data`.
    GetMissingArtikel,
    /// E3 `klanten/`.
    ListKlanten,
    /// E4 `categories/`.
    ListCategories,
    /// E5 `categories/?id=` with the first id of a preceding list.
    GetFirstCategorie,
    /// E6 sign-in with the recorder's credentials (feature `legacy-user-auth`).
    SignIn,
    /// E7 permissions (feature `legacy-user-auth`).
    Permissions,
    /// E8 user (feature `legacy-user-auth`).
    User,
}

/// A recording scenario: one cassette.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Scenario {
    /// Cassette name (`fixtures/cloudspot/<name>.json`).
    pub name: &'static str,
    /// What it covers.
    pub description: &'static str,
    /// The calls, in order.
    pub steps: &'static [Step],
    /// Needs the legacy user-login credentials and feature.
    pub legacy: bool,
}

/// Every recordable scenario.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "artikels_list",
        description: "E1: every article",
        steps: &[Step::ListArtikels],
        legacy: false,
    },
    Scenario {
        name: "artikels_get",
        description: "E2: one article by id (a filter on the list endpoint)",
        steps: &[Step::GetFirstArtikel],
        legacy: false,
    },
    Scenario {
        name: "artikels_get_not_found",
        description: "E2: an id that does not exist",
        steps: &[Step::GetMissingArtikel],
        legacy: false,
    },
    Scenario {
        name: "klanten_list",
        description: "E3: every customer (personal data is pseudonymised)",
        steps: &[Step::ListKlanten],
        legacy: false,
    },
    Scenario {
        name: "categories_list",
        description: "E4: the category tree",
        steps: &[Step::ListCategories],
        legacy: false,
    },
    Scenario {
        name: "categories_get",
        description: "E5: one category by id",
        steps: &[Step::GetFirstCategorie],
        legacy: false,
    },
    Scenario {
        name: "legacy_user_login",
        description: "E6-E8: sign-in, permissions, user (deprecated endpoints)",
        steps: &[Step::SignIn, Step::Permissions, Step::User],
        legacy: true,
    },
];

/// Looks a scenario up by name.
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// Runs the company-data steps of `scenario` with `client` (whose transport records).
///
/// Get-by-id steps first list without recording concerns: the recorder should pass
/// `lookup`, a plain client used only to find an existing id, so that the cassette holds only
/// the get-by-id interaction. Legacy steps are skipped here; see `run_legacy` (feature).
pub async fn run(client: &Client, lookup: &Client, scenario: &Scenario) -> Result<()> {
    for step in scenario.steps {
        match step {
            Step::ListArtikels => {
                client.artikels().list().await?;
            }
            Step::GetFirstArtikel => {
                let id = first_id(
                    lookup
                        .artikels()
                        .list()
                        .await?
                        .iter()
                        .filter_map(|a| a.id.map(|i| i.get())),
                );
                if let Some(id) = id {
                    client.artikels().get(id).await?;
                }
            }
            Step::GetMissingArtikel => match client.artikels().get(MISSING_ID).await {
                Err(e) if e.is_not_found() => {}
                other => {
                    other?;
                }
            },
            Step::ListKlanten => {
                client.klanten().list().await?;
            }
            Step::ListCategories => {
                client.categorieen().list().await?;
            }
            Step::GetFirstCategorie => {
                let id = first_id(
                    lookup
                        .categorieen()
                        .list()
                        .await?
                        .iter()
                        .filter_map(|c| c.id.map(|i| i.get())),
                );
                if let Some(id) = id {
                    client.categorieen().get(id).await?;
                }
            }
            Step::SignIn | Step::Permissions | Step::User => {}
        }
    }
    Ok(())
}

fn first_id(mut ids: impl Iterator<Item = i64>) -> Option<i64> {
    std::env::var("CLOUDSPOT_RECORD_ID")
        .ok()
        .and_then(|v| v.parse().ok())
        .or_else(|| ids.next())
}

/// Runs the legacy steps of `scenario` with `user` (whose transport records), signing in with
/// `username` / `password`.
#[cfg(feature = "legacy-user-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
#[allow(deprecated)]
pub async fn run_legacy(
    user: &crate::UserClient,
    username: &str,
    password: secrecy::SecretString,
    scenario: &Scenario,
) -> Result<()> {
    let mut password = Some(password);
    for step in scenario.steps {
        match step {
            Step::SignIn => {
                if let Some(pw) = password.take() {
                    user.sign_in(username, pw).await?;
                }
            }
            Step::Permissions => {
                user.permissions().await?;
            }
            Step::User => {
                user.user().await?;
            }
            _ => {}
        }
    }
    Ok(())
}
