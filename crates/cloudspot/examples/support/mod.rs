//! Shared by the examples: a live client when `CLOUDSPOT_TOKEN` is set, else the workspace
//! sandbox on 127.0.0.1 serving the cassettes of `fixtures/cloudspot/`.

use billing_sandbox::Sandbox;
use cloudspot::Client;

/// Keeps the offline sandbox alive as long as the client is used.
pub struct Backend {
    pub client: Client,
    _sandbox: Option<Sandbox>,
}

/// A live client from `CLOUDSPOT_TOKEN` (and optional `CLOUDSPOT_BASE_URL`), or an offline one.
pub async fn backend() -> Result<Backend, Box<dyn std::error::Error>> {
    match Client::from_env() {
        Ok(client) => {
            eprintln!("live: using CLOUDSPOT_TOKEN");
            return Ok(Backend {
                client,
                _sandbox: None,
            });
        }
        // no CLOUDSPOT_TOKEN: go offline; any other problem (a bad URL) is reported
        Err(e) if e.core().and_then(|c| c.missing_env_var()).is_some() => {}
        Err(e) => return Err(e.into()),
    }
    let sandbox = Sandbox::builder("cloudspot")
        .scrub_config(cloudspot::recording::scrub_config())
        .cassette("cloudspot/artikels_list.json")?
        .cassette("cloudspot/klanten_list.json")?
        .cassette("cloudspot/categories_list.json")?
        .start()
        .await?;
    eprintln!(
        "offline: sandbox serving fixtures/cloudspot on {} (set CLOUDSPOT_TOKEN to go live)",
        sandbox.url()
    );
    let client = Client::builder("offline-example-token")
        .base_url(sandbox.url())
        .build()?;
    Ok(Backend {
        client,
        _sandbox: Some(sandbox),
    })
}
