//! `billing ppms …`: Stratocore PPMS (PUMAPI).

use anyhow::Context as _;
use billing_sandbox::{Sandbox, Vendor};
use chrono::NaiveDate;
use clap::Subcommand;
use ppms::{ActiveFilter, BulkOptions, CoreFacilityId};
use serde::Serialize;

use crate::Global;
use crate::config::{self, Source};
use crate::login::VendorArg;
use crate::output::{Emitter, Record, money, opt, yes_no};

#[derive(Subcommand, Debug)]
pub enum PpmsCommand {
    /// Users with their details (getusers, then one getuser per login, in parallel).
    Users {
        /// Only active users.
        #[arg(long)]
        active: bool,
        /// Only the e-mail addresses (deduplicated, sorted; users without one left out).
        #[arg(long)]
        emails: bool,
    },
    /// One user by login (exit code 3 when PPMS does not know it).
    User {
        /// The login.
        login: String,
    },
    /// Systems (instruments) with type, location and whether they can be booked.
    Systems,
    /// The bookings of a core facility on one day, with full names (getrunningsheet).
    RunningSheet {
        /// The core facility id (`plateformid`).
        #[arg(long, value_name = "N")]
        core: u32,
        /// The day, YYYY-MM-DD.
        #[arg(long, value_name = "D")]
        day: NaiveDate,
    },
    /// Orders (getorders).
    Orders,
    /// Invoice ids (getinvoicelist); `ppms invoice ID` shows one invoice's totals.
    Invoices,
    /// One invoice's totals per account (exit code 3 when PPMS has nothing for it).
    Invoice {
        /// The invoice id, as listed by `billing ppms invoices`.
        id: String,
    },
}

/// A client for the command, and the sandbox it talks to when `--sandbox` is given (kept
/// alive as long as the client is used).
async fn client(g: &Global) -> anyhow::Result<(ppms::Client, Option<Sandbox>)> {
    if g.sandbox {
        let sb = Sandbox::start(Vendor::Ppms)
            .await
            .context("starting the sandbox")?;
        let client = ppms::Client::builder(sb.url())
            .api_key("sandbox-key")
            .build()?;
        return Ok((client, Some(sb)));
    }
    let client = match config::source(
        g,
        VendorArg::Ppms,
        &[ppms::client::env::URL, ppms::client::env::API_KEY],
        |p| p.ppms_url.is_some(),
    )? {
        Source::Env => ppms::Client::from_env()?,
        Source::Profile(name, p) => {
            ppms::Client::builder(p.need(&name, "ppms_url", &p.ppms_url)?)
                .api_key(p.need(&name, "ppms_api_key", &p.ppms_api_key)?)
                .build()?
        }
    };
    Ok((client, None))
}

/// Runs a `billing ppms` command.
pub async fn run(cmd: PpmsCommand, g: &Global) -> anyhow::Result<()> {
    let (client, _sandbox) = client(g).await?;
    let format = g.format();
    match cmd {
        PpmsCommand::Users { active, emails } => {
            let filter = if active {
                ActiveFilter::Active
            } else {
                ActiveFilter::All
            };
            let bar = crate::output::progress(Some(0), "users", g.quiet);
            let progress = bar.clone();
            let opts = BulkOptions::default().progress(move |p| {
                progress.set_length(p.total as u64);
                progress.set_position(p.done as u64);
            });
            let details = client.users().details_all(filter, &opts).await?;
            bar.finish_and_clear();
            for (login, e) in &details.failures {
                eprintln!("billing: user {login}: {e}");
            }
            if emails {
                let mut set: Vec<Email> = details
                    .users
                    .iter()
                    .filter(|u| !active || u.active)
                    .filter_map(|u| u.email.as_deref().map(str::trim))
                    .filter(|e| !e.is_empty())
                    .map(|e| Email {
                        email: e.to_owned(),
                    })
                    .collect();
                set.sort_by(|a, b| a.email.cmp(&b.email));
                set.dedup_by(|a, b| a.email == b.email);
                let mut out = Emitter::new(format)?;
                out.items(&set)?;
                out.finish()?;
            } else {
                let mut out = Emitter::new(format)?;
                out.items(&details.users)?;
                out.finish()?;
            }
            if let Some((login, e)) = details.failures.into_iter().next() {
                return Err(anyhow::Error::new(e).context(format!(
                    "getuser {login} failed (and maybe others, see above)"
                )));
            }
        }
        PpmsCommand::User { login } => {
            let user = client.users().get(login.as_str()).await?;
            let mut out = Emitter::new(format)?;
            out.item(&user)?;
            out.finish()?;
        }
        PpmsCommand::Systems => {
            let systems = client.systems().list().await?;
            let mut out = Emitter::new(format)?;
            out.items(&systems.items)?;
            out.finish()?;
        }
        PpmsCommand::RunningSheet { core, day } => {
            let sheet = client
                .bookings()
                .running_sheet(CoreFacilityId(core), day)
                .await?;
            let mut out = Emitter::new(format)?;
            out.items(&sheet.items)?;
            out.finish()?;
        }
        PpmsCommand::Orders => {
            let orders = client.orders().list().await?;
            let mut out = Emitter::new(format)?;
            out.items(&orders.items)?;
            out.finish()?;
        }
        PpmsCommand::Invoices => {
            let ids = client.invoices().list().await?;
            let mut out = Emitter::new(format)?;
            for id in ids {
                out.item(&InvoiceRow { id })?;
            }
            out.finish()?;
        }
        PpmsCommand::Invoice { id } => {
            let totals = client.invoices().get(id.as_str()).await?;
            let mut out = Emitter::new(format)?;
            out.items(&totals)?;
            out.finish()?;
        }
    }
    Ok(())
}

