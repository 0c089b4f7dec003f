//! The README's PPMS jobs as a newcomer writes them: only `ppms`'s public API (plus tokio), no
//! `billing-http-core` import, against the offline sandbox (docs/conventions.md §10).
#![allow(clippy::unwrap_used)]

use billing_sandbox::{Sandbox, Synthetic};
use ppms::{BulkOptions, Client, CreateOutcome, NewOrder, OptionalExt, OrderRef, ServiceId};

/// A sandbox with `users` synthetic users (`user00000`, …) and the recorded systems.
async fn sandbox(users: usize) -> Sandbox {
    Sandbox::builder("ppms")
        .cassette("ppms/getsystems.json")
        .unwrap()
        .cassette("ppms/getsystem.json")
        .unwrap()
        .synthetic(Synthetic::ppms_users(users))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_active_users_email_in_bulk() -> Result<(), ppms::Error> {
    let sb = sandbox(120).await;
    // exactly as the README builds it
    let client = ppms::Client::builder(sb.url()).api_key("my-key").build()?;
    let (emails, details) = client
        .users()
        .active_emails(&ppms::BulkOptions::default())
        .await?;
    assert_eq!(emails.len(), 120);
    assert!(emails.contains("user00007@example.org"));
    assert!(details.failures.is_empty());
    assert_eq!(sb.count("POST /pumapi/ getuser"), 120);
    Ok(())
}

#[tokio::test]
async fn one_user_and_an_unknown_login() -> Result<(), ppms::Error> {
    let sb = sandbox(10).await;
    let client = Client::builder(sb.url()).api_key("my-key").build()?;
    let user = client.users().get("user00003").await?;
    assert_eq!(user.login, "user00003");
    assert_eq!(user.email.as_deref(), Some("user00003@example.org"));

    // an unknown login is a not-found error; `optional()` turns it into `None`
    let err = client.users().get("nobody").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.status(), Some(ppms::StatusCode::OK));
    assert!(client.users().get("nobody").await.optional()?.is_none());
    Ok(())
}

#[tokio::test]
async fn systems_listed_got_by_id_and_searched() -> Result<(), ppms::Error> {
    let sb = sandbox(0).await;
    let client = Client::builder(sb.url()).api_key("my-key").build()?;
    let systems = client.systems().list().await?;
    assert_eq!(systems.len(), 2);
    let names: Vec<_> = systems.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Confocal 1", "Sorter 2"]);

    let confocal = client.systems().get(17).await?;
    assert_eq!(confocal.name, "Confocal 1");
    assert!(confocal.active);

    let found = client.systems().matching("room b12", "confocal").await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].system_id, ppms::SystemId(17));
    Ok(())
}

#[tokio::test]
async fn an_order_created_once() -> Result<(), ppms::Error> {
    let sb = Sandbox::builder("ppms")
        .cassette("ppms/createorder.json")
        .unwrap()
        .cassette("ppms/getorders.json")
        .unwrap()
        .start()
        .await
        .unwrap();
    let client = Client::builder(sb.url()).api_key("my-key").build()?;
    // the order is created with a marker in its staff comment ...
    let order = NewOrder::new(ServiceId(112), "jdoe", 2);
    let created = client
        .orders()
        .create(&order.clone().staff_comments("ref-2024-0001"))
        .await?;
    assert_eq!(created, OrderRef(48213));
    // ... so that asking again (after a timeout, say) finds it instead of creating another
    let again = client.orders().create_once(&order, "ref-2024-0001").await?;
    assert_eq!(again, CreateOutcome::Existing(OrderRef(48213)));
    let found = client.orders().find_by_marker("ref-2024-0001").await?;
    assert_eq!(found.map(|o| o.order_ref), Some(OrderRef(48213)));
    assert_eq!(sb.count("POST /pumapi/ createorder"), 1, "created once");
    Ok(())
}

