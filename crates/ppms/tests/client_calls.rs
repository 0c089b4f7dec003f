//! Request shapes and decoding of every call, with a scripted in-process transport (no
//! sockets). Quirk tests are named after their id.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use billing_http_core::clock::Clock;
use billing_http_core::retry::RetryPolicy;
use billing_http_core::transport::{TransportError, TransportErrorKind};
use billing_http_core::{HttpResponse, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use futures::future::BoxFuture;
use ppms::testing::{ScriptedTransport, ok};
use ppms::{
    ActiveFilter, BulkOptions, Client, CoreFacilityId, Error, InitialOrderState, MemoryUserCache,
    NewOrder, ReportId, Reports, RightType, ServiceId, SystemId, UserParams,
};

const GETUSER: &str = "login,lname,fname,email,phone,bcode,affiliation,unitlogin,mustchpwd,mustchbcode,active\r\n\"jdoe\",\"Doe\",\"Jane\",\"jane.doe@example.org\",\"+1 555 0100\",\"\",\"\",\"doe_lab\",false,false,true\r\n";
const GETGROUP: &str = "unitlogin,unitname,headname,heademail,unitbcode,department,institution,address,affiliation,ext,active,admname,admemail,creationdate\r\n\"doe_lab\",\"Doe Lab\",\"Jane Doe\",\"jane.doe@example.org\",\"DOE-001\",\"Cell Biology\",\"Example University\",\"Building 4|Main Street 1\",\"\",false,true,\"\",\"\",\"2021/03/15\",\"\",\r\n";

fn client(t: &ScriptedTransport) -> Client {
    Client::builder("https://ppms.example.org/site")
        .api_key("test-key")
        .api2_key("api2-key")
        .transport(Arc::new(t.clone()))
        .no_rate_limit()
        .build()
        .unwrap()
}

#[tokio::test]
async fn requests_are_form_posts_to_pumapi_with_the_key_in_the_form() {
    let t = ScriptedTransport::always("jdoe\r\n");
    client(&t).users().list(ActiveFilter::All).await.unwrap();
    let seen = &t.seen()[0];
    assert_eq!(seen.url, "https://ppms.example.org/site/pumapi/");
    assert_eq!(seen.field("action"), Some("getusers"));
    assert_eq!(seen.field("apikey"), Some("test-key"));
    assert!(!format!("{:?}", client(&t)).contains("test-key"));
}

#[tokio::test]
async fn ppms_q01_error_body_for_getusers_is_not_authorized() {
    let t = ScriptedTransport::always("error: request not authorized\r\n");
    let err = client(&t)
        .users()
        .list(ActiveFilter::All)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotAuthorized { ref action, .. } if action == "getusers"),
        "{err:?}"
    );
    assert!(err.is_auth());
    assert_eq!(t.calls(), 1, "auth errors are not retried");
}

#[tokio::test]
async fn ppms_q04_check_key_empty_body_is_ok_and_other_bodies_are_unexpected() {
    let t = ScriptedTransport::always("");
    client(&t).check_key().await.unwrap();
    assert_eq!(t.seen()[0].field("action"), Some("auth"));
    let t = ScriptedTransport::always("ERROR something\r\n");
    let err = client(&t).check_key().await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
}

