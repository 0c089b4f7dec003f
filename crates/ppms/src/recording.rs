//! Recording scenarios for `cargo xtask record --vendor ppms`.
//!
//! Each scenario makes the calls of one cassette `fixtures/ppms/<name>.json` against a live
//! instance. Set `PPMS_BASE_URL` (the site URL, e.g. `https://ppms.eu/<site>/`) and
//! `PPMS_API_KEY`; `PPMS_API2_KEY` enables the API2 scenarios. The objects asked about come
//! from optional variables (defaults after the arrow): `PPMS_TEST_LOGIN` → `jdoe`,
//! `PPMS_TEST_GROUP` → `doe_lab`, `PPMS_TEST_SYSTEM` → `17`, `PPMS_TEST_CORE` → `3`,
//! `PPMS_TEST_DAY` → `2030-05-10`, `PPMS_TEST_PROJECT` → `42`, `PPMS_TEST_ORDER` → `48213`,
//! `PPMS_TEST_INVOICE` → `PPMS2-ExampleCore-20240131-DRAFT`, `PPMS_TEST_SERVICE` → `112`,
//! `PPMS_TEST_REPORT` → `Report2167`. Scenarios that write run only with
//! `PPMS_RECORD_WRITES=1`.
//!
//! Only scenarios that can be produced by a live server are declared here; the cassettes that
//! reproduce malformed bodies (`getsystems_bad_row`, `getsysrights_malformed`, ...) or faults
//! (`getsystems_503_then_ok`) stay hand-built. Scenarios that **write** on the live system say
//! so in their description (xtask prints descriptions before running); error scenarios name
//! their error case, so error bodies are recorded only where intended (PPMS-Q50).
//!
//! After a live recording, the snapshot tests follow the recorded values: review the insta
//! diffs (`cargo insta review`).

use std::future::Future;

use billing_http_core::ExposeSecret;
use billing_http_core::cassette::{
    CredentialVar, PersonalKind, Scenario, ScenarioContext, ScrubConfig, VendorRecording,
};
use chrono::NaiveDate;

use crate::error::Error;
use crate::model::{
    ActiveFilter, CoreFacilityId, NewOrder, OrderRef, ProjectId, ReportId, ServiceId, SystemId,
};
use crate::{
    Client, ExperienceFilter, GroupParams, InvoiceDetailsOptions, ProjectParams, UserParams,
};

impl From<Error> for billing_http_core::Error {
    fn from(e: Error) -> Self {
        e.into_core()
    }
}

/// Secret and personal-data fields of PPMS (used by the recorder, replay matching and
/// `check-fixtures`).
pub fn scrub_config() -> ScrubConfig {
    ScrubConfig::new()
        .secret_field("code")
        .personal_field("login", PersonalKind::Login)
        .personal_field("email", PersonalKind::Email)
        .personal_field("heademail", PersonalKind::Email)
        .personal_field("admemail", PersonalKind::Email)
        .personal_field("fname", PersonalKind::FirstName)
        .personal_field("lname", PersonalKind::LastName)
        .personal_field("headname", PersonalKind::FullName)
        .personal_field("admname", PersonalKind::FullName)
        .personal_field("phone", PersonalKind::Phone)
        .personal_field("address", PersonalKind::Address)
        .personal_field("User", PersonalKind::FullName)
        .personal_field("userName", PersonalKind::FullName)
        .personal_field("firstName", PersonalKind::FirstName)
        .personal_field("lastName", PersonalKind::LastName)
        .line_list("action", "getusers", PersonalKind::Login)
        .line_list("action", "getadmins", PersonalKind::Login)
        .line_list("action", "getgroupusers", PersonalKind::Login)
        .line_list("action", "getprojectusers", PersonalKind::Login)
}

struct Vars {
    login: String,
    group: String,
    system: SystemId,
    core: CoreFacilityId,
    day: NaiveDate,
    project: ProjectId,
    order: OrderRef,
    invoice: String,
    service: ServiceId,
    report: ReportId,
}