/// One e-mail address (`ppms users --emails`).
#[derive(Serialize)]
struct Email {
    email: String,
}

impl Record for Email {
    const HEADER: &'static [&'static str] = &["e-mail"];
    fn cells(&self) -> Vec<String> {
        vec![self.email.clone()]
    }
}

/// One invoice id (`ppms invoices`).
#[derive(Serialize)]
struct InvoiceRow {
    id: String,
}

impl Record for InvoiceRow {
    const HEADER: &'static [&'static str] = &["invoice"];
    fn cells(&self) -> Vec<String> {
        vec![self.id.clone()]
    }
}

impl Record for ppms::User {
    const HEADER: &'static [&'static str] = &["login", "name", "e-mail", "group", "active"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.login.clone(),
            self.full_name(),
            opt(self.email.as_deref()),
            self.unitlogin.clone(),
            yes_no(self.active),
        ]
    }
}

impl Record for ppms::System {
    const HEADER: &'static [&'static str] = &[
        "id", "name", "type", "location", "core", "active", "bookable",
    ];
    const NUMERIC: &'static [usize] = &[0, 4];
    fn cells(&self) -> Vec<String> {
        vec![
            self.system_id.to_string(),
            self.name.clone(),
            self.system_type.clone(),
            self.localisation.clone(),
            self.core_facility_ref.to_string(),
            yes_no(self.active),
            yes_no(self.bookable),
        ]
    }
}

impl Record for ppms::RunningSheetEntry {
    const HEADER: &'static [&'static str] =
        &["system", "user", "start", "end", "hours", "location"];
    const NUMERIC: &'static [usize] = &[4];
    fn cells(&self) -> Vec<String> {
        vec![
            self.system_name.clone(),
            self.user_full_name.clone(),
            self.start.format("%Y-%m-%d %H:%M").to_string(),
            self.end.format("%Y-%m-%d %H:%M").to_string(),
            format!("{:.2}", self.duration().num_minutes() as f64 / 60.0),
            self.location.clone(),
        ]
    }
}

impl Record for ppms::Order {
    const HEADER: &'static [&'static str] = &[
        "order",
        "user",
        "group",
        "status",
        "ordered",
        "completed",
        "invoiced",
    ];
    const NUMERIC: &'static [usize] = &[0];
    fn cells(&self) -> Vec<String> {
        vec![
            self.order_ref.to_string(),
            opt(self.user.as_deref()),
            opt(self.group.as_deref()),
            opt(self.status.as_deref()),
            opt(self.ordered_date.as_deref()),
            opt(self.completed_date.as_deref()),
            opt(self.invoiced.as_deref()),
        ]
    }
}

impl Record for ppms::InvoiceAccountTotal {
    const HEADER: &'static [&'static str] = &["account", "amount"];
    const NUMERIC: &'static [usize] = &[1];
    fn cells(&self) -> Vec<String> {
        vec![self.account.clone(), money(self.amount)]
    }
}