#[tokio::test]
async fn ppms_q05_empty_body_meaning_per_action() {
    let t = ScriptedTransport::always("");
    let c = client(&t);
    // a single-object lookup answered with the empty body is a not-found error (§4 of
    // docs/conventions.md); lists are empty
    let err = c.users().get("nobody").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(matches!(err, Error::NotFound { ref what, .. } if what == "login nobody"));
    assert_eq!(err.status(), Some(StatusCode::OK));
    let day = NaiveDate::from_ymd_opt(2030, 5, 10).unwrap();
    assert!(
        c.bookings()
            .running_sheet(CoreFacilityId(3), day)
            .await
            .unwrap()
            .is_empty()
    );
    let err = c
        .systems()
        .set_right(SystemId(17), "jdoe", RightType::Novice)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
    assert!(c.groups().get("nogroup").await.unwrap_err().is_not_found());
    assert!(
        c.groups()
            .members("nogroup", ActiveFilter::All)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(c.bookings().current(SystemId(0)).await.unwrap().is_none());
    assert!(c.invoices().get("X").await.unwrap_err().is_not_found());
    let options = ppms::InvoiceDetailsOptions::default();
    assert!(
        c.invoices()
            .details("X", &options)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn ppms_q06_bare_line_breaks_mean_unknown_user() {
    for body in ["\n\n", "\r\n", "\r\n\r\n"] {
        let t = ScriptedTransport::always(body);
        let err = client(&t).users().get("jdoe").await.unwrap_err();
        assert!(err.is_not_found(), "{body:?}: {err:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn ppms_q09_read_is_retried_after_timeout_but_createorder_is_not() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let t = ScriptedTransport::new(move |_| {
        if c2.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(TransportError::new(
                TransportErrorKind::Timeout,
                "timed out",
            ))
        } else {
            Ok(ok(GETUSER))
        }
    });
    let user = client(&t).users().get("jdoe").await.unwrap();
    assert_eq!(user.login, "jdoe");
    assert_eq!(t.calls(), 2, "the read was retried once");

    let t = ScriptedTransport::new(|_| {
        Err(TransportError::new(
            TransportErrorKind::Timeout,
            "timed out",
        ))
    });
    let order = NewOrder::new(ServiceId(112), "jdoe", 1);
    let err = client(&t).orders().create(&order).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.may_have_reached_server());
    assert_eq!(t.calls(), 1, "createorder is never resent");
}

#[tokio::test(start_paused = true)]
async fn ppms_q38_createorder_after_503_is_outcome_unknown_and_connect_failure_is_retried() {
    let t =
        ScriptedTransport::new(|_| Ok(HttpResponse::new(StatusCode::SERVICE_UNAVAILABLE, "busy")));
    let order = NewOrder::new(ServiceId(112), "jdoe", 1);
    let err = client(&t).orders().create(&order).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(t.calls(), 1);

    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let t = ScriptedTransport::new(move |_| {
        if c2.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(TransportError::new(TransportErrorKind::Connect, "refused"))
        } else {
            Ok(ok("48213\r\n"))
        }
    });
    let r = client(&t).orders().create(&order).await.unwrap();
    assert_eq!(r, ppms::OrderRef(48213));
    assert_eq!(t.calls(), 2, "a request that never left may be retried");
}

#[tokio::test]
async fn ppms_q42_createorder_bodies() {
    let order = NewOrder::new(ServiceId(112), "jdoe", 2).comments("two runs");
    let t = ScriptedTransport::always("48213\r\n");
    assert_eq!(
        client(&t).orders().create(&order).await.unwrap(),
        ppms::OrderRef(48213)
    );
    let form = &t.seen()[0];
    assert_eq!(form.field("serviceid"), Some("112"));
    assert_eq!(form.field("quantity"), Some("2"));
    assert_eq!(form.field("comments"), Some("two runs"));
    let t = ScriptedTransport::always("Invalid service");
    let err = client(&t).orders().create(&order).await.unwrap_err();
    // a refusal in plain text: the order may or may not exist as far as the client can tell
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(
        err.core().and_then(|c| c.vendor_message()),
        Some("Invalid service")
    );
    assert!(err.to_string().contains("Invalid service"), "{err}");
    let t = ScriptedTransport::always("error: invalid user x\r\n");
    let err = client(&t).orders().create(&order).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidUser { ref login, .. } if login == "x"),
        "{err:?}"
    );
}

#[tokio::test]
async fn ppms_q40_scomments_default_and_override() {
    let order = NewOrder::new(ServiceId(1), "jdoe", 1).staff_comments("ref-42");
    let t = ScriptedTransport::always("1\r\n");
    client(&t).orders().create(&order).await.unwrap();
    assert_eq!(t.seen()[0].field("scomments"), Some("ref-42"));
    let c = Client::builder("https://h/site")
        .api_key("k")
        .staff_comment_field("Scomments")
        .transport(Arc::new(t.clone()))
        .no_rate_limit()
        .build()
        .unwrap();
    c.orders().create(&order).await.unwrap();
    assert_eq!(t.seen()[1].field("Scomments"), Some("ref-42"));
    assert_eq!(t.seen()[1].field("scomments"), None);
}