fn vars(ctx: &ScenarioContext) -> Vars {
    let get = |name: &str, default: &str| ctx.var(name).unwrap_or_else(|| default.to_owned());
    Vars {
        login: get("PPMS_TEST_LOGIN", "jdoe"),
        group: get("PPMS_TEST_GROUP", "doe_lab"),
        system: get("PPMS_TEST_SYSTEM", "17")
            .parse()
            .unwrap_or(SystemId(17)),
        core: get("PPMS_TEST_CORE", "3")
            .parse()
            .unwrap_or(CoreFacilityId(3)),
        day: get("PPMS_TEST_DAY", "2030-05-10")
            .parse()
            .unwrap_or(NaiveDate::MIN),
        project: get("PPMS_TEST_PROJECT", "42")
            .parse()
            .unwrap_or(ProjectId(42)),
        order: get("PPMS_TEST_ORDER", "48213")
            .parse()
            .unwrap_or(OrderRef(48213)),
        invoice: get("PPMS_TEST_INVOICE", "PPMS2-ExampleCore-20240131-DRAFT"),
        service: get("PPMS_TEST_SERVICE", "112")
            .parse()
            .unwrap_or(ServiceId(112)),
        report: ReportId::new(get("PPMS_TEST_REPORT", "Report2167")),
    }
}

fn client(ctx: &ScenarioContext, key: Option<&str>) -> Result<Client, billing_http_core::Error> {
    let mut b = Client::builder(ctx.base_url()).transport(ctx.transport());
    b = match key {
        Some(k) => b.api_key(k),
        None => b.api_key(ctx.secret("PPMS_API_KEY")?.expose_secret()),
    };
    if let Ok(k) = ctx.secret("PPMS_API2_KEY") {
        b = b.api2_key(k.expose_secret());
    }
    Ok(b.build()?)
}

/// Keeps an expected vendor error inside the cassette (it is what the scenario records).
fn expected<T>(r: Result<T, Error>) -> Result<(), billing_http_core::Error> {
    match r {
        Ok(_) => Ok(()),
        Err(Error::Http(e)) => Err(e),
        Err(_) => Ok(()),
    }
}

fn scenario<F, Fut>(name: &'static str, description: &'static str, f: F) -> Scenario
where
    F: Fn(Client, Vars) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    scenario_with(name, description, false, f)
}

/// A scenario that writes on the live system: it refuses to run (and so writes no cassette)
/// unless `PPMS_RECORD_WRITES=1`.
fn write_scenario<F, Fut>(name: &'static str, description: &'static str, f: F) -> Scenario
where
    F: Fn(Client, Vars) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    scenario_with(name, description, true, f)
}

fn scenario_with<F, Fut>(
    name: &'static str,
    description: &'static str,
    writes: bool,
    f: F,
) -> Scenario
where
    F: Fn(Client, Vars) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    Scenario::new(name, description, move |ctx: ScenarioContext| async move {
        if writes && ctx.var("PPMS_RECORD_WRITES").as_deref() != Some("1") {
            return Err(billing_http_core::Error::config(format!(
                "scenario {name} writes on the live system: set PPMS_RECORD_WRITES=1 to record it"
            )));
        }
        let c = client(&ctx, None)?;
        expected(f(c, vars(&ctx)).await)
    })
}

