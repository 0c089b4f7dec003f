//! A blocking client (feature `blocking`), for synchronous programs: a cron job, a build
//! script, a small GUI.
//!
//! [`Client`] mirrors the async [`crate::Client`]: the same builder methods, the same calls
//! grouped the same way (`client.users().get(login)`), the same [`Error`]s. Each
//! call runs to completion on a small tokio runtime owned by the client (one worker thread,
//! built once, shared by clones), as `reqwest::blocking` does; the bulk helpers keep their
//! bounded concurrency on that runtime. You need no `#[tokio::main]`.
//!
//! ```no_run
//! use ppms::{ActiveFilter, BulkOptions, OptionalExt};
//!
//! # fn run() -> Result<(), ppms::Error> {
//! let client = ppms::blocking::Client::builder("https://ppms.eu/my-site/")
//!     .api_key(std::env::var("PPMS_API_KEY").unwrap_or_default())
//!     .build()?; // or ppms::blocking::Client::from_env()?
//! client.check_key()?;
//!
//! if let Some(user) = client.users().get("jdoe").optional()? {
//!     println!("{} <{}>", user.full_name(), user.email.as_deref().unwrap_or("-"));
//! }
//! let details = client.users().details_all(ActiveFilter::Active, &BulkOptions::default())?;
//! println!("{} users, {} failures", details.users.len(), details.failures.len());
//! for system in client.systems().list()?.iter() {
//!     println!("{} {}", system.system_id, system.name);
//! }
//! # Ok(()) }
//! ```
//!
//! **Not inside an async runtime.** Called from async code (or from a `spawn_blocking`
//! closure) a call returns, without sending anything, an error with `is_invalid_input()` whose
//! message says "the blocking client cannot be used inside an async runtime; use the async
//! client" — it never panics. Dropping a blocking client is safe anywhere.
//!
//! Mirrored: every call of [`crate::Client`] and of its groups (users, groups, systems,
//! bookings, projects, orders, invoices, incidents, API2), `endpoints`. Differences: the two
//! bulk calls that cannot fail in the async API, [`Users::details`] and
//! [`Systems::rights_of`], return a `Result` here (they fail only inside an async runtime).
//! Not mirrored: `Users::details_stream` (use [`Users::details`], or the async client);
//! `http()` and `to_http()` are on [`Client::as_async`].

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::model::{InvoiceId, InvoiceRef, Login, UnitLogin};
use crate::parse::{Lines, Table};
use crate::{
    ActiveFilter, Api2Account, Api2Group, Api2Session, Api2User, AuthOutcome, BillingCode,
    BulkOptions, CoreFacilityId, CreateOutcome, CurrentBooking, Endpoints, Experience,
    ExperienceFilter, Fetched, Group, GroupParams, InvoiceAccountTotal, InvoiceDetails,
    InvoiceDetailsOptions, InvoiceTracking, InvoiceTrackingFilter, NewOrder, Order, OrderLine,
    OrderRef, Parsed, PriceListEntry, Project, ProjectId, ProjectParams, RawResponse, ReportId,
    ResolvedEntry, RightType, RightsBySystem, RunningSheetEntry, SecretString, Service, Severity,
    System, SystemId, SystemRight, UpcomingBooking, User, UserDetails, UserParams, UserRight,
};

billing_http_core::blocking_client! {
    vendor: "ppms",
    core_error: crate::Error::Http,
    builder(base_url: impl Into<String>),
}

impl ClientBuilder {
    billing_http_core::blocking_builder_methods! {
        fn api_key(key: impl Into<String>);
        fn credentials(credentials: crate::Credentials);
        fn api2_key(key: impl Into<String>);
        fn api2_base_url(url: impl Into<String>);
        fn api2_falls_back_to_pumapi_key(yes: bool);
        fn large_body_timeout(timeout: std::time::Duration);
        fn row_policy(policy: crate::RowPolicy);
        fn staff_comment_field(name: impl Into<String>);
        fn incident_action(name: impl Into<String>);
        fn reports(reports: crate::Reports);
        fn user_cache(cache: std::sync::Arc<dyn crate::UserCache>);
        fn bulk_concurrency(n: usize);
    }
}

billing_http_core::blocking_groups! { borrowed;
    fn users -> Users<'a>;
    fn groups -> Groups<'a>;
    fn systems -> Systems<'a>;
    fn bookings -> Bookings<'a>;
    fn projects -> Projects<'a>;
    fn orders -> Orders<'a>;
    fn invoices -> Invoices<'a>;
    fn incidents -> Incidents<'a>;
    fn api2 -> Api2<'a>;
}

impl Client {
    /// The PUMAPI and API2 URLs: see [`crate::Client::endpoints`].
    pub fn endpoints(&self) -> &Endpoints {
        self.inner.endpoints()
    }

    billing_http_core::blocking_calls! { "crate::Client";
        fn raw_action(action: &str, params: &[(&str, &str)]) -> Result<RawResponse, Error>;
        fn raw_read(action: &str, params: &[(&str, &str)]) -> Result<RawResponse, Error>;
        fn check_key() -> Result<(), Error>;
        fn add_sample_result(sample_id: &str, title: &str, value: &str) -> Result<RawResponse, Error>;
    }
}

