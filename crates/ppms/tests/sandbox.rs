//! Behaviour against the sandbox: the whole stack (reqwest, retries, classification) over real
//! HTTP on 127.0.0.1, with injected faults and synthetic users.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use billing_http_core::retry::RetryPolicy;
use billing_sandbox::{Fault, FaultPlan, Sandbox, Synthetic};
use ppms::{ActiveFilter, BulkOptions, Client, Error, NewOrder, ServiceId};

/// A sandbox serving one cassette, with the first request answered by `first` if given.
async fn serve(cassette: &str, first: Option<Fault>) -> Sandbox {
    let mut b = Sandbox::builder("ppms").cassette(cassette).unwrap();
    if let Some(fault) = first {
        b = b.faults(FaultPlan::sequence([Some(fault), None]));
    }
    b.start().await.unwrap()
}

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(sandbox.url())
        .api_key("sandbox")
        .retry(
            RetryPolicy::default()
                .initial_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .no_rate_limit()
        .build()
        .unwrap()
}

#[tokio::test]
async fn auth_failure_arrives_as_http_200_and_is_not_authorized() {
    let sb = Sandbox::builder("ppms")
        .cassette("ppms/getusers_not_authorized.json")
        .unwrap()
        .scrub_config(ppms::recording::scrub_config())
        .start()
        .await
        .unwrap();
    let err = client(&sb)
        .users()
        .list(ActiveFilter::All)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAuthorized { .. }), "{err:?}");
    assert_eq!(
        sb.count("POST /pumapi/ getusers"),
        1,
        "an auth failure is not retried"
    );
}

#[tokio::test]
async fn retries_503_then_succeeds() {
    let sb = serve("ppms/getsystems.json", Some(Fault::Status(503))).await;
    let systems = client(&sb).systems().list().await.unwrap();
    assert_eq!(systems.len(), 2);
    assert_eq!(sb.count("POST /pumapi/ getsystems"), 2);
}

#[tokio::test]
async fn retries_a_connection_reset_on_a_read() {
    let sb = serve("ppms/getuser.json", Some(Fault::ConnectionReset)).await;
    let user = client(&sb).users().get("jdoe").await.unwrap();
    assert_eq!(user.login, "jdoe");
    assert_eq!(sb.count("POST /pumapi/ getuser"), 2);
}

#[tokio::test]
async fn never_retries_createorder_after_a_timeout() {
    let sb = Sandbox::builder("ppms")
        .cassette("ppms/createorder.json")
        .unwrap()
        .latency(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let c = Client::builder(sb.url())
        .api_key("sandbox")
        .timeout(Duration::from_millis(150))
        .no_rate_limit()
        .build()
        .unwrap();
    let order = NewOrder::new(ServiceId(112), "jdoe", 2).staff_comments("ref-2024-0001");
    let err = c.orders().create(&order).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.is_timeout());
    assert_eq!(sb.count("POST /pumapi/ createorder"), 1);
}

#[tokio::test]
async fn never_retries_createorder_after_a_connection_reset() {
    let sb = serve("ppms/createorder.json", Some(Fault::ConnectionReset)).await;
    let order = NewOrder::new(ServiceId(112), "jdoe", 2).staff_comments("ref-2024-0001");
    let err = client(&sb).orders().create(&order).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(sb.count("POST /pumapi/ createorder"), 1);
}

#[tokio::test]
async fn html_maintenance_page_with_200_is_an_unexpected_response_not_data() {
    let sb = serve(
        "ppms/getuser.json",
        Some(Fault::HtmlErrorPage { status: 200 }),
    )
    .await;
    let err = client(&sb).users().get("jdoe").await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
}

#[tokio::test]
async fn html_page_is_never_read_as_a_login_list() {
    let sb = serve(
        "ppms/getusers_all.json",
        Some(Fault::HtmlErrorPage { status: 200 }),
    )
    .await;
    let err = client(&sb)
        .users()
        .list(ActiveFilter::All)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
}

#[tokio::test]
async fn bulk_details_of_synthetic_users_over_http() {
    let sb = Sandbox::builder("ppms")
        .synthetic(Synthetic::ppms_users(120))
        .latency(Duration::from_millis(2))
        .start()
        .await
        .unwrap();
    let c = client(&sb);
    let d = c
        .users()
        .details_all(
            ActiveFilter::Active,
            &BulkOptions::default().concurrency(16),
        )
        .await
        .unwrap();
    assert_eq!(d.users.len(), 120);
    assert!(d.failures.is_empty());
    assert_eq!(d.users[0].login, "user00000");
    assert_eq!(sb.count("POST /pumapi/ getuser"), 120);
    assert_eq!(sb.count("POST /pumapi/ getusers"), 1);
}