#[tokio::test]
async fn ppms_q39_completed_state_sends_both_flags() {
    let t = ScriptedTransport::always("7\r\n");
    let date = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
    let order = NewOrder::new(ServiceId(1), "jdoe", 1).state(InitialOrderState::Completed {
        date: ppms::CompletionDate::Date(date),
    });
    client(&t).orders().create(&order).await.unwrap();
    let f = &t.seen()[0];
    assert_eq!(
        (f.field("accepted"), f.field("completed")),
        (Some("true"), Some("true"))
    );
    assert_eq!(f.field("completeddate"), Some("2024-01-31"));
}

#[tokio::test]
async fn create_once_finds_an_existing_order_by_marker() {
    let orders = "Orders\r\nCore facility ref.,Order ref.,User,Group,Status,Staff comments\r\n3,48213,\"jdoe\",\"doe_lab\",\"Ordered\",\"batch ref-42\"\r\n".to_owned();
    let t = ScriptedTransport::by_action(vec![
        ("getorders", orders),
        ("createorder", "48214\r\n".into()),
    ]);
    let c = client(&t);
    let order = NewOrder::new(ServiceId(1), "jdoe", 1);
    let found = c.orders().create_once(&order, "ref-42").await.unwrap();
    assert_eq!(found, ppms::CreateOutcome::Existing(ppms::OrderRef(48213)));
    assert_eq!(t.calls(), 1);
    let created = c.orders().create_once(&order, "ref-43").await.unwrap();
    assert_eq!(created, ppms::CreateOutcome::Created(ppms::OrderRef(48214)));
    assert_eq!(t.seen()[2].field("scomments"), Some("ref-43"));
}

#[tokio::test]
async fn ppms_q30_running_sheet_form_uses_plateformid_and_dashed_day() {
    let t = ScriptedTransport::always("");
    let day = NaiveDate::from_ymd_opt(2030, 5, 10).unwrap();
    client(&t)
        .bookings()
        .running_sheet(CoreFacilityId(3), day)
        .await
        .unwrap();
    let f = &t.seen()[0];
    assert_eq!(f.field("plateformid"), Some("3"));
    assert_eq!(f.field("day"), Some("2030-05-10"));
}

#[tokio::test]
async fn ppms_q37_active_filter_forms() {
    let t = ScriptedTransport::always("");
    let c = client(&t);
    for f in [
        ActiveFilter::All,
        ActiveFilter::Active,
        ActiveFilter::Inactive,
    ] {
        c.users().list(f).await.unwrap();
    }
    let seen = t.seen();
    assert_eq!(seen[0].field("active"), None);
    assert_eq!(seen[1].field("active"), Some("true"));
    assert_eq!(seen[2].field("active"), Some("false"));
}

#[tokio::test]
async fn ppms_q46_incident_action_default_and_fallback() {
    let t = ScriptedTransport::always("");
    client(&t)
        .incidents()
        .create(SystemId(17), ppms::Severity::Low, "laser")
        .await
        .unwrap();
    assert_eq!(t.seen()[0].field("action"), Some("createinc"));
    assert_eq!(t.seen()[0].field("severity"), Some("1"));
    let c = Client::builder("https://h/site")
        .api_key("k")
        .incident_action("creatinc")
        .transport(Arc::new(t.clone()))
        .build()
        .unwrap();
    c.incidents()
        .create(SystemId(17), ppms::Severity::High, "x")
        .await
        .unwrap();
    assert_eq!(t.seen()[1].field("action"), Some("creatinc"));
}

#[tokio::test]
async fn ppms_q47_api2_uses_its_own_endpoint_key_and_outformat() {
    let t = ScriptedTransport::always("[{\"hour\":37,\"userName\":\"Doe Jane\"}]");
    let day = NaiveDate::from_ymd_opt(2030, 5, 10).unwrap();
    let sessions = client(&t)
        .api2()
        .sessions(day, CoreFacilityId(3), None)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    let f = &t.seen()[0];
    assert_eq!(f.url, "https://ppms.example.org/site/API2/");
    assert_eq!(f.field("apikey"), Some("api2-key"));
    assert_eq!(f.field("outformat"), Some("json"));
    assert_eq!(f.field("action"), Some("GetSessionsList"));

    let no_api2 = Client::builder("https://h/site")
        .api_key("k")
        .transport(Arc::new(t.clone()))
        .build()
        .unwrap();
    let err = no_api2.api2().groups().await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }));
    assert_eq!(t.calls(), 1);
}

