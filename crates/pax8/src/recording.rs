//! Recording scenarios for `cargo xtask record --vendor pax8`, and the same scenarios replayed
//! over the hand-built cassettes in `fixtures/pax8/` by the crate's snapshot tests.
//!
//! Every scenario is a function of a [`Client`] that makes its calls and returns what it saw as
//! a list of `(step, outcome)` pairs: the decoded model (as JSON) or a summary of the typed
//! error. The recorder runs it through a recording transport (one cassette per scenario); the
//! tests run it through a replay transport and snapshot the outcomes, so the code that recorded
//! a cassette is the code that is tested against it.
//!
//! Environment read by the recorder (never by the library itself):
//!
//! | variable | for |
//! |---|---|
//! | `PAX8_CLIENT_ID`, `PAX8_CLIENT_SECRET` | the API credential |
//! | `PAX8_BASE_URL` | optional base URL (default `https://api.pax8.com/v1`) |
//! | `PAX8_TOKEN_URL`, `PAX8_AUDIENCE` | optional token URL and audience |
//! | `PAX8_USAGE_DATE` | usage date for usage lines (`YYYY-MM-DD`, default [`USAGE_DATE`]) |
//!
//! Scenarios that write (create a company, place an order, change or cancel a subscription) are
//! never recorded against a live tenant: their cassettes are hand-built from the vendor
//! reference and listed in [`HAND_BUILT`], as are error cases that cannot be provoked on
//! demand. Order recording uses only the `isMock=true` dry run.

use std::future::Future;
use std::pin::Pin;

use billing_http_core::cassette::{
    CredentialVar, PersonalKind, Scenario, ScenarioContext, ScrubConfig, VendorRecording,
};
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::companies::{ListCompanies, ListContacts};
use crate::error::Error;
use crate::invoices::{ListDraftItems, ListInvoiceItems, ListInvoices};
use crate::model::*;
use crate::orders::ListOrders;
use crate::products::{ListProducts, PricingQuery};
use crate::subscriptions::{ListSubscriptions, ListUsageSummaries};
use crate::usage_summaries::ListUsageLines;
use crate::{Client, TokenEndpoint};

/// Usage date of the hand-built usage-lines cassettes.
pub const USAGE_DATE: &str = "2031-01-15";

/// Cassettes built by hand (writes and unprovokable errors); `cargo xtask record` skips them.
pub const HAND_BUILT: &[&str] = &[
    "companies_write",
    "orders_create",
    "subscriptions_write",
    "errors",
    "wire_quirks",
];

/// What one scenario saw: `(step, outcome)` pairs.
pub type Outcomes = Vec<(String, Value)>;

type Runner = fn(Client, NaiveDate) -> Pin<Box<dyn Future<Output = Outcomes> + Send>>;

/// One scenario: cassette name, description, runner.
#[derive(Clone, Copy)]
pub struct ScenarioDef {
    /// Cassette name (`fixtures/pax8/<name>.json`).
    pub name: &'static str,
    /// What it covers.
    pub description: &'static str,
    /// Makes the calls.
    pub run: Runner,
}

impl std::fmt::Debug for ScenarioDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScenarioDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A typed error as a snapshot-friendly value.
pub fn error_summary(e: &Error) -> Value {
    let variant = format!("{e:?}");
    let variant = variant
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_owned();
    let api = e.api_error();
    json!({
        "error": variant,
        "status": e.status().map(|s| s.as_u16()),
        "message": api.and_then(|a| a.message()),
        "instance": api.and_then(|a| a.instance().map(str::to_owned)),
        "errors": api.map(|a| a.errors().to_vec()).unwrap_or_default(),
        "details": api.map(|a| a.details().len()).unwrap_or(0),
        "outcome_unknown": e.is_outcome_unknown(),
    })
}

