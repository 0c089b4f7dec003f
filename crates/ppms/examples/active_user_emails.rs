//! The e-mail addresses of every active user: one `getusers`, then `getuser` for each login
//! with bounded concurrency (the call pyppms documents as "can take minutes").
//!
//! Offline (default): runs against the in-process sandbox with 250 synthetic users and 5 ms of
//! latency per request. Live: set `PPMS_URL` (the site URL) and `PPMS_API_KEY`.
//!
//! ```sh
//! cargo run -p ppms --example active_user_emails
//! PPMS_URL=https://ppms.eu/mysite/ PPMS_API_KEY=... cargo run -p ppms --example active_user_emails
//! ```

use std::time::{Duration, Instant};

use billing_sandbox::{Sandbox, Synthetic};
use ppms::{BulkOptions, Client};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _sandbox = None;
    let client = match Client::from_env() {
        Ok(client) => {
            println!("live instance {}", client.endpoints().site);
            client
        }
        // PPMS_URL or PPMS_API_KEY is not set: run offline
        Err(e) if e.core().and_then(|c| c.missing_env_var()).is_some() => {
            let sb = Sandbox::builder("ppms")
                .synthetic(Synthetic::ppms_users(250))
                .latency(Duration::from_millis(5))
                .start()
                .await?;
            println!(
                "sandbox at {} (250 synthetic users, 5 ms latency)",
                sb.url()
            );
            let c = Client::builder(sb.url()).api_key("sandbox").build()?;
            _sandbox = Some(sb);
            c
        }
        Err(e) => return Err(e.into()),
    };

    let started = Instant::now();
    // 16 requests in flight (the default), no client-side quota: PUMAPI documents none
    let opts = BulkOptions::default().progress(|p| {
        if p.done % 50 == 0 || p.done == p.total {
            eprintln!("  {}/{} users", p.done, p.total);
        }
    });
    let (emails, details) = client.users().active_emails(&opts).await?;
    println!(
        "{} addresses from {} users in {:.2?} ({} unknown, {} failed)",
        emails.len(),
        details.users.len(),
        started.elapsed(),
        details.missing.len(),
        details.failures.len()
    );
    for email in emails.iter().take(5) {
        println!("  {email}");
    }
    for (login, err) in &details.failures {
        eprintln!("  {login}: {err}");
    }
    Ok(())
}