#[tokio::test]
async fn ppms_q49_reports_by_id_and_by_logical_name() {
    let t = ScriptedTransport::always("[{\"orderref\":\"48213\",\"paid\":\"no\"}]");
    let c = Client::builder("https://h/site")
        .api2_key("a2")
        .reports(Reports::new().with("order_search", ReportId::new("Report2167")))
        .transport(Arc::new(t.clone()))
        .build()
        .unwrap();
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = c
        .api2()
        .run_report(&ReportId::new("Report1234"), &[("coreid", "3")])
        .await
        .unwrap();
    assert_eq!(rows[0]["orderref"], "48213");
    assert_eq!(t.seen()[0].field("action"), Some("Report1234"));
    let _: Vec<serde_json::Value> = c.api2().report("order_search", &[]).await.unwrap();
    assert_eq!(t.seen()[1].field("action"), Some("Report2167"));
    let err = c
        .api2()
        .report::<serde_json::Value>("order_details", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }));
    assert_eq!(t.calls(), 2, "nothing sent for an unconfigured report");
}

#[tokio::test]
async fn api2_non_json_body_is_unexpected() {
    let t = ScriptedTransport::always("<html>login</html>");
    let err = client(&t).api2().groups().await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
}

#[tokio::test]
async fn ppms_q50_errors_are_never_cached() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let t = ScriptedTransport::new(move |_| {
        Ok(ok(if c2.fetch_add(1, Ordering::SeqCst) == 0 {
            "error: request not authorized\r\n"
        } else {
            GETUSER
        }))
    });
    let c = Client::builder("https://h/site")
        .api_key("k")
        .user_cache(Arc::new(MemoryUserCache::new(Duration::from_secs(3600))))
        .transport(Arc::new(t.clone()))
        .no_rate_limit()
        .build()
        .unwrap();
    assert!(c.users().get("jdoe").await.unwrap_err().is_auth());
    let second = c.users().get_fetched("jdoe", false).await.unwrap();
    assert!(!second.from_cache);
    assert_eq!(t.calls(), 2);
    let third = c.users().get_fetched("jdoe", false).await.unwrap();
    assert!(third.from_cache);
    assert_eq!(t.calls(), 2);
    c.users().invalidate_cached("jdoe");
    assert!(
        !c.users()
            .get_fetched("jdoe", false)
            .await
            .unwrap()
            .from_cache
    );
}

#[tokio::test]
async fn ppms_q35_create_user_checks_login_and_group_first() {
    let params = UserParams::new("jdoe", "Doe", "Jane", "jane.doe@example.org", "doe_lab");
    let t = ScriptedTransport::by_action(vec![("getuser", GETUSER.into())]);
    let err = client(&t).users().create(&params).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }));
    assert!(
        t.seen()
            .iter()
            .all(|r| r.field("action") != Some("newuser"))
    );

    let t = ScriptedTransport::by_action(vec![
        ("getuser", String::new()),
        ("getgroup", String::new()),
    ]);
    let err = client(&t).users().create(&params).await.unwrap_err();
    assert!(matches!(err, Error::GroupNotFound { ref unitlogin } if unitlogin == "doe_lab"));
    assert!(
        t.seen()
            .iter()
            .all(|r| r.field("action") != Some("newuser"))
    );

    let t = ScriptedTransport::by_action(vec![
        ("getuser", String::new()),
        ("getgroup", GETGROUP.into()),
        ("newuser", "OK newuser jdoe\r\n".into()),
    ]);
    client(&t).users().create(&params).await.unwrap();
    let newuser = t
        .seen()
        .into_iter()
        .find(|r| r.field("action") == Some("newuser"))
        .unwrap();
    assert_eq!(newuser.field("unitlogin"), Some("doe_lab"));
}

#[tokio::test]
async fn ppms_q36_checked_members_tell_unknown_from_empty() {
    let t = ScriptedTransport::by_action(vec![
        ("getgroup", String::new()),
        ("getgroupusers", String::new()),
    ]);
    let c = client(&t);
    let err = c
        .groups()
        .members_checked("ghost", ActiveFilter::All)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(
        c.groups()
            .members("ghost", ActiveFilter::All)
            .await
            .unwrap(),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn ppms_q31_setright_sends_the_letter_and_requires_done() {
    let t = ScriptedTransport::always("done\r\n");
    client(&t)
        .systems()
        .set_right(SystemId(17), "jdoe", RightType::Superuser)
        .await
        .unwrap();
    assert_eq!(t.seen()[0].field("type"), Some("S"));
    let t = ScriptedTransport::always("error: some unexpected response\r\n");
    let err = client(&t)
        .systems()
        .set_right(SystemId(17), "jdoe", RightType::Novice)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
}

#[tokio::test]
async fn ppms_q02_setright_legacy_wording_is_invalid_id() {
    let t = ScriptedTransport::always("System right not authorized\r\n");
    let err = client(&t)
        .systems()
        .set_right(SystemId(0), "jdoe", RightType::Autonomous)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidId { .. }), "{err:?}");
    assert!(err.is_not_found());
}

