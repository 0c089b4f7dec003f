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
    let live = std::env::var("PPMS_URL")
        .ok()
        .zip(std::env::var("PPMS_API_KEY").ok());
    let mut _sandbox = None;
    let client = match live {
        Some((url, key)) => {
            println!("live instance {url}");
            Client::builder(url).api_key(key).build()?
        }
        None => {
            let sb = Sandbox::builder("ppms")
                .synthetic(Synthetic::ppms_users(250))
                .latency(Duration::from_millis(5))
                .start()
                .await?;
            println!(
                "sandbox at {} (250 synthetic users, 5 ms latency)",
                sb.url()
            );
            let c = Client::builder(sb.url())
                .api_key("sandbox")
                .no_rate_limit()
                .build()?;
            _sandbox = Some(sb);
            c
        }
    };

    let started = Instant::now();
    let opts = BulkOptions::default().concurrency(8).progress(|p| {
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