#[tokio::test]
async fn server_rate_limit_429_is_waited_out_and_retried() {
    let sb = Sandbox::builder("ppms")
        .cassette("ppms/getsystems.json")
        .unwrap()
        .rate_limit(1, Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let c = client(&sb);
    assert_eq!(c.systems().list().await.unwrap().len(), 2);
    assert_eq!(c.systems().list().await.unwrap().len(), 2);
    assert!(
        sb.count("POST /pumapi/ getsystems") >= 3,
        "the 429 was answered and retried: {:?}",
        sb.counts()
    );
}

#[tokio::test]
async fn large_body_actions_use_their_own_timeout() {
    let sb = Sandbox::builder("ppms")
        .cassette("ppms/getrunningsheet.json")
        .unwrap()
        .cassette("ppms/getsystems.json")
        .unwrap()
        .latency(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let c = Client::builder(sb.url())
        .api_key("sandbox")
        .timeout(Duration::from_millis(100))
        .large_body_timeout(Duration::from_secs(10))
        .retry(RetryPolicy::never())
        .no_rate_limit()
        .build()
        .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2030, 5, 10).unwrap();
    let sheet = c
        .bookings()
        .running_sheet(ppms::CoreFacilityId(3), day)
        .await
        .unwrap();
    assert_eq!(sheet.len(), 2);
    assert!(c.systems().list().await.unwrap_err().is_timeout());
}

/// Fetches `cassette` with a `*_table` call and with its `Parsed` twin: the same rows (at least
/// one) and warnings.
macro_rules! same_rows {
    ($cassette:expr, $group:ident, $table:ident, $parsed:ident ( $($arg:expr),* )) => {{
        let sb = serve($cassette, None).await;
        let c = client(&sb);
        let table = c.$group().$table($($arg),*).await.unwrap();
        assert!(!table.is_empty(), "{}", $cassette);
        let parsed = c.$group().$parsed($($arg),*).await.unwrap();
        assert_eq!(table.into_parsed(), parsed, "{}", $cassette);
    }};
}

/// Each `*_table` call gives, through the whole stack, the rows and warnings of its `Parsed`
/// twin, on the recorded bodies (one with a bad row, `getorders` with its header on line 2).
#[tokio::test]
async fn table_calls_give_the_rows_of_their_parsed_twins() {
    same_rows!("ppms/getsystems.json", systems, list_table, list());
    same_rows!("ppms/getsystems_bad_row.json", systems, list_table, list());
    same_rows!("ppms/getorders.json", orders, list_table, list());
    same_rows!(
        "ppms/getpriceslist.json",
        orders,
        price_list_table,
        price_list()
    );
    same_rows!("ppms/getprojects.json", projects, list_table, list());
    let unpaid = Some(ppms::InvoiceTrackingFilter::Unpaid);
    same_rows!(
        "ppms/getinvtracklist.json",
        invoices,
        tracking_table,
        tracking(unpaid)
    );
}

/// Fetches `cassette` with a `*_lines` call and with its `Vec<String>` twin: the same values
/// (at least one), or the same error.
macro_rules! same_values {
    ($cassette:expr, $group:ident, $lines:ident, $vec:ident ( $($arg:expr),* )) => {{
        let sb = serve($cassette, None).await;
        let c = client(&sb);
        let lines = c.$group().$lines($($arg),*).await;
        let vec = c.$group().$vec($($arg),*).await;
        match (lines, vec) {
            (Ok(lines), Ok(vec)) => {
                assert!(!lines.is_empty(), "{}", $cassette);
                assert_eq!(lines.into_vec(), vec, "{}", $cassette);
            }
            (Err(lines), Err(vec)) => assert_eq!(lines.to_string(), vec.to_string()),
            (lines, vec) => panic!("{}: {lines:?} against {vec:?}", $cassette),
        }
    }};
}

/// Each `*_lines` call gives, through the whole stack, the values of its `Vec<String>` twin on
/// the recorded bodies, and the same error for an error body.
#[tokio::test]
async fn line_calls_give_the_values_of_their_vec_twins() {
    use ppms::ActiveFilter;
    same_values!(
        "ppms/getusers_all.json",
        users,
        list_lines,
        list(ActiveFilter::All)
    );
    same_values!(
        "ppms/getusers_active.json",
        users,
        list_lines,
        list(ActiveFilter::Active)
    );
    same_values!(
        "ppms/getusers_not_authorized.json",
        users,
        list_lines,
        list(ActiveFilter::All)
    );
    same_values!("ppms/getadmins.json", users, admins_lines, admins());
    same_values!(
        "ppms/getgroups.json",
        groups,
        list_lines,
        list(ActiveFilter::All)
    );
    same_values!(
        "ppms/getgroupusers.json",
        groups,
        members_lines,
        members("doe_lab", ActiveFilter::All)
    );
    same_values!(
        "ppms/getprojectusers.json",
        projects,
        users_lines,
        users(42)
    );
    same_values!("ppms/getinvoicelist.json", invoices, list_lines, list());
}
