//! Shared setup of the examples: live when `PAX8_CLIENT_ID` and `PAX8_CLIENT_SECRET` are set,
//! otherwise against an in-process sandbox serving the crate's cassettes and a synthetic tenant.

use billing_sandbox::{Sandbox, Synthetic};

/// A client and, when offline, the sandbox it talks to (keep it alive while the client runs).
pub async fn client() -> Result<(pax8::Client, Option<Sandbox>), Box<dyn std::error::Error>> {
    let live =
        std::env::var("PAX8_CLIENT_ID").is_ok() && std::env::var("PAX8_CLIENT_SECRET").is_ok();
    if live {
        eprintln!("live mode: using PAX8_CLIENT_ID / PAX8_CLIENT_SECRET");
        // PAX8_BASE_URL and PAX8_TOKEN_URL are read too when set
        return Ok((pax8::Client::from_env()?, None));
    }
    let sandbox = Sandbox::builder("pax8")
        .all_fixtures()?
        .synthetic(Synthetic::pax8(42, 1_000, 250))
        .start()
        .await?;
    let base = sandbox.url().trim_end_matches('/').to_owned();
    eprintln!(
        "offline mode: sandbox at {base} (set PAX8_CLIENT_ID and PAX8_CLIENT_SECRET for live)"
    );
    let client = pax8::Client::builder()
        .credentials("sandbox-client-id", "sandbox-client-secret")
        .base_url(&base)
        .token_url(format!("{base}/token"))
        .build()?;
    Ok((client, Some(sandbox)))
}