fn push<T: Serialize>(out: &mut Outcomes, step: &str, r: &Result<T, Error>) {
    let v = match r {
        Ok(t) => serde_json::to_value(t).unwrap_or(Value::Null),
        Err(e) => error_summary(e),
    };
    out.push((step.to_owned(), v));
}

fn first_id<T, I: Clone>(r: &Result<Page<T>, Error>, id: impl Fn(&T) -> Option<&I>) -> Option<I> {
    r.as_ref()
        .ok()
        .and_then(|p| p.content.first())
        .and_then(id)
        .cloned()
}

async fn companies(c: Client, _: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    let list = c
        .companies()
        .list(ListCompanies::new().sort(Sort::asc(CompanySortField::Name)))
        .await;
    push(&mut out, "companies.list", &list);
    if let Some(id) = first_id(&list, |x: &Company| x.id.as_ref()) {
        push(&mut out, "companies.get", &c.companies().get(&id).await);
        let contacts = c.companies().contacts(&id);
        let list = contacts.list(ListContacts::new()).await;
        push(&mut out, "contacts.list", &list);
        if let Some(kid) = first_id(&list, |x: &Contact| x.id.as_ref()) {
            push(&mut out, "contacts.get", &contacts.get(&kid).await);
        }
    }
    out
}

async fn companies_write(c: Client, _: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    let jane = ContactInput::new("Jane", "Doe", "jane.doe@example.org", "+44 20 0000 0001");
    let new = NewCompany::new(
        "Example Widgets Ltd",
        Address::new("1 Sample Road", "Exampleton", "EX1 2MP", "GB"),
        "+44 20 0000 0000",
        "widgets.example",
    )
    .bill_on_behalf_of(true)
    .with_primary_contact(jane.clone());
    let created = c.companies().create(&new).await;
    push(&mut out, "companies.create", &created);
    let id = CompanyId::from("11111111-2222-4333-8444-555555555555");
    push(
        &mut out,
        "companies.update",
        &c.companies()
            .update(&id, &CompanyUpdate::new().phone("+44 20 0000 0009"))
            .await,
    );
    let contacts = c.companies().contacts(&id);
    let john = ContactInput::new("John", "Roe", "john.roe@example.org", "+44 20 0000 0002")
        .with_type(ContactKind::Technical, false);
    push(&mut out, "contacts.create", &contacts.create(&john).await);
    let kid = ContactId::from("22222222-3333-4444-8555-666666666666");
    push(
        &mut out,
        "contacts.replace",
        &contacts.replace(&kid, &jane).await,
    );
    push(&mut out, "contacts.delete", &contacts.delete(&kid).await);
    out
}

async fn products(c: Client, _: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    let list = c
        .products()
        .list(
            ListProducts::new()
                .search("Example")
                .sort(Sort::asc(ProductSortField::Name)),
        )
        .await;
    push(&mut out, "products.list", &list);
    if let Some(id) = first_id(&list, |x: &Product| x.id.as_ref()) {
        let p = c.products();
        push(&mut out, "products.get", &p.get(&id).await);
        push(
            &mut out,
            "products.provision_details",
            &p.provision_details(&id).await,
        );
        push(
            &mut out,
            "products.dependencies",
            &p.dependencies(&id).await,
        );
        push(
            &mut out,
            "products.pricing",
            &p.pricing(&id, PricingQuery::default()).await,
        );
    }
    out
}

/// The one-line order of the `orders` scenario (sent with `isMock=true`), also used by the
/// `place_order --dry-run` example.
pub fn sample_order(company: CompanyId, product: ProductId) -> CreateOrder {
    CreateOrder::new(company)
        .ordered_by(OrderedBy::Pax8Partner)
        .ordered_by_user_email("jane.doe@example.org")
        .line(
            CreateLineItem::new(product, 3, BillingTerm::Annual)
                .commitment("99999999-8888-4777-8666-555555555555")
                .provision_start(
                    Utc.with_ymd_and_hms(2031, 6, 1, 0, 0, 0)
                        .unwrap()
                        .fixed_offset(),
                )
                .provisioning(ProvisioningValue::single(
                    "exampleDomainPrefix",
                    "examplewidgets",
                )),
        )
}