/// What `cargo xtask record --vendor ppms` runs.
pub fn recording() -> VendorRecording {
    VendorRecording::new("ppms", scrub_config())
        .base_url_var("PPMS_BASE_URL", None)
        .credential(CredentialVar::secret("PPMS_API_KEY", "PUMAPI key"))
        .credential(CredentialVar::secret("PPMS_API2_KEY", "API2 key (per user)").optional())
        .credential(
            // against a sandbox nothing real is written, so the write scenarios run there
            CredentialVar::plain("PPMS_RECORD_WRITES", "set to 1 to run scenarios that write")
                .optional()
                .sandbox_value("1"),
        )
        .credential(CredentialVar::plain("PPMS_TEST_LOGIN", "login to look up [jdoe]").optional())
        .credential(CredentialVar::plain("PPMS_TEST_GROUP", "group unitlogin [doe_lab]").optional())
        .credential(CredentialVar::plain("PPMS_TEST_SYSTEM", "system id [17]").optional())
        .credential(CredentialVar::plain("PPMS_TEST_CORE", "core facility id [3]").optional())
        .credential(CredentialVar::plain("PPMS_TEST_DAY", "running-sheet day [2030-05-10]").optional())
        .credential(CredentialVar::plain("PPMS_TEST_PROJECT", "project id [42]").optional())
        .credential(CredentialVar::plain("PPMS_TEST_ORDER", "order ref [48213]").optional())
        .credential(CredentialVar::plain("PPMS_TEST_INVOICE", "invoice id").optional())
        .credential(CredentialVar::plain("PPMS_TEST_SERVICE", "service id to order [112]").optional())
        .credential(CredentialVar::plain("PPMS_TEST_REPORT", "API2 report id [Report2167]").optional())
        .scenario(scenario("auth_check_key", "key check", |c, _| async move { c.check_key().await }))
        .scenario(Scenario::new(
            "auth_check_key_rejected",
            "error case: key check with a deliberately wrong key",
            |ctx: ScenarioContext| async move {
                expected(client(&ctx, Some("not-a-valid-key"))?.check_key().await)
            },
        ))
        .scenario(scenario("getusers_all", "all logins", |c, _| async move {
            c.users().list(ActiveFilter::All).await.map(drop)
        }))
        .scenario(scenario("getusers_active", "active logins", |c, _| async move {
            c.users().list(ActiveFilter::Active).await.map(drop)
        }))
        .scenario(scenario("getusers_inactive", "inactive logins", |c, _| async move {
            c.users().list(ActiveFilter::Inactive).await.map(drop)
        }))
        .scenario(scenario("getuser", "one user (PPMS_TEST_LOGIN)", |c, v| async move {
            c.users().get(&v.login).await.map(drop)
        }))
        .scenario(scenario("getuser_unknown", "error case: an unknown login", |c, _| async move {
            c.users().get("zz_nobody").await.map(drop)
        }))
        .scenario(scenario("getadmins", "administrator logins", |c, _| async move {
            c.users().admins().await.map(drop)
        }))
        .scenario(scenario("getgroups", "group unitlogins", |c, _| async move {
            c.groups().list(ActiveFilter::All).await.map(drop)
        }))
        .scenario(scenario("getgroup", "one group (PPMS_TEST_GROUP)", |c, v| async move {
            c.groups().get(&v.group).await.map(drop)
        }))
        .scenario(scenario("getgroup_unknown", "error case: an unknown group", |c, _| async move {
            c.groups().get("ghost_lab").await.map(drop)
        }))
        .scenario(scenario("getgroupusers", "members of PPMS_TEST_GROUP", |c, v| async move {
            c.groups().members(&v.group, ActiveFilter::All).await.map(drop)
        }))
        .scenario(scenario("getsystems", "every system", |c, _| async move {
            c.systems().list().await.map(drop)
        }))
        .scenario(scenario("getsystem", "one system (PPMS_TEST_SYSTEM)", |c, v| async move {
            c.systems().get(v.system).await.map(drop)
        }))
        .scenario(scenario("getsysrights", "rights on PPMS_TEST_SYSTEM", |c, v| async move {
            c.systems().rights(v.system).await.map(drop)
        }))
        .scenario(scenario("getuserrights", "rights of PPMS_TEST_LOGIN", |c, v| async move {
            c.systems().user_rights(&v.login).await.map(drop)
        }))
        .scenario(scenario(
            "setright_invalid_id",
            "error case: setright on system 0 (changes nothing)",
            |c, v| async move {
                c.systems().set_right(SystemId(0), &v.login, crate::RightType::Autonomous).await
            },
        ))
        .scenario(scenario("getbooking", "booking running now on PPMS_TEST_SYSTEM", |c, v| async move {
            c.bookings().current(v.system).await.map(drop)
        }))
        .scenario(scenario("nextbooking", "next booking on PPMS_TEST_SYSTEM", |c, v| async move {
            c.bookings().next(v.system).await.map(drop)
        }))
        .scenario(scenario("getrunningsheet", "running sheet of PPMS_TEST_CORE on PPMS_TEST_DAY", |c, v| async move {
            c.bookings().running_sheet(v.core, v.day).await.map(drop)
        }))
        .scenario(scenario("getuserexp", "experience of PPMS_TEST_LOGIN", |c, v| async move {
            c.bookings().experience(&ExperienceFilter::login(v.login)).await.map(drop)
        }))
        .scenario(scenario("getprojects", "every project", |c, _| async move {
            c.projects().list().await.map(drop)
        }))
        .scenario(scenario("getuserprojects", "projects of PPMS_TEST_LOGIN", |c, v| async move {
            c.projects().of_user(&v.login).await.map(drop)
        }))
        .scenario(scenario("getprojectusers", "members of PPMS_TEST_PROJECT", |c, v| async move {
            c.projects().users(v.project).await.map(drop)
        }))
        .scenario(scenario("getprojectgroups", "groups of PPMS_TEST_PROJECT", |c, v| async move {
            c.projects().groups(v.project).await.map(drop)
        }))
        .scenario(scenario("getbcodes", "billing codes", |c, _| async move {
            c.projects().billing_codes().await.map(drop)
        }))
        .scenario(scenario("getservices", "services of PPMS_TEST_CORE", |c, v| async move {
            c.orders().services(Some(v.core)).await.map(drop)
        }))
        .scenario(scenario("getpriceslist", "price list", |c, _| async move {
            c.orders().price_list().await.map(drop)
        }))
        .scenario(write_scenario(
            "createorder",
            "WRITES (needs PPMS_RECORD_WRITES=1): creates one order of PPMS_TEST_SERVICE for PPMS_TEST_LOGIN",
            |c, v| async move {
                let order = NewOrder::new(v.service, v.login, 2).staff_comments("ref-2024-0001");
                c.orders().create(&order).await.map(drop)
            },
        ))
        .scenario(write_scenario(
            "newuser",
            "WRITES (needs PPMS_RECORD_WRITES=1): creates user bwong in PPMS_TEST_GROUP if absent",
            |c, v| async move {
                let p = UserParams::new("bwong", "Wong", "Ben", "ben.wong@example.org", v.group);
                c.users().create(&p).await
            },
        ))
        .scenario(write_scenario(
            "upduser",
            "WRITES (needs PPMS_RECORD_WRITES=1): sets the phone of PPMS_TEST_LOGIN",
            |c, v| async move {
                let mut p = UserParams::update(v.login);
                p.phone = Some("+1 555 0199".into());
                c.users().update(&p).await.map(drop)
            },
        ))
        .scenario(write_scenario(
            "newgroup",
            "WRITES (needs PPMS_RECORD_WRITES=1): creates or updates group roe_lab",
            |c, _| async move {
                let mut p = GroupParams::new("roe_lab");
                p.unitname = Some("Roe Lab".into());
                p.unitbcode = Some("ROE-001".into());
                c.groups().create(&p).await.map(drop)
            },
        ))
        .scenario(write_scenario(
            "updgroup",
            "WRITES (needs PPMS_RECORD_WRITES=1): deactivates group roe_lab",
            |c, _| async move {
                let mut p = GroupParams::new("roe_lab");
                p.active = Some(false);
                c.groups().update(&p).await.map(drop)
            },
        ))
        .scenario(write_scenario(
            "setright",
            "WRITES (needs PPMS_RECORD_WRITES=1): gives PPMS_TEST_LOGIN the novice right on PPMS_TEST_SYSTEM",
            |c, v| async move { c.systems().set_right(v.system, &v.login, crate::RightType::Novice).await },
        ))
        .scenario(write_scenario(
            "newproject",
            "WRITES (needs PPMS_RECORD_WRITES=1): creates project Imaging study in PPMS_TEST_CORE",
            |c, v| async move {
                let p = ProjectParams {
                    core: Some(v.core),
                    name: Some("Imaging study".into()),
                    bcode: Some("ACC-1".into()),
                    active: Some(true),
                    ..ProjectParams::default()
                };
                c.projects().create(&p).await.map(drop)
            },
        ))
        .scenario(write_scenario(
            "updproject",
            "WRITES (needs PPMS_RECORD_WRITES=1): closes PPMS_TEST_PROJECT",
            |c, v| async move {
                let p = ProjectParams { phase: Some("Closed".into()), ..ProjectParams::default() };
                c.projects().update(v.project, &p).await.map(drop)
            },
        ))
        .scenario(write_scenario(
            "addvalidbcode",
            "WRITES (needs PPMS_RECORD_WRITES=1): declares account ACC-9 valid until 2030-12-31",
            |c, _| async move {
                let until = NaiveDate::from_ymd_opt(2030, 12, 31).unwrap_or(NaiveDate::MAX);
                c.projects().add_valid_bcode("ACC-9", until).await.map(drop)
            },
        ))
        .scenario(write_scenario(
            "delvalidbcode",
            "WRITES (needs PPMS_RECORD_WRITES=1): removes account ACC-9",
            |c, _| async move { c.projects().remove_valid_bcode("ACC-9").await.map(drop) },
        ))
        .scenario(scenario("getorders", "every order", |c, _| async move {
            c.orders().list().await.map(drop)
        }))
        .scenario(scenario("getorderlines", "lines of PPMS_TEST_ORDER", |c, v| async move {
            c.orders().lines(v.order).await.map(drop)
        }))
        .scenario(scenario("getinvoicelist", "invoice ids", |c, _| async move {
            c.invoices().list().await.map(drop)
        }))
        .scenario(scenario("getinvoice", "totals of PPMS_TEST_INVOICE", |c, v| async move {
            c.invoices().get(&v.invoice).await.map(drop)
        }))
        .scenario(scenario("getinvoicedetails", "details of PPMS_TEST_INVOICE", |c, v| async move {
            c.invoices().details(&v.invoice, &InvoiceDetailsOptions::default()).await.map(drop)
        }))
        .scenario(scenario("getinvtracklist", "unpaid invoice tracking", |c, _| async move {
            c.invoices().tracking(Some(crate::InvoiceTrackingFilter::Unpaid)).await.map(drop)
        }))
        .scenario(scenario("api2_getsessionslist", "API2 sessions of PPMS_TEST_CORE on PPMS_TEST_DAY", |c, v| async move {
            c.api2().sessions(v.day, v.core, None).await.map(drop)
        }))
        .scenario(scenario("api2_getuserslist", "API2 users of PPMS_TEST_CORE", |c, v| async move {
            c.api2().users(v.core).await.map(drop)
        }))
        .scenario(scenario("api2_getgroupslist", "API2 groups", |c, _| async move {
            c.api2().groups().await.map(drop)
        }))
        .scenario(scenario("api2_getppmsaccounts", "API2 accounts of PPMS_TEST_CORE", |c, v| async move {
            c.api2().accounts(v.core).await.map(drop)
        }))
        .scenario(scenario("api2_report", "API2 report PPMS_TEST_REPORT", |c, v| async move {
            let core = v.core.to_string();
            c.api2()
                .run_report::<serde_json::Value>(&v.report, &[("coreid", &core), ("comment_contains", "ref-2024-0001")])
                .await
                .map(drop)
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recording_scenario_has_a_committed_cassette() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ppms");
        let r = recording();
        assert!(r.scenarios().len() >= 40);
        for s in r.scenarios() {
            assert!(
                dir.join(format!("{}.json", s.name())).is_file(),
                "no cassette for {}",
                s.name()
            );
        }
    }

    #[test]
    fn scrub_config_treats_the_system_code_as_secret() {
        let c = scrub_config();
        assert!(c.is_secret_field("code"));
        assert!(c.is_secret_field("apikey"));
        assert!(c.personal_kind("email").is_some());
    }
}
