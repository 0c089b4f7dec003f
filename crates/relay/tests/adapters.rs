//! The adapters against the workspace sandbox and stand-in ERPs: PPMS `createorder` with its
//! marker (the sandbox's stateful PPMS orders), generic HTTP answers → reason codes, Cloudspot
//! product checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use billing_relay::adapters::ppms::marker;
use billing_relay::standin::HttpErp;
use billing_sandbox::{Fault, FaultPlan, Sandbox, Vendor};
use common::{Harness, http_tenant, line, wait_until};

const CREATEORDER: &str = "POST /pumapi/ createorder";

/// A 0600 file holding `value`, in a folder that lives as long as the returned guard.
fn secret_file(value: &str) -> (tempfile::TempDir, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, value).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let shown = path.display().to_string();
    (dir, shown)
}

/// A PPMS tenant against `url`, its key in a 0600 file.
fn ppms_tenant(name: &str, url: &str, key_file: &str, extra: &str, ppms_extra: &str) -> String {
    format!(
        "[tenants.{name}]\nerp = \"ppms\"\nrequest_attempts = 1\n{extra}\n[tenants.{name}.ppms]\nurl = \"{url}\"\napi_key = {{ file = \"{key_file}\" }}\n{ppms_extra}\n"
    )
}

/// The order the sandbox holds for a relay line, read back through the `ppms` crate:
/// `[login, service id, quantity, project]`.
async fn ppms_order(sb: &Sandbox, tenant: &str, unique_id: &str) -> [String; 4] {
    let client = ppms::Client::builder(sb.url())
        .api_key("k")
        .build()
        .unwrap();
    let order = client
        .orders()
        .find_by_marker(&marker(tenant, unique_id))
        .await
        .unwrap()
        .expect("the sandbox holds the order");
    let lines = client.orders().lines(order.order_ref).await.unwrap();
    let l = lines.iter().next().expect("one line");
    [
        order.user.clone().unwrap_or_default(),
        l.service_id.map(|s| s.to_string()).unwrap_or_default(),
        l.quantity
            .map(|q| q.normalize().to_string())
            .unwrap_or_default(),
        order.project_ref.clone().unwrap_or_default(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ppms_createorder_carries_mapped_service_login_exact_quantity_and_marker() {
    let sb = Sandbox::start(Vendor::Ppms).await.unwrap();
    let (_keys, key) = secret_file("sandbox-key");
    let extra = "[tenants.pp.products]\nmap = { \"OIL-5W30\" = \"112\" }\n";
    let h = Harness::start(
        &ppms_tenant("pp", &sb.url(), &key, extra, "case_is = \"login\""),
        vec![],
    )
    .await;
    let body =
        r#"{"unique_id":"PP-1","case_nr":"jdoe","product_nr":"OIL-5W30","product_amount":"2.50"}"#;
    assert_eq!(h.submit("pp", body).await.status, 202);
    let r = h.wait_status("pp", "PP-1", "completed").await;
    assert!(
        r.body["erp_reference"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok(),
        "{}",
        r.raw
    );
    assert_eq!(
        ppms_order(&sb, "pp", "PP-1").await,
        ["jdoe", "112", "2.5", ""]
    );
    assert_eq!(sb.count(CREATEORDER), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ppms_project_case_is_ordered_for_the_configured_login() {
    let sb = Sandbox::start(Vendor::Ppms).await.unwrap();
    let (_keys, key) = secret_file("sandbox-key");
    let h = Harness::start(
        &ppms_tenant(
            "pp",
            &sb.url(),
            &key,
            "",
            "case_is = \"project\"\nlogin = \"facility\"",
        ),
        vec![],
    )
    .await;
    let body = r#"{"unique_id":"PJ-1","case_nr":42,"product_nr":7,"product_amount":1}"#;
    assert_eq!(h.submit("pp", body).await.status, 202);
    h.wait_status("pp", "PJ-1", "completed").await;
    assert_eq!(
        ppms_order(&sb, "pp", "PJ-1").await,
        ["facility", "7", "1", "42"]
    );
    // a case that is no project id fails before anything is sent
    let bad = r#"{"unique_id":"PJ-2","case_nr":"jdoe","product_nr":7,"product_amount":1}"#;
    assert_eq!(h.submit("pp", bad).await.status, 202);
    let r = h.wait_status("pp", "PJ-2", "failed").await;
    assert_eq!(r.body["reason_code"], "invalid_case");
    assert_eq!(sb.count(CREATEORDER), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ppms_q38_uncertain_createorder_is_found_by_its_marker_not_sent_again() {
    // the sandbox creates the order, then resets the connection: the answer is lost
    let sb = Sandbox::stable(Vendor::Ppms)
        .faults_on(
            CREATEORDER,
            FaultPlan::sequence([Some(Fault::ConnectionReset)]),
        )
        .start()
        .await
        .unwrap();
    let (_keys, key) = secret_file("sandbox-key");
    let h = Harness::start(
        &ppms_tenant("pp", &sb.url(), &key, "", "case_is = \"login\""),
        vec![],
    )
    .await;
    assert_eq!(h.submit("pp", &line("PU-1", "3")).await.status, 202);
    assert!(wait_until(|| async { sb.count(CREATEORDER) == 1 }).await);
    let r = h.wait_status("pp", "PU-1", "received").await;
    assert_eq!(r.body["reason_code"], "erp_unavailable", "{}", r.raw);
    h.clock.advance(Duration::from_secs(5));
    let r = h.wait_status("pp", "PU-1", "completed").await;
    assert!(r.body["erp_reference"].is_string());
    assert_eq!(
        sb.count(CREATEORDER),
        1,
        "found through getorders, never sent again"
    );
    assert_eq!(ppms_order(&sb, "pp", "PU-1").await[0], "jdoe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ppms_service_that_is_no_number_is_invalid_product() {
    let sb = Sandbox::start(Vendor::Ppms).await.unwrap();
    let (_keys, key) = secret_file("sandbox-key");
    let h = Harness::start(
        &ppms_tenant("pp", &sb.url(), &key, "", "case_is = \"login\""),
        vec![],
    )
    .await;
    let body = r#"{"unique_id":"PN-1","case_nr":"jdoe","product_nr":"OIL","product_amount":1}"#;
    assert_eq!(h.submit("pp", body).await.status, 202);
    let r = h.wait_status("pp", "PN-1", "failed").await;
    assert_eq!(r.body["reason_code"], "invalid_product");
    assert_eq!(sb.count(CREATEORDER), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_answers_map_to_reason_codes() {
    let erp = HttpErp::start(false).await.unwrap();
    let h = Harness::start(&http_tenant("web", &erp, true, ""), vec![]).await;
    erp.set_status(Some(422));
    assert_eq!(h.submit("web", &line("H-422", "1")).await.status, 202);
    let r = h.wait_status("web", "H-422", "failed").await;
    assert_eq!(r.body["reason_code"], "erp_rejected");
    assert!(
        r.body["reason"]
            .as_str()
            .unwrap()
            .contains("injected status 422"),
        "{}",
        r.raw
    );
    // 409: the ERP already has the line
    erp.set_status(Some(409));
    assert_eq!(h.submit("web", &line("H-409", "1")).await.status, 202);
    h.wait_status("web", "H-409", "completed").await;
    erp.set_status(None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honoured_idempotency_key_lets_an_uncertain_push_be_sent_again() {
    let erp = HttpErp::start(true).await.unwrap();
    erp.set_status_after_commit(Some(503));
    let h = Harness::start(
        &http_tenant("web", &erp, false, "").replace(
            "[tenants.web.http]\n",
            "[tenants.web.http]\nhonours_idempotency_key = true\n",
        ),
        vec![],
    )
    .await;
    assert_eq!(h.submit("web", &line("IK-1", "1")).await.status, 202);
    assert!(wait_until(|| async { erp.pushes("IK-1") == 1 }).await);
    h.wait_status("web", "IK-1", "received").await;
    erp.set_status_after_commit(None);
    h.clock.advance(Duration::from_secs(5));
    h.wait_status("web", "IK-1", "completed").await;
    assert_eq!((erp.pushes("IK-1"), erp.held("IK-1")), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudspot_skus_gate_the_push_of_another_erp() {
    let sandbox = Sandbox::start(Vendor::Cloudspot).await.unwrap();
    let erp = HttpErp::start(false).await.unwrap();
    let (_tokens, token) = secret_file("cloudspot-company-token");
    let check = format!(
        "[tenants.web.cloudspot]\ntoken = {{ file = \"{token}\" }}\nurl = \"{}\"\n",
        sandbox.url()
    );
    let h = Harness::start(
        &format!("{}{check}", http_tenant("web", &erp, true, "")),
        vec![],
    )
    .await;
    let known =
        r#"{"unique_id":"CS-1","case_nr":"c","product_nr":"VB-5W30-01","product_amount":1}"#;
    let unknown =
        r#"{"unique_id":"CS-2","case_nr":"c","product_nr":"NOT-A-SKU","product_amount":1}"#;
    assert_eq!(h.submit("web", known).await.status, 202);
    assert_eq!(h.submit("web", unknown).await.status, 202);
    h.wait_status("web", "CS-1", "completed").await;
    let r = h.wait_status("web", "CS-2", "failed").await;
    assert_eq!(r.body["reason_code"], "invalid_product");
    assert_eq!((erp.pushes("CS-1"), erp.pushes("CS-2")), (1, 0));
    assert_eq!(
        sandbox.count("GET /artikels/"),
        1,
        "the article list is reused"
    );
}