#[tokio::test]
async fn the_default_client_needs_no_other_crate_to_be_configured() -> Result<(), ppms::Error> {
    let sb = sandbox(20).await;
    let client = Client::builder(sb.url())
        .api_key("my-key")
        .timeout(std::time::Duration::from_secs(5))
        .retry(ppms::RetryPolicy::default().max_attempts(2))
        .rate_limit(ppms::Quota::per_second(50))
        .build()?;
    let details = client
        .users()
        .details_all(ppms::ActiveFilter::Active, &BulkOptions::default())
        .await?;
    assert_eq!(details.users.len(), 20);
    Ok(())
}

/// `Client::from_env` in a child process whose environment lacks the variables (the test binary
/// runs itself again), so the test never changes its own environment.
#[test]
fn from_env_names_the_missing_variable() {
    const CHILD: &str = "PPMS_NEWCOMER_FROM_ENV_CHILD";
    match std::env::var(CHILD).ok().as_deref() {
        Some("no-url") => {
            let err = Client::from_env().unwrap_err();
            assert!(err.is_invalid_input(), "{err:?}");
            assert_eq!(
                err.core().and_then(|e| e.missing_env_var()),
                Some("PPMS_URL")
            );
            assert!(err.to_string().contains("PPMS_URL"), "{err}");
        }
        Some("no-key") => {
            let err = Client::from_env().unwrap_err();
            assert_eq!(
                err.core().and_then(|e| e.missing_env_var()),
                Some("PPMS_API_KEY")
            );
        }
        Some("complete") => {
            let client = Client::from_env().unwrap();
            assert_eq!(
                client.endpoints().api2.as_str(),
                "https://api2.example.org/x/"
            );
        }
        _ => {
            for (case, url, key) in [
                ("no-url", None, Some("k")),
                ("no-key", Some("https://ppms.example.org/site/"), None),
                (
                    "complete",
                    Some("https://ppms.example.org/site/"),
                    Some("k"),
                ),
            ] {
                let mut child = std::process::Command::new(std::env::current_exe().unwrap());
                child
                    .args(["--exact", "from_env_names_the_missing_variable"])
                    .env(CHILD, case)
                    .env_remove("PPMS_URL")
                    .env_remove("PPMS_API_KEY")
                    .env_remove("PPMS_API2_KEY")
                    .env("PPMS_API2_URL", "https://api2.example.org/x");
                if let Some(url) = url {
                    child.env("PPMS_URL", url);
                }
                if let Some(key) = key {
                    child.env("PPMS_API_KEY", key);
                }
                let out = child.output().unwrap();
                assert!(
                    out.status.success(),
                    "{case}: {}",
                    String::from_utf8_lossy(&out.stdout)
                );
                // the child really ran the test (and did not filter it out)
                assert!(
                    String::from_utf8_lossy(&out.stdout).contains("1 passed"),
                    "{case}"
                );
            }
        }
    }
}

/// On-premises sites often use a private CA: the TLS settings come from this crate alone
/// (`ppms::TlsConfig`, `ppms::TrustRoots`), without naming billing-http-core.
#[tokio::test]
async fn tls_settings_need_only_this_crate() -> Result<(), ppms::Error> {
    let sb = sandbox(3).await;
    let tls = ppms::TlsConfig::default().trust(ppms::TrustRoots::Platform);
    let client = Client::builder(sb.url())
        .api_key("my-key")
        .tls(tls)
        .build()?;
    assert_eq!(client.users().get("user00001").await?.login, "user00001");
    Ok(())
}

/// Ids as in every vendor crate (docs/conventions.md §5): a call taking a login takes a string
/// literal, a `String`, a `&String` or the typed [`ppms::Login`].
#[tokio::test]
async fn a_login_is_an_id_like_any_other() -> Result<(), ppms::Error> {
    let sb = sandbox(5).await;
    let client = Client::builder(sb.url()).api_key("my-key").build()?;
    let owned = String::from("user00002");
    let typed: ppms::Login = "user00002".parse().expect("ids parse infallibly");
    assert_eq!(typed.to_string(), "user00002");
    for user in [
        client.users().get("user00002").await?,
        client.users().get(&owned).await?,
        client.users().get(owned.clone()).await?,
        client.users().get(typed).await?,
    ] {
        assert_eq!(user.login, "user00002");
    }
    Ok(())
}