#[derive(Debug)]
struct FixedClock(SystemTime);

impl Clock for FixedClock {
    fn now(&self) -> std::time::Instant {
        std::time::Instant::now()
    }
    fn system_now(&self) -> SystemTime {
        self.0
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

#[tokio::test]
async fn ppms_q25_booking_times_use_the_injected_clock() {
    let at: DateTime<Utc> = "2030-01-01T12:00:00Z".parse().unwrap();
    let t = ScriptedTransport::by_action(vec![
        ("getbooking", "jdoe\r\n45\r\n210034\r\n".into()),
        ("nextbooking", "asmith\r\n1500\r\n210035\r\n".into()),
    ]);
    let c = Client::builder("https://h/site")
        .api_key("k")
        .clock(Arc::new(FixedClock(at.into())))
        .transport(Arc::new(t.clone()))
        .no_rate_limit()
        .build()
        .unwrap();
    let cur = c.bookings().current(SystemId(17)).await.unwrap().unwrap();
    assert_eq!(
        cur.ends_at,
        "2030-01-01T12:45:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    let next = c.bookings().next(SystemId(17)).await.unwrap().unwrap();
    assert_eq!(
        next.starts_at,
        "2030-01-02T13:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(next.session.as_deref(), Some("210035"));
}

#[tokio::test]
async fn ppms_q26_no_next_booking_is_none() {
    let t = ScriptedTransport::always("");
    assert!(
        client(&t)
            .bookings()
            .next(SystemId(17))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn ppms_q03_typed_ids_only_and_the_error_names_the_action() {
    // `SystemId` cannot be built from "abc": the parse fails before any request exists.
    assert!("abc".parse::<SystemId>().is_err());
    let t = ScriptedTransport::always("error: request not authorized\r\n");
    let err = client(&t)
        .bookings()
        .current(SystemId(17))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("getbooking") && msg.contains("parameter"),
        "{msg}"
    );
}

#[tokio::test(start_paused = true)]
async fn ppms_q34_bulk_details_are_bounded_and_concurrent() {
    let logins: Vec<String> = (0..40).map(|i| format!("user{i:02}")).collect();
    let t = ScriptedTransport::new(|req| {
        let login = req.field("login").unwrap_or_default().to_owned();
        Ok(ok(GETUSER.replace("\"jdoe\"", &format!("\"{login}\""))))
    })
    .with_delay(Duration::from_millis(50));
    let c = client(&t);
    let progress = Arc::new(AtomicUsize::new(0));
    let p2 = progress.clone();
    let opts = BulkOptions::default().concurrency(8).progress(move |p| {
        p2.store(p.done, Ordering::SeqCst);
        assert_eq!(p.total, 40);
    });
    let start = tokio::time::Instant::now();
    let details = c.users().details(logins.clone(), &opts).await;
    let elapsed = start.elapsed();
    assert_eq!(details.users.len(), 40);
    assert_eq!(details.users[0].login, "user00");
    assert_eq!(progress.load(Ordering::SeqCst), 40);
    assert!(
        t.max_in_flight() <= 8,
        "at most 8 in flight, saw {}",
        t.max_in_flight()
    );
    assert_eq!(t.max_in_flight(), 8);
    // Virtual time: 40 requests of 50 ms, 8 at a time, is 5 rounds (250 ms), not 2 s.
    assert!(
        elapsed < Duration::from_millis(50 * 40 / 4),
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn bulk_failures_do_not_abort_the_batch() {
    let t = ScriptedTransport::new(|req| {
        Ok(ok(match req.field("login") {
            Some("bad") => "error: invalid user bad\r\n".to_owned(),
            Some("gone") => String::new(),
            Some(l) => GETUSER.replace("\"jdoe\"", &format!("\"{l}\"")),
            None => String::new(),
        }))
    });
    let c = client(&t);
    let logins = ["b", "bad", "a", "gone"].map(String::from).to_vec();
    let d = c.users().details(logins, &BulkOptions::default()).await;
    assert_eq!(
        d.users.iter().map(|u| u.login.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(d.missing, ["gone"]);
    assert_eq!(d.failures.len(), 1);
    assert!(d.failures[0].1.is_not_found());
}

#[tokio::test]
async fn active_emails_lists_active_users_addresses() {
    let t = ScriptedTransport::new(|req| {
        Ok(ok(match req.field("action") {
            Some("getusers") => "jdoe\r\nasmith\r\n".to_owned(),
            _ => {
                let l = req.field("login").unwrap_or_default();
                GETUSER
                    .replace("\"jdoe\"", &format!("\"{l}\""))
                    .replace("jane.doe", l)
            }
        }))
    });
    let (emails, _) = client(&t)
        .users()
        .active_emails(&BulkOptions::default())
        .await
        .unwrap();
    assert_eq!(
        emails.into_iter().collect::<Vec<_>>(),
        ["asmith@example.org", "jdoe@example.org"]
    );
    assert_eq!(t.seen()[0].field("active"), Some("true"));
}

#[tokio::test(start_paused = true)]
async fn retry_policy_gives_up_after_max_attempts() {
    let t = ScriptedTransport::new(|_| Ok(HttpResponse::new(StatusCode::BAD_GATEWAY, "proxy")));
    let c = Client::builder("https://h/site")
        .api_key("k")
        .retry(RetryPolicy::default().max_attempts(3))
        .transport(Arc::new(t.clone()))
        .build()
        .unwrap();
    let err = c.systems().list().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(t.calls(), 3);
}

#[tokio::test]
async fn raw_action_returns_trimmed_text_and_rejects_reserved_names() {
    let t = ScriptedTransport::always(" something\r\n");
    let c = client(&t);
    let r = c
        .raw_action("getmanifestlist", &[("id", "3")])
        .await
        .unwrap();
    assert_eq!(r.as_str(), "something");
    assert_eq!(t.seen()[0].field("action"), Some("getmanifestlist"));
    assert!(c.raw_action("x", &[("apikey", "other")]).await.is_err());
    assert_eq!(t.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn bulk_deadline_reports_unfinished_logins_as_timeouts() {
    let logins: Vec<String> = (0..40).map(|i| format!("user{i:02}")).collect();
    let t = ScriptedTransport::new(|req| {
        let login = req.field("login").unwrap_or_default().to_owned();
        Ok(ok(GETUSER.replace("\"jdoe\"", &format!("\"{login}\""))))
    })
    .with_delay(Duration::from_millis(50));
    let opts = BulkOptions::default()
        .concurrency(4)
        .deadline(Duration::from_millis(220));
    let d = client(&t).users().details(logins, &opts).await;
    assert_eq!(d.users.len() + d.failures.len(), 40);
    assert_eq!(
        d.users.len(),
        16,
        "4 rounds of 4 finish within 220 ms of virtual time"
    );
    assert!(d.failures.iter().all(|(_, e)| e.is_timeout()));
}

#[tokio::test(start_paused = true)]
async fn pyppms_recordings_replay_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("getuser")).unwrap();
    std::fs::create_dir_all(dir.path().join("getusers")).unwrap();
    std::fs::create_dir_all(dir.path().join("getsystems")).unwrap();
    std::fs::write(dir.path().join("getuser/login--jdoe.txt"), GETUSER).unwrap();
    std::fs::write(
        dir.path().join("getusers/response.txt"),
        "jdoe\r\nasmith\r\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("getsystems/response.txt"), "busy").unwrap();
    std::fs::write(
        dir.path().join("getsystems/response_status-code.txt"),
        "502\n",
    )
    .unwrap();
    let c = Client::builder("https://h/site")
        .api_key("k")
        .transport(Arc::new(ppms::testing::PyppmsDirTransport::new(dir.path())))
        .retry(RetryPolicy::default().max_attempts(2))
        .no_rate_limit()
        .build()
        .unwrap();
    assert_eq!(
        c.users().list(ActiveFilter::All).await.unwrap(),
        ["jdoe", "asmith"]
    );
    assert_eq!(
        c.users().get("jdoe").await.unwrap().email,
        Some("jane.doe@example.org".into())
    );
    assert_eq!(
        c.systems().list().await.unwrap_err().status(),
        Some(StatusCode::BAD_GATEWAY)
    );
    assert!(
        c.users().get("nobody").await.is_err(),
        "a missing recording fails loudly"
    );
}

#[tokio::test]
async fn system_and_master_password_credentials_go_into_the_form() {
    let t = ScriptedTransport::always("");
    let c = Client::builder("https://h/site")
        .credentials(ppms::Credentials::System {
            id: SystemId(17),
            code: "123456".to_owned().into(),
        })
        .transport(Arc::new(t.clone()))
        .build()
        .unwrap();
    c.bookings().current(SystemId(17)).await.unwrap();
    c.check_key().await.unwrap();
    let seen = t.seen();
    assert_eq!(
        seen[0].form.iter().filter(|(k, _)| k == "id").count(),
        1,
        "the action's id is not doubled"
    );
    assert_eq!(seen[0].field("code"), Some("123456"));
    assert_eq!(seen[1].field("id"), Some("17"));
    assert!(!format!("{c:?}").contains("123456"));

    let c = Client::builder("https://h/site")
        .credentials(ppms::Credentials::MasterPassword(
            "master-secret".to_owned().into(),
        ))
        .transport(Arc::new(t.clone()))
        .build()
        .unwrap();
    c.check_key().await.unwrap();
    assert_eq!(t.seen()[2].field("psapwd"), Some("master-secret"));
    assert_eq!(t.seen()[2].field("apikey"), None);
}

#[tokio::test]
async fn warm_user_cache_leaves_only_the_misses_for_bulk_fetches() {
    let t = ScriptedTransport::new(|req| {
        Ok(ok(match req.field("action") {
            Some("getusers") => "a\r\nb\r\nc\r\n".to_owned(),
            _ => GETUSER.replace(
                "\"jdoe\"",
                &format!("\"{}\"", req.field("login").unwrap_or_default()),
            ),
        }))
    });
    let dir = tempfile::tempdir().unwrap();
    let c = Client::builder("https://h/site")
        .api_key("k")
        .user_cache(Arc::new(ppms::DiskUserCache::new(
            dir.path(),
            Duration::from_secs(3600),
        )))
        .transport(Arc::new(t.clone()))
        .no_rate_limit()
        .build()
        .unwrap();
    c.users().get("a").await.unwrap();
    c.users().get("b").await.unwrap();
    let before = t.calls();
    let d = c
        .users()
        .details_all(ActiveFilter::All, &BulkOptions::default())
        .await
        .unwrap();
    assert_eq!(d.users.len(), 3);
    assert_eq!(d.from_cache, 2);
    assert_eq!(
        t.calls() - before,
        2,
        "one getusers and one getuser for the miss"
    );
}

#[test]
fn client_and_error_are_send_sync_and_static() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Client>();
    check::<Error>();
    check::<ppms::parse::ParseError>();
    check::<ppms::Parsed<ppms::System>>();
}

#[tokio::test]
async fn call_futures_are_send_and_can_be_spawned() {
    let t = ScriptedTransport::always("");
    let c = client(&t);
    let bulk = tokio::spawn({
        let c = c.clone();
        async move {
            c.users()
                .details_all(ActiveFilter::All, &BulkOptions::default())
                .await
                .map(|d| d.users.len())
        }
    });
    let order = tokio::spawn({
        let c = c.clone();
        async move {
            c.orders()
                .create_once(&NewOrder::new(ServiceId(1), "jdoe", 1), "m")
                .await
                .is_err()
        }
    });
    let report = tokio::spawn(async move {
        c.api2()
            .report::<serde_json::Value>("x", &[])
            .await
            .is_err()
    });
    assert_eq!(bulk.await.unwrap().unwrap(), 0);
    assert!(
        order.await.unwrap(),
        "an empty createorder body is an unexpected response"
    );
    assert!(report.await.unwrap());
}

#[tokio::test]
async fn ppms_q33_lenient_rights_skip_malformed_lines_with_a_warning() {
    let t = ScriptedTransport::always("A:jdoe\r\nN:asmith\r\nmalformed-entry\r\n");
    let c = client(&t);
    assert!(
        c.systems()
            .rights(SystemId(17))
            .await
            .unwrap_err()
            .is_decode()
    );
    let lenient = c.systems().rights_lenient(SystemId(17)).await.unwrap();
    assert_eq!(lenient.len(), 2);
    assert_eq!(lenient.warnings[0].line, 3);
}

#[tokio::test]
async fn running_sheet_resolution_maps_names_to_ids_and_logins() {
    let sheet = "Location, Start time, End time, Object, User, Training, Assisted\r\n\"Room B12\",\"08:00\",\"10:30\",\"Confocal 1\",\"Doe Jane\",\"\",\"\"\r\n\"Room B12\",\"22:00\",\"00:00\",\"Confocal 1\",\"Smith Anna\",\"\",\"\"\r\n";
    let systems = "Core facility ref,System id,Type,Name,Localisation,Active,Schedules,Stats,Bookable,Autonomy Required,Autonomy Required After Hours\r\n3,17,\"Confocal\",\"Confocal 1\",\"Room B12\",True,True,True,True,False,False\r\n3,19,\"Confocal\",\"Confocal 10\",\"Room B12\",True,True,True,True,False,False\r\n";
    let t = ScriptedTransport::new(move |req| {
        Ok(ok(match req.field("action") {
            Some("getrunningsheet") => sheet.to_owned(),
            Some("getsystems") => systems.to_owned(),
            Some("getusers") => "jdoe\r\njdoe2\r\n".to_owned(),
            _ => GETUSER.replace(
                "\"jdoe\"",
                &format!("\"{}\"", req.field("login").unwrap_or_default()),
            ),
        }))
    });
    let day = NaiveDate::from_ymd_opt(2030, 5, 10).unwrap();
    let r = client(&t)
        .bookings()
        .running_sheet_resolved(CoreFacilityId(3), day, &BulkOptions::default())
        .await
        .unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].system, ppms::Resolution::Unique(SystemId(17)));
    assert_eq!(
        r[0].logins,
        ppms::Resolution::Ambiguous(vec!["jdoe".into(), "jdoe2".into()])
    );
    assert_eq!(r[1].logins, ppms::Resolution::NotFound);

    let empty = ScriptedTransport::always("");
    let r = client(&empty)
        .bookings()
        .running_sheet_resolved(CoreFacilityId(3), day, &BulkOptions::default())
        .await;
    assert!(r.unwrap().is_empty());
    assert_eq!(empty.calls(), 1, "nothing else is fetched for an empty day");
}

#[tokio::test(start_paused = true)]
async fn default_client_runs_the_bulk_helper_with_more_than_one_request_in_flight() {
    // a client built as the README shows (only the transport replaced, to count what is in
    // flight): no client-side quota serialises the bulk helper
    let logins: String = (0..64).map(|i| format!("user{i:02}\r\n")).collect();
    let t = ScriptedTransport::new(move |req| match req.field("action") {
        Some("getusers") => Ok(ok(logins.clone())),
        _ => Ok(ok(
            GETUSER.replace("jdoe", req.field("login").unwrap_or_default())
        )),
    })
    .with_delay(Duration::from_millis(10));
    let c = Client::builder("https://h/site")
        .api_key("k")
        .transport(Arc::new(t.clone()))
        .build()
        .unwrap();
    let (emails, details) = c
        .users()
        .active_emails(&BulkOptions::default())
        .await
        .unwrap();
    assert_eq!(details.users.len(), 64);
    assert_eq!(emails.len(), 1, "the scripted users share one address");
    // sustained, not only a first burst: the last 16 `getuser` calls started alongside others
    let at_start = t.in_flight_at_start();
    let last = &at_start[at_start.len() - 16..];
    assert!(
        last.iter().any(|n| *n > 1),
        "in flight at each start: {at_start:?}"
    );
    assert_eq!(t.max_in_flight(), ppms::DEFAULT_BULK_CONCURRENCY);
}

#[tokio::test(start_paused = true)]
async fn an_explicit_quota_still_throttles_the_client() {
    let t = ScriptedTransport::always("jdoe\r\n");
    let c = Client::builder("https://h/site")
        .api_key("k")
        .transport(Arc::new(t.clone()))
        .rate_limit(ppms::Quota::per_second(10).with_burst(10))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    for _ in 0..25 {
        c.users().list(ActiveFilter::All).await.unwrap();
    }
    // 10 at once, then one every 100 ms of (virtual) time
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(1400), "{elapsed:?}");
    assert_eq!(t.calls(), 25);
}
