//! Every cassette `fixtures/ppms/*.json` replayed through the real client with
//! `billing_http_core::cassette::ReplayTransport`, with an insta snapshot of the decoded result (or of
//! the typed error, for error cases). Every recorded interaction must be used.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use billing_http_core::cassette::{Cassette, ReplayTransport};
use billing_http_core::clock::Clock;
use chrono::NaiveDate;
use futures::future::BoxFuture;
use ppms::{
    ActiveFilter, Client, CoreFacilityId, ExperienceFilter, GroupParams, InvoiceDetailsOptions,
    InvoiceTrackingFilter, NewOrder, OrderRef, ProjectId, ProjectParams, ReportId, Reports,
    RightType, ServiceId, Severity, SystemId, UserParams,
};
use serde::Serialize;
use serde_json::{Value, json};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ppms")
}

#[derive(Debug)]
struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> std::time::Instant {
        std::time::Instant::now()
    }
    fn system_now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_499_200) // 2030-01-01T12:00:00Z
    }
    fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

fn client(replay: Arc<ReplayTransport>) -> Client {
    Client::builder("http://replay.invalid/")
        .api_key("test-key")
        .api2_key("test-api2-key")
        .reports(Reports::new().with("order_search", ReportId::new("Report2167")))
        .transport(replay)
        .clock(Arc::new(FixedClock))
        .build()
        .unwrap()
}

fn out<T: Serialize>(r: Result<T, ppms::Error>) -> Value {
    match r {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "error": format!("{e:?}"), "display": e.to_string() }),
    }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 5, d).unwrap()
}