async fn orders(c: Client, _: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    let list = c.orders().list(ListOrders::new()).await;
    push(&mut out, "orders.list", &list);
    let first = list.as_ref().ok().and_then(|p| p.content.first()).cloned();
    if let Some(order) = first {
        if let Some(id) = &order.id {
            push(&mut out, "orders.get", &c.orders().get(id).await);
        }
        let product = order.line_items.first().and_then(|l| l.product_id.clone());
        if let (Some(company), Some(product)) = (order.company_id.clone(), product) {
            push(
                &mut out,
                "orders.validate",
                &c.orders().validate(&sample_order(company, product)).await,
            );
        }
    }
    out
}

/// The two-line order of the hand-built `orders_create` cassette (a line depending on the
/// first one), also used by the `place_order` example.
pub fn example_order() -> CreateOrder {
    sample_order(
        "11111111-2222-4333-8444-555555555555".into(),
        "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee".into(),
    )
    .line(
        CreateLineItem::new(
            "ffffffff-eeee-4ddd-8ccc-bbbbbbbbbbbb",
            3,
            BillingTerm::Monthly,
        )
        .parent_line(1),
    )
}

async fn orders_create(c: Client, _: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    push(
        &mut out,
        "orders.create",
        &c.orders().create(&example_order()).await,
    );
    out
}

async fn subscriptions(c: Client, date: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    let list = c
        .subscriptions()
        .list(
            ListSubscriptions::new()
                .status(SubscriptionStatus::Active)
                .sort(Sort::desc(SubscriptionSortField::CreatedDate)),
        )
        .await;
    push(&mut out, "subscriptions.list", &list);
    if let Some(id) = first_id(&list, |x: &Subscription| x.id.as_ref()) {
        let s = c.subscriptions();
        push(&mut out, "subscriptions.get", &s.get(&id).await);
        push(&mut out, "subscriptions.history", &s.history(&id).await);
        let sums = s.usage_summaries(&id, ListUsageSummaries::new()).await;
        push(&mut out, "subscriptions.usage_summaries", &sums);
        if let Some(uid) = first_id(&sums, |x: &UsageSummary| x.id.as_ref()) {
            let u = c.usage_summaries();
            push(&mut out, "usage_summaries.get", &u.get(&uid).await);
            push(
                &mut out,
                "usage_summaries.lines",
                &u.lines(&uid, date, ListUsageLines::new()).await,
            );
        }
    }
    out
}

async fn subscriptions_write(c: Client, _: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    let id = SubscriptionId::from("12121212-3434-4545-8656-787878787878");
    let s = c.subscriptions();
    push(
        &mut out,
        "subscriptions.update",
        &s.update(
            &id,
            &SubscriptionUpdate::new()
                .quantity(7)
                .provisioning_details(vec![ProvisioningValue::single(
                    "exampleAdminEmail",
                    "jane.doe@example.org",
                )]),
        )
        .await,
    );
    let at = Utc
        .with_ymd_and_hms(2031, 7, 1, 0, 0, 0)
        .unwrap()
        .fixed_offset();
    push(
        &mut out,
        "subscriptions.cancel",
        &s.cancel(&id, Some(at)).await,
    );
    out
}

async fn invoices(c: Client, _: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    let list = c
        .invoices()
        .list(ListInvoices::new().sort(Sort::desc(InvoiceSortField::InvoiceDate)))
        .await;
    push(&mut out, "invoices.list", &list);
    if let Some(id) = first_id(&list, |x: &Invoice| x.id.as_ref()) {
        let i = c.invoices();
        push(&mut out, "invoices.get", &i.get(&id).await);
        push(
            &mut out,
            "invoices.items",
            &i.items(&id, ListInvoiceItems::new()).await,
        );
    }
    push(
        &mut out,
        "invoices.draft_items",
        &c.invoices()
            .draft_items(DraftMonth::Current, ListDraftItems::new())
            .await,
    );
    out
}

