//! The soak's fault proxy (`standin::FaultProxy`): each kind of fault does what it says to the
//! ERP behind it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use billing_relay::standin::{FaultProxy, PpmsErp};

async fn create(http: &reqwest::Client, base: &str, n: usize) -> Result<u16, reqwest::Error> {
    let form = [
        ("action", "createorder".to_owned()),
        ("apikey", "k".to_owned()),
        ("login", "jdoe".to_owned()),
        ("serviceid", "112".to_owned()),
        ("quantity", "1".to_owned()),
        ("scomments", format!("line {n}")),
    ];
    let r = http
        .post(format!("{base}pumapi/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await?;
    Ok(r.status().as_u16())
}

#[tokio::test]
async fn faults_before_reading_never_reach_the_erp_and_faults_after_commit_do() {
    let erp = PpmsErp::start("k").await.unwrap();
    let proxy = FaultProxy::start(&erp.url(), 1.0, 42).await.unwrap();
    let http = common::http_client();
    let (mut errors, mut unavailable) = (0, 0);
    for n in 0..60 {
        match create(&http, &proxy.url(), n).await {
            Err(_) => errors += 1,
            Ok(503) => unavailable += 1,
            Ok(other) => panic!("every request faults at rate 1, got {other}"),
        }
    }
    let c = proxy.counts();
    assert_eq!(c.faults(), 60);
    assert_eq!(c.forwarded, 0);
    assert!(
        c.refused_before_reading > 0 && c.reset_after_commit > 0 && c.unavailable_after_commit > 0,
        "{c:?}"
    );
    // refused and reset connections are errors to the client, 503s are answers
    assert_eq!(
        errors as u64,
        c.refused_before_reading + c.reset_after_commit
    );
    assert_eq!(unavailable as u64, c.unavailable_after_commit);
    // the ERP committed exactly the requests faulted after reading
    assert_eq!(
        erp.total_orders() as u64,
        c.reset_after_commit + c.unavailable_after_commit
    );
    assert_eq!(
        erp.total_creates() as u64,
        c.reset_after_commit + c.unavailable_after_commit
    );
}

#[tokio::test]
async fn without_faults_the_proxy_passes_requests_and_answers_through() {
    let erp = PpmsErp::start("k").await.unwrap();
    let proxy = FaultProxy::start(&erp.url(), 0.0, 1).await.unwrap();
    let http = common::http_client();
    for n in 0..5 {
        assert_eq!(create(&http, &proxy.url(), n).await.unwrap(), 200);
    }
    assert_eq!(proxy.counts().forwarded, 5);
    assert_eq!(erp.total_orders(), 5);
    assert_eq!(erp.staff_comments()[4], "line 4");
}