/// Runs the call a scenario was recorded for.
async fn run(scenario: &str, c: &Client) -> Value {
    let sys = SystemId(17);
    match scenario {
        "auth_check_key" | "auth_check_key_rejected" => out(c.check_key().await),
        "auth_user" | "auth_user_refused" => out(c
            .users()
            .authenticate("jdoe", &"secret-password".to_owned().into(), false)
            .await),
        "getusers_all" | "getusers_not_authorized" => out(c.users().list(ActiveFilter::All).await),
        "getusers_active" => out(c.users().list(ActiveFilter::Active).await),
        "getusers_inactive" => out(c.users().list(ActiveFilter::Inactive).await),
        "getuser" => out(c.users().get("jdoe").await),
        "getuser_unknown" | "getuser_blank_lines" => out(c.users().get("zz_nobody").await),
        "getuser_entities" => out(c.users().get("jobrien").await),
        "getadmins" => out(c.users().admins().await),
        "newuser" => out(c
            .users()
            .create(&UserParams::new(
                "bwong",
                "Wong",
                "Ben",
                "ben.wong@example.org",
                "doe_lab",
            ))
            .await),
        "newuser_exists" => out(c
            .users()
            .create(&UserParams::new(
                "jdoe",
                "Doe",
                "Jane",
                "jane.doe@example.org",
                "doe_lab",
            ))
            .await),
        "upduser" => {
            let mut p = UserParams::update("jdoe");
            p.phone = Some("+1 555 0199".into());
            out(c.users().update(&p).await)
        }
        "getgroups" => out(c.groups().list(ActiveFilter::All).await),
        "getgroup" => out(c.groups().get("doe_lab").await),
        "getgroup_unknown" => out(c.groups().get("ghost_lab").await),
        "getgroupusers" => out(c.groups().members("doe_lab", ActiveFilter::All).await),
        "getgroupusers_unknown_group" => out(c
            .groups()
            .members_checked("ghost_lab", ActiveFilter::All)
            .await),
        "newgroup" => {
            let mut p = GroupParams::new("roe_lab");
            p.unitname = Some("Roe Lab".into());
            p.unitbcode = Some("ROE-001".into());
            out(c.groups().create(&p).await)
        }
        "updgroup" => {
            let mut p = GroupParams::new("roe_lab");
            p.active = Some(false);
            out(c.groups().update(&p).await)
        }
        "getsystems"
        | "getsystems_bad_row"
        | "getsystems_trailing_space"
        | "getsystems_503_then_ok" => out(c.systems().list().await),
        "getsystem" => out(c.systems().get(sys).await),
        "getsysrights" | "getsysrights_malformed" => out(c.systems().rights(sys).await),
        "getuserrights" => out(c.systems().user_rights("jdoe").await),
        "setright" => out(c.systems().set_right(sys, "jdoe", RightType::Novice).await),
        "setright_invalid_id" => out(c
            .systems()
            .set_right(SystemId(0), "jdoe", RightType::Autonomous)
            .await),
        "setright_invalid_id_legacy" => out(c
            .systems()
            .set_right(SystemId(0), "asmith", RightType::Autonomous)
            .await),
        "setright_invalid_user" => out(c
            .systems()
            .set_right(sys, "zz_nobody", RightType::Autonomous)
            .await),
        "getbooking" => out(c.bookings().current(sys).await),
        "getbooking_none" => out(c.bookings().current(SystemId(18)).await),
        "nextbooking" => out(c.bookings().next(sys).await),
        "nextbooking_none" => out(c.bookings().next(SystemId(18)).await),
        "getrunningsheet" => out(c.bookings().running_sheet(CoreFacilityId(3), day(10)).await),
        "getrunningsheet_empty" => {
            out(c.bookings().running_sheet(CoreFacilityId(3), day(11)).await)
        }
        "getuserexp" => out(c
            .bookings()
            .experience(&ExperienceFilter::login("jdoe"))
            .await),
        "getprojects" => out(c.projects().list().await),
        "getuserprojects" => out(c.projects().of_user("jdoe").await),
        "getprojectusers" => out(c.projects().users(ProjectId(42)).await),
        "getprojectgroups" => out(c.projects().groups(ProjectId(42)).await),
        "getbcodes" => out(c.projects().billing_codes().await),
        "getservices" => out(c.orders().services(Some(CoreFacilityId(3))).await),
        "getpriceslist" => out(c.orders().price_list().await),
        "createorder" => out(c
            .orders()
            .create(&NewOrder::new(ServiceId(112), "jdoe", 2).staff_comments("ref-2024-0001"))
            .await),
        "createorder_rejected" => out(c
            .orders()
            .create(&NewOrder::new(ServiceId(999), "jdoe", 1))
            .await),
        "createorder_once_existing" => out(c
            .orders()
            .create_once(&NewOrder::new(ServiceId(112), "jdoe", 2), "ref-2024-0001")
            .await
            .map(|o| format!("{o:?}"))),
        "getorders" => out(c.orders().list().await),
        "getorderlines" => out(c.orders().lines(OrderRef(48213)).await),
        "getinvoicelist" => out(c.invoices().list().await),
        "getinvoice" => out(c.invoices().get("PPMS2-ExampleCore-20240131-DRAFT").await),
        "getinvoicedetails" => {
            let d = c
                .invoices()
                .details(
                    "PPMS2-ExampleCore-20240131-DRAFT",
                    &InvoiceDetailsOptions::default(),
                )
                .await;
            let total = d.as_ref().ok().map(|d| d.total().map(|t| t.to_string()));
            json!({ "details": out(d), "total": format!("{total:?}") })
        }
        "getinvtracklist" => out(c
            .invoices()
            .tracking(Some(InvoiceTrackingFilter::Unpaid))
            .await),
        "setinvtracksent" => out(c.invoices().mark_sent("7").await),
        "createinc" => out(c
            .incidents()
            .create(sys, Severity::Medium, "laser unstable")
            .await),
        "getinc" => out(c.incidents().list(sys).await),
        "raw_getmanifestlist" => out(c.raw_read("getmanifestlist", &[("id", "3")]).await),
        "api2_getsessionslist" => {
            let s = c.api2().sessions(day(10), CoreFacilityId(3), None).await;
            let starts: Vec<String> = s
                .as_ref()
                .map(|v| v.iter().map(|s| format!("{:?}", s.start_time())).collect())
                .unwrap_or_default();
            json!({ "sessions": out(s), "start_times": starts })
        }
        "api2_getuserslist" => out(c.api2().users(CoreFacilityId(3)).await),
        "api2_getgroupslist" | "api2_not_json" => out(c.api2().groups().await),
        "api2_getppmsaccounts" => out(c.api2().accounts(CoreFacilityId(3)).await),
        "api2_report" => out(c
            .api2()
            .report::<serde_json::Map<String, Value>>(
                "order_search",
                &[("coreid", "3"), ("comment_contains", "ref-2024-0001")],
            )
            .await),
        "newproject" => {
            let mut p = ProjectParams::default();
            p.core = Some(CoreFacilityId(3));
            p.name = Some("Imaging study".into());
            p.bcode = Some("ACC-1".into());
            p.active = Some(true);
            out(c.projects().create(&p).await)
        }
        "updproject" => {
            let mut p = ProjectParams::default();
            p.phase = Some("Closed".into());
            out(c.projects().update(ProjectId(42), &p).await)
        }
        "addprojectentry" => out(c
            .projects()
            .add_entry(ProjectId(42), "Kick-off", "Samples received")
            .await),
        "addvalidbcode" => {
            let until = NaiveDate::from_ymd_opt(2030, 12, 31).unwrap();
            out(c.projects().add_valid_bcode("ACC-9", until).await)
        }
        "delvalidbcode" => out(c.projects().remove_valid_bcode("ACC-9").await),
        "addsampleresult" => out(c.add_sample_result("S-100", "Yield", "42 ng").await),
        "api2_setsessionbooking" => out(c
            .api2()
            .book_session(&[
                ("coreid", "3"),
                ("systemid", "17"),
                ("user", "101"),
                ("start", "2030-05-10T08:00:00"),
                ("end", "2030-05-10T10:00:00"),
            ])
            .await),
        "api2_setsessiondelete" => out(c.api2().delete_session(CoreFacilityId(3), "210036").await),
        other => panic!("no runner for cassette {other}: add one to tests/fixtures.rs"),
    }
}

fn scenarios() -> BTreeSet<String> {
    std::fs::read_dir(fixtures_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn every_cassette_replays_and_matches_its_snapshot() {
    let all = scenarios();
    assert!(
        all.len() >= 60,
        "expected the full set of cassettes, found {}",
        all.len()
    );
    for scenario in all {
        let cassette = Cassette::load_fixture(&format!("ppms/{scenario}.json")).unwrap();
        assert_eq!(cassette.vendor, "ppms");
        assert_eq!(cassette.scenario, scenario);
        let replay =
            Arc::new(ReplayTransport::new(cassette).with_config(ppms::recording::scrub_config()));
        let result = run(&scenario, &client(replay.clone())).await;
        if let Err(unused) = replay.verify() {
            panic!("{scenario}: {unused:?}");
        }
        insta::with_settings!({ snapshot_suffix => scenario.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("fixture", serde_json::to_string_pretty(&result).unwrap());
        });
    }
}

#[test]
fn cassettes_are_in_canonical_form() {
    for scenario in scenarios() {
        let path = fixtures_dir().join(format!("{scenario}.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        let canonical = Cassette::load(&path).unwrap().to_json();
        if text != canonical && std::env::var_os("PPMS_REWRITE_FIXTURES").is_some() {
            std::fs::write(&path, &canonical).unwrap();
            continue;
        }
        assert_eq!(
            text, canonical,
            "{scenario}.json is not canonical (PPMS_REWRITE_FIXTURES=1 rewrites it)"
        );
    }
}