async fn errors(c: Client, _: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    push(
        &mut out,
        "companies.get.not_found",
        &c.companies()
            .get("00000000-0000-4000-8000-000000000000")
            .await,
    );
    push(
        &mut out,
        "subscriptions.list.invalid_company",
        &c.subscriptions()
            .list(ListSubscriptions::new().company_id("not-a-company"))
            .await,
    );
    let id = SubscriptionId::from("12121212-3434-4545-8656-787878787878");
    push(
        &mut out,
        "subscriptions.update.rejected",
        &c.subscriptions()
            .update(&id, &SubscriptionUpdate::new().quantity(1))
            .await,
    );
    push(
        &mut out,
        "subscriptions.update.server_error",
        &c.subscriptions()
            .update(&id, &SubscriptionUpdate::new().quantity(2))
            .await,
    );
    out
}

async fn wire_quirks(c: Client, date: NaiveDate) -> Outcomes {
    let mut out = Vec::new();
    push(
        &mut out,
        "orders.list",
        &c.orders()
            .list(ListOrders::new().company_id("11111111-2222-4333-8444-555555555555"))
            .await,
    );
    push(
        &mut out,
        "subscriptions.get.commitment_alias",
        &c.subscriptions()
            .get("34343434-5656-4787-8989-010101010101")
            .await,
    );
    push(
        &mut out,
        "contacts.get.phone_fields",
        &c.companies()
            .contacts("11111111-2222-4333-8444-555555555555")
            .get("22222222-3333-4444-8555-666666666666")
            .await,
    );
    push(
        &mut out,
        "invoices.items.spellings",
        &c.invoices()
            .items(
                "77777777-8888-4999-8aaa-bbbbbbbbbbbb",
                ListInvoiceItems::new(),
            )
            .await,
    );
    let lines = c
        .usage_summaries()
        .lines_all(
            "56565656-7878-4989-8a0a-1b1b1b1b1b1b",
            date,
            ListUsageLines::new().size(10u32),
        )
        .collect_all()
        .await;
    push(
        &mut out,
        "usage_summaries.lines_all.under_reported_pages",
        &lines.map(|l| l.len()),
    );
    out
}

macro_rules! runner {
    ($f:ident) => {
        |c, d| Box::pin($f(c, d))
    };
}

/// Every scenario, recorded and hand-built.
pub const SCENARIOS: &[ScenarioDef] = &[
    ScenarioDef {
        name: "companies",
        description: "E01, E03, E06, E07: list, get, contacts",
        run: runner!(companies),
    },
    ScenarioDef {
        name: "companies_write",
        description: "E02, E04, E05, E08, E09 (hand-built)",
        run: runner!(companies_write),
    },
    ScenarioDef {
        name: "products",
        description: "E10-E14: list, get, provision details, dependencies, pricing",
        run: runner!(products),
    },
    ScenarioDef {
        name: "orders",
        description: "E15, E17, E16 with isMock=true",
        run: runner!(orders),
    },
    ScenarioDef {
        name: "orders_create",
        description: "E16 real order (hand-built)",
        run: runner!(orders_create),
    },
    ScenarioDef {
        name: "subscriptions",
        description: "E18, E19, E22, E27, E28, E29",
        run: runner!(subscriptions),
    },
    ScenarioDef {
        name: "subscriptions_write",
        description: "E20, E21 (hand-built)",
        run: runner!(subscriptions_write),
    },
    ScenarioDef {
        name: "invoices",
        description: "E23-E26",
        run: runner!(invoices),
    },
    ScenarioDef {
        name: "errors",
        description: "404, 403, 422, 500 bodies (hand-built)",
        run: runner!(errors),
    },
    ScenarioDef {
        name: "wire_quirks",
        description: "wire shapes of PAX8-Q01..Q05, Q23, Q32, Q34 (hand-built)",
        run: runner!(wire_quirks),
    },
];