impl Users<'_> {
    billing_http_core::blocking_calls! { "crate::Users";
        fn list(filter: ActiveFilter) -> Result<Vec<String>, Error>;
        fn list_lines(filter: ActiveFilter) -> Result<Lines, Error>;
        fn admins() -> Result<Vec<String>, Error>;
        fn admins_lines() -> Result<Lines, Error>;
        fn get(login: impl Into<Login>) -> Result<User, Error>;
        fn get_fetched(login: impl Into<Login>, force_refresh: bool) -> Result<Fetched<User>, Error>;
        fn authenticate(
            login: impl Into<Login>,
            password: &SecretString,
            rightcheck: bool,
        ) -> Result<AuthOutcome, Error>;
        fn create(params: &UserParams) -> Result<(), Error>;
        fn upsert(params: &UserParams) -> Result<(), Error>;
        fn update(params: &UserParams) -> Result<RawResponse, Error>;
        fn details_all(filter: ActiveFilter, opts: &BulkOptions) -> Result<UserDetails, Error>;
        fn active_emails(opts: &BulkOptions) -> Result<(BTreeSet<String>, UserDetails), Error>;
        fn admins_detailed(opts: &BulkOptions) -> Result<UserDetails, Error>;
    }

    /// Blocking [`details`](crate::Users::details): the users' details with bounded
    /// concurrency. Fails only inside an async runtime.
    pub fn details(&self, logins: Vec<String>, opts: &BulkOptions) -> Result<UserDetails, Error> {
        Ok(self.rt.block_on(self.inner.details(logins, opts))?)
    }

    /// Forgets one cached user: see [`crate::Users::invalidate_cached`].
    pub fn invalidate_cached(&self, login: impl Into<Login>) {
        self.inner.invalidate_cached(login);
    }

    /// Empties the user cache: see [`crate::Users::clear_cache`].
    pub fn clear_cache(&self) {
        self.inner.clear_cache();
    }
}

impl Groups<'_> {
    billing_http_core::blocking_calls! { "crate::Groups";
        fn list(filter: ActiveFilter) -> Result<Vec<String>, Error>;
        fn list_lines(filter: ActiveFilter) -> Result<Lines, Error>;
        fn get(unitlogin: impl Into<UnitLogin>) -> Result<Group, Error>;
        fn members(unitlogin: impl Into<UnitLogin>, filter: ActiveFilter) -> Result<Vec<String>, Error>;
        fn members_lines(unitlogin: impl Into<UnitLogin>, filter: ActiveFilter) -> Result<Lines, Error>;
        fn members_checked(unitlogin: impl Into<UnitLogin>, filter: ActiveFilter) -> Result<Vec<String>, Error>;
        fn create(params: &GroupParams) -> Result<RawResponse, Error>;
        fn update(params: &GroupParams) -> Result<RawResponse, Error>;
        fn members_detailed(
            unitlogin: impl Into<UnitLogin>,
            filter: ActiveFilter,
            opts: &BulkOptions,
        ) -> Result<UserDetails, Error>;
    }
}

impl Systems<'_> {
    billing_http_core::blocking_calls! { "crate::Systems";
        fn list() -> Result<Parsed<System>, Error>;
        fn list_table() -> Result<Table<System>, Error>;
        fn get(id: impl Into<SystemId>) -> Result<System, Error>;
        fn matching(location_contains: &str, name_contains: &str) -> Result<Vec<System>, Error>;
        fn rights(id: impl Into<SystemId>) -> Result<Vec<SystemRight>, Error>;
        fn rights_lenient(id: impl Into<SystemId>) -> Result<Parsed<SystemRight>, Error>;
        fn user_rights(login: impl Into<Login>) -> Result<Vec<UserRight>, Error>;
        fn set_right(id: impl Into<SystemId>, login: impl Into<Login>, right: RightType) -> Result<(), Error>;
        fn rights_all(opts: &BulkOptions) -> Result<RightsBySystem, Error>;
    }

    /// Blocking [`rights_of`](crate::Systems::rights_of): the rights of each system with
    /// bounded concurrency. Fails only inside an async runtime.
    pub fn rights_of(
        &self,
        systems: Vec<SystemId>,
        opts: &BulkOptions,
    ) -> Result<RightsBySystem, Error> {
        Ok(self.rt.block_on(self.inner.rights_of(systems, opts))?)
    }
}

impl Bookings<'_> {
    billing_http_core::blocking_calls! { "crate::Bookings";
        fn current(system: impl Into<SystemId>) -> Result<Option<CurrentBooking>, Error>;
        fn next(system: impl Into<SystemId>) -> Result<Option<UpcomingBooking>, Error>;
        fn running_sheet(
            core: impl Into<CoreFacilityId>,
            day: NaiveDate,
        ) -> Result<Parsed<RunningSheetEntry>, Error>;
        fn experience(filter: &ExperienceFilter) -> Result<Parsed<Experience>, Error>;
        fn running_sheet_resolved(
            core: impl Into<CoreFacilityId>,
            day: NaiveDate,
            opts: &BulkOptions,
        ) -> Result<Parsed<ResolvedEntry>, Error>;
    }
}

