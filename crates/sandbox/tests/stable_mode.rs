//! Stable mode: every recorded request answers the same way every time, recorded faults are
//! never served, and faults come only when a request asks for one.
#![allow(clippy::unwrap_used)]

use billing_http_core::cassette::{Cassette, RecordedRequest};
use billing_sandbox::{FAULT_HEADER, Sandbox, Vendor, embedded_cassettes};

fn http() -> reqwest::Client {
    // No pooling: a connection closed by a fault must not be reused by the next request.
    // (http-core's TLS settings: the workspace's reqwest has no process-wide crypto provider.)
    billing_http_core::TlsConfig::default()
        .reqwest_builder()
        .unwrap()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// The wire request of a recorded one (secret fields keep their placeholder: they are not
/// compared).
fn request(sb: &Sandbox, r: &RecordedRequest) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
    let mut b = http().request(method, sb.url_for(&r.path)).query(&r.query);
    if let Some(form) = &r.form {
        b = b.form(form);
    } else if let Some(json) = &r.json {
        b = b
            .header("content-type", "application/json")
            .body(json.to_string());
    }
    b
}

#[tokio::test]
async fn cloudspot_artikels_list_answers_identically_100_times_in_stable_mode() {
    // Recordings only (the regression was in choosing among them) and with the defaults.
    for sb in [
        Sandbox::stable(Vendor::Cloudspot)
            .without_synthetic()
            .start()
            .await
            .unwrap(),
        Sandbox::start(Vendor::Cloudspot).await.unwrap(),
    ] {
        let mut answers = Vec::new();
        for _ in 0..100 {
            let r = http().get(sb.url_for("artikels/")).send().await.unwrap();
            let status = r.status().as_u16();
            let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
            answers.push((status, content_type, r.text().await.unwrap()));
        }
        assert_eq!(answers[0].0, 200, "{}", answers[0].2);
        assert_eq!(answers[0].1, "application/json");
        assert!(answers[0].2.contains("\"data\""), "{}", answers[0].2);
        assert!(answers.iter().all(|a| *a == answers[0]), "answers differ");
        assert_eq!(sb.count("GET /artikels/"), 100);
    }
}

fn same_request(a: &RecordedRequest, b: &RecordedRequest) -> bool {
    // Recorded secrets all hold the same placeholder, so plain equality compares the rest.
    (&a.method, &a.path, &a.query, &a.form, &a.json)
        == (&b.method, &b.path, &b.query, &b.form, &b.json)
}

fn is_fault(status: u16, html: bool) -> bool {
    status >= 500 || status == 429 || status == 408 || html
}

/// Every recorded request of every vendor, sent twice to a stable sandbox serving recordings
/// only, gets the same answer both times, and never a fault (5xx, 408, 429, HTML page) when
/// something else was recorded for the same request.
#[tokio::test]
async fn every_recorded_request_answers_deterministically_without_recorded_faults() {
    for vendor in Vendor::ALL {
        let sb = Sandbox::stable(vendor)
            .without_synthetic()
            .start()
            .await
            .unwrap();
        let cassettes: Vec<Cassette> = embedded_cassettes(vendor.name())
            .iter()
            .map(|name| Cassette::load_fixture(name).unwrap())
            .collect();
        let interactions: Vec<_> = cassettes.iter().flat_map(|c| &c.interactions).collect();
        for i in &interactions {
            let mut seen = Vec::new();
            for _ in 0..2 {
                let r = request(&sb, &i.request).send().await.unwrap();
                let status = r.status().as_u16();
                let html = r
                    .headers()
                    .get("content-type")
                    .is_some_and(|t| t.to_str().unwrap_or("").contains("html"));
                seen.push((status, html, r.bytes().await.unwrap()));
            }
            assert_eq!(seen[0], seen[1], "{vendor} {:?}", i.request);
            let (status, html, _) = &seen[0];
            assert_ne!(
                *status, 501,
                "{vendor}: a recorded request missed: {:?}",
                i.request
            );
            let recorded_alternative = interactions.iter().any(|other| {
                same_request(&other.request, &i.request)
                    && !is_fault(
                        other.response.status,
                        other
                            .response
                            .headers
                            .get("content-type")
                            .is_some_and(|t| t.contains("html")),
                    )
            });
            assert!(
                !(is_fault(*status, *html) && recorded_alternative),
                "{vendor}: a recorded fault ({status}) answered {:?}",
                i.request
            );
        }
        assert!(
            interactions.len() > 5,
            "{vendor}: only {} requests",
            interactions.len()
        );
        assert!(sb.misses().is_empty(), "{:?}", sb.misses());
    }
}

#[tokio::test]
async fn a_request_asks_for_its_own_fault_by_header_query_flag_or_url() {
    let sb = Sandbox::start(Vendor::Cloudspot).await.unwrap();
    let statuses = async |url: &str, header: Option<&str>| {
        let mut out = Vec::new();
        for _ in 0..3 {
            let mut b = http().get(url);
            if let Some(h) = header {
                b = b.header(FAULT_HEADER, h);
            }
            out.push(b.send().await.map(|r| r.status().as_u16()).unwrap_or(0));
        }
        out
    };
    let list = sb.url_for("artikels/");
    assert_eq!(statuses(&list, Some("503;times=2")).await, [503, 503, 200]);
    assert_eq!(statuses(&list, Some("502")).await, [502, 502, 502]);
    let flagged = sb.url_for("artikels/?x-sandbox-fault=500;times=1");
    assert_eq!(statuses(&flagged, None).await, [500, 200, 200]);
    let base = sb.url_with_fault("reset;times=1");
    assert_eq!(
        statuses(&format!("{base}artikels/"), None).await,
        [0, 200, 200]
    );

    let r = http()
        .get(&list)
        .header(FAULT_HEADER, "429;retry-after=7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "7");

    let r = http()
        .get(&list)
        .header(FAULT_HEADER, "teapot")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 501);
    assert_eq!(r.headers()[billing_sandbox::MISS_HEADER], "1");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("cannot understand fault `teapot`")
    );
    // Flags and path segments never reach matching: no miss besides the bad spec.
    assert_eq!(sb.misses().len(), 1, "{:?}", sb.misses());
    assert_eq!(sb.count("GET /artikels/"), 3 * 4 + 2);
}

#[tokio::test(start_paused = true)]
async fn slow_fault_delays_the_normal_answer() {
    let sb = Sandbox::start(Vendor::Cloudspot).await.unwrap();
    let t0 = tokio::time::Instant::now();
    let r = http()
        .get(sb.url_for("artikels/"))
        .header(FAULT_HEADER, "slow=30s")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(t0.elapsed() >= std::time::Duration::from_secs(30));
}

#[tokio::test]
async fn started_together_vendors_share_one_port_under_their_names() {
    let all = Sandbox::start_together(Vendor::ALL.map(|v| Sandbox::stable(v).without_synthetic()))
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|sb| sb.addr() == all[0].addr()));
    let cloudspot = &all[2];
    assert!(
        cloudspot.url().ends_with("/cloudspot/"),
        "{}",
        cloudspot.url()
    );
    let r = http()
        .get(cloudspot.url_for("artikels/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(cloudspot.count("GET /artikels/"), 1);
    let r = http()
        .get(format!("http://{}/nowhere/", all[0].addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 501);
    assert!(r.text().await.unwrap().contains("/pax8/"));
}