/// How pax8 cassettes are scrubbed: the default secret fields (`client_secret`,
/// `access_token`, `authorization`, ...), plus personal data in contacts and companies.
pub fn scrub_config() -> ScrubConfig {
    ScrubConfig::new()
        .personal_field("firstName", PersonalKind::FirstName)
        .personal_field("lastName", PersonalKind::LastName)
        .personal_field("email", PersonalKind::Email)
        .personal_field("orderedByUserEmail", PersonalKind::Email)
        .personal_field("contactEmail", PersonalKind::Email)
        .personal_field("phone", PersonalKind::Phone)
        .personal_field("phoneNumber", PersonalKind::Phone)
        .personal_field("street", PersonalKind::Address)
        .personal_field("street2", PersonalKind::Address)
}

/// A client for a scenario: base URL, token URL (`<base>/token` unless `PAX8_TOKEN_URL`),
/// audience and credentials from the context.
pub fn scenario_client(ctx: &ScenarioContext) -> Result<Client, billing_http_core::Error> {
    use billing_http_core::ExposeSecret;
    let id = ctx.secret("PAX8_CLIENT_ID")?;
    let secret = ctx.secret("PAX8_CLIENT_SECRET")?;
    let base = ctx.base_url().trim_end_matches('/').to_owned();
    let token_url = ctx
        .var("PAX8_TOKEN_URL")
        .unwrap_or_else(|| format!("{base}/token"));
    let audience = ctx
        .var("PAX8_AUDIENCE")
        .unwrap_or_else(|| crate::auth::AUDIENCE_PARTNER.into());
    Client::builder()
        .credentials(id.expose_secret(), secret.expose_secret())
        .base_url(base)
        .token_endpoint(TokenEndpoint::Custom {
            url: token_url,
            audience,
        })
        .transport(ctx.transport())
        .build()
        .map_err(|e| billing_http_core::Error::config(e.to_string()))
}

/// What `cargo xtask record --vendor pax8` runs: every scenario not in [`HAND_BUILT`].
pub fn recording() -> VendorRecording {
    let mut rec = VendorRecording::new("pax8", scrub_config())
        .base_url_var("PAX8_BASE_URL", Some(crate::client::DEFAULT_BASE_URL))
        .credential(
            // the committed cassettes' token requests carry this (invented) client id
            CredentialVar::plain("PAX8_CLIENT_ID", "Pax8 API client id")
                .sandbox_value("example-client-id"),
        )
        .credential(CredentialVar::secret(
            "PAX8_CLIENT_SECRET",
            "Pax8 API client secret",
        ))
        .credential(
            CredentialVar::plain("PAX8_TOKEN_URL", "token URL (default <base>/token)").optional(),
        )
        .credential(CredentialVar::plain("PAX8_AUDIENCE", "token audience").optional())
        .credential(CredentialVar::plain("PAX8_USAGE_DATE", "usage date YYYY-MM-DD").optional());
    for def in SCENARIOS.iter().filter(|d| !HAND_BUILT.contains(&d.name)) {
        let run = def.run;
        rec = rec.scenario(Scenario::new(
            def.name,
            def.description,
            move |ctx: ScenarioContext| async move {
                let client = scenario_client(&ctx)?;
                let date = ctx
                    .var("PAX8_USAGE_DATE")
                    .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
                    .or_else(|| NaiveDate::parse_from_str(USAGE_DATE, "%Y-%m-%d").ok())
                    .unwrap_or_default();
                let outcomes = run(client, date).await;
                tracing::info!(steps = outcomes.len(), "pax8 scenario recorded");
                Ok(())
            },
        ));
    }
    rec
}