impl Projects<'_> {
    billing_http_core::blocking_calls! { "crate::Projects";
        fn create(params: &ProjectParams) -> Result<RawResponse, Error>;
        fn update(project: impl Into<ProjectId>, params: &ProjectParams) -> Result<RawResponse, Error>;
        fn add_entry(
            project: impl Into<ProjectId>,
            title: &str,
            content: &str,
        ) -> Result<RawResponse, Error>;
        fn add_valid_bcode(bcode: &str, expiration: NaiveDate) -> Result<RawResponse, Error>;
        fn remove_valid_bcode(bcode: &str) -> Result<RawResponse, Error>;
        fn list() -> Result<Parsed<Project>, Error>;
        fn list_table() -> Result<Table<Project>, Error>;
        fn of_user(login: impl Into<Login>) -> Result<Vec<ProjectId>, Error>;
        fn users(project: impl Into<ProjectId>) -> Result<Vec<String>, Error>;
        fn users_lines(project: impl Into<ProjectId>) -> Result<Lines, Error>;
        fn groups(project: impl Into<ProjectId>) -> Result<RawResponse, Error>;
        fn billing_codes() -> Result<Parsed<BillingCode>, Error>;
    }
}

impl Orders<'_> {
    billing_http_core::blocking_calls! { "crate::Orders";
        fn create(order: &NewOrder) -> Result<OrderRef, Error>;
        fn list() -> Result<Parsed<Order>, Error>;
        fn list_table() -> Result<Table<Order>, Error>;
        fn find_by_marker(marker: &str) -> Result<Option<Order>, Error>;
        fn create_once(order: &NewOrder, marker: &str) -> Result<CreateOutcome, Error>;
        fn lines(order: impl Into<OrderRef>) -> Result<Parsed<OrderLine>, Error>;
        fn services(core: Option<CoreFacilityId>) -> Result<Parsed<Service>, Error>;
        fn price_list() -> Result<Parsed<PriceListEntry>, Error>;
        fn price_list_table() -> Result<Table<PriceListEntry>, Error>;
    }
}

impl Invoices<'_> {
    billing_http_core::blocking_calls! { "crate::Invoices";
        fn list() -> Result<Vec<String>, Error>;
        fn list_lines() -> Result<Lines, Error>;
        fn get(invoice_id: impl Into<InvoiceId>) -> Result<Vec<InvoiceAccountTotal>, Error>;
        fn details(invoice_id: impl Into<InvoiceId>, options: &InvoiceDetailsOptions) -> Result<InvoiceDetails, Error>;
        fn tracking(filter: Option<InvoiceTrackingFilter>) -> Result<Parsed<InvoiceTracking>, Error>;
        fn tracking_table(filter: Option<InvoiceTrackingFilter>) -> Result<Table<InvoiceTracking>, Error>;
        fn mark_sent(invoice_ref: impl Into<InvoiceRef>) -> Result<RawResponse, Error>;
    }
}

impl Incidents<'_> {
    billing_http_core::blocking_calls! { "crate::Incidents";
        fn create(
            system: impl Into<SystemId>,
            severity: Severity,
            description: &str,
        ) -> Result<RawResponse, Error>;
        fn list(system: impl Into<SystemId>) -> Result<RawResponse, Error>;
    }
}

impl Api2<'_> {
    billing_http_core::blocking_calls! { "crate::Api2";
        fn sessions(
            day: NaiveDate,
            core: impl Into<CoreFacilityId>,
            system: Option<SystemId>,
        ) -> Result<Vec<Api2Session>, Error>;
        fn users(core: impl Into<CoreFacilityId>) -> Result<Vec<Api2User>, Error>;
        fn groups() -> Result<Vec<Api2Group>, Error>;
        fn accounts(core: impl Into<CoreFacilityId>) -> Result<Vec<Api2Account>, Error>;
        fn book_session(params: &[(&str, &str)]) -> Result<Vec<serde_json::Value>, Error>;
        fn delete_session(core: impl Into<CoreFacilityId>, session_id: &str) -> Result<RawResponse, Error>;
    }

    /// Blocking [`call`](crate::Api2::call): one API2 request, its rows decoded as `T`.
    pub fn call<T: DeserializeOwned>(
        &self,
        req: billing_http_core::Request,
    ) -> Result<Vec<T>, Error> {
        self.rt.run(self.inner.call(req))
    }

    /// Blocking [`run_report`](crate::Api2::run_report): a report by id.
    pub fn run_report<T: DeserializeOwned>(
        &self,
        id: &ReportId,
        params: &[(&str, &str)],
    ) -> Result<Vec<T>, Error> {
        self.rt.run(self.inner.run_report(id, params))
    }

    /// Blocking [`report`](crate::Api2::report): a report by its configured name.
    pub fn report<T: DeserializeOwned>(
        &self,
        name: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<T>, Error> {
        self.rt.run(self.inner.report(name, params))
    }
}
