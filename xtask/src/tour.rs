//! `cargo xtask tour`: a guided walk through the main jobs of all three vendor crates.
//!
//! Offline by default: each vendor is served by the in-process sandbox (recorded fixtures plus
//! synthetic data), so the tour needs no credentials and no network. A vendor whose credentials
//! are in the environment is toured live instead, read-only unless `--allow-writes` is given:
//!
//! | vendor | live when set | writes it would make (only with `--allow-writes`) |
//! |---|---|---|
//! | PPMS | `PPMS_URL`, `PPMS_API_KEY` (and `PPMS_CORE_ID` for the running sheet) | one `createorder` (`PPMS_TOUR_LOGIN`, `PPMS_TOUR_SERVICE_ID`) |
//! | Pax8 | `PAX8_CLIENT_ID`, `PAX8_CLIENT_SECRET` | none: the order is a dry run (`isMock=true`) |
//! | Cloudspot | `CLOUDSPOT_TOKEN` | none |

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use billing_sandbox::{Sandbox, Synthetic};
use clap::Args;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;

use crate::report::{
    Table, count, count_usize, duration, heading, money, note, opt, opt_money, opt_quantity,
    quantity, step,
};

mod relay;

/// Options of `cargo xtask tour`.
#[derive(Args, Debug, Clone)]
pub struct TourArgs {
    /// Only these sections (ppms, pax8, cloudspot, relay); all by default.
    #[arg(long = "vendor", value_name = "VENDOR")]
    vendors: Vec<String>,
    /// Allow the live PPMS tour to create an order (never done offline-only, never by default).
    #[arg(long)]
    allow_writes: bool,
    /// Synthetic PPMS users served by the offline sandbox.
    #[arg(long, default_value_t = 400)]
    users: usize,
    /// Latency the offline sandbox adds to every answer, in milliseconds.
    #[arg(long, default_value_t = 5)]
    latency_ms: u64,
}

/// Runs the tour. Each vendor runs on its own; a failure is reported and the tour goes on.
pub async fn run(args: TourArgs) -> anyhow::Result<std::process::ExitCode> {
    let all = ["ppms", "pax8", "cloudspot", "relay"];
    for v in &args.vendors {
        if !all.contains(&v.as_str()) {
            anyhow::bail!("unknown vendor `{v}`: choose ppms, pax8, cloudspot or relay");
        }
    }
    let wanted = |v: &str| args.vendors.is_empty() || args.vendors.iter().any(|w| w == v);
    let started = Instant::now();
    let mut failed = Vec::new();
    if wanted("ppms")
        && let Err(e) = ppms_tour(&args).await
    {
        eprintln!("\nppms tour failed: {e:#}");
        failed.push("ppms");
    }
    if wanted("pax8")
        && let Err(e) = pax8_tour(&args).await
    {
        eprintln!("\npax8 tour failed: {e:#}");
        failed.push("pax8");
    }
    if wanted("cloudspot")
        && let Err(e) = cloudspot_tour(&args).await
    {
        eprintln!("\ncloudspot tour failed: {e:#}");
        failed.push("cloudspot");
    }
    if wanted("relay")
        && let Err(e) = relay::tour(300).await
    {
        eprintln!("\nrelay tour failed: {e:#}");
        failed.push("relay");
    }
    println!();
    if failed.is_empty() {
        println!(
            "tour finished in {}. Next: `cargo test --workspace --all-features`",
            duration(started.elapsed())
        );
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        println!("tour finished with failures in: {}", failed.join(", "));
        Ok(std::process::ExitCode::FAILURE)
    }
}

// ─────────────────────────────────────────── PPMS ───────────────────────────────────────────

async fn ppms_tour(args: &TourArgs) -> anyhow::Result<()> {
    use ppms::{BulkOptions, CoreFacilityId, NewOrder, OptionalExt, ServiceId};

    let live = std::env::var("PPMS_URL")
        .ok()
        .zip(std::env::var("PPMS_API_KEY").ok());
    let mut _sandbox = None;
    let (client, core, day) = match &live {
        Some((url, key)) => {
            heading("Stratocore PPMS", &format!("live: {url}"));
            let core = std::env::var("PPMS_CORE_ID")
                .ok()
                .and_then(|c| c.parse().ok())
                .map(CoreFacilityId);
            (
                ppms::Client::builder(url.clone())
                    .api_key(key.clone())
                    .build()?,
                core,
                chrono::Local::now().date_naive(),
            )
        }
        None => {
            let sb = Sandbox::builder("ppms")
                .scrub_config(ppms::recording::scrub_config())
                .all_fixtures()?
                .synthetic(Synthetic::ppms_users(args.users))
                .latency(Duration::from_millis(args.latency_ms))
                .start()
                .await?;
            heading(
                "Stratocore PPMS",
                &format!(
                    "offline sandbox {} · {} synthetic users · {} ms latency",
                    sb.url(),
                    count_usize(args.users),
                    args.latency_ms
                ),
            );
            // as for a live site: PUMAPI documents no rate limit, so the default client has none
            note(
                "client-side rate limit: none, as for a live site (PUMAPI documents none); 16 requests in flight, 429/503 back off",
            );
            let client = ppms::Client::builder(sb.url())
                .api_key("sandbox-key")
                .build()?;
            _sandbox = Some(sb);
            let day = chrono::NaiveDate::from_ymd_opt(2030, 5, 10).context("valid date")?;
            (client, Some(CoreFacilityId(3)), day)
        }
    };

    step(
        "Active users and their e-mail addresses (getusers, then one getuser per login, 16 in flight)",
    );
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("  {bar:40} {pos}/{len} users  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress_bar = bar.clone();
    let opts = BulkOptions::default().progress(move |p| {
        progress_bar.set_length(p.total as u64);
        progress_bar.set_position(p.done as u64);
    });
    let t = Instant::now();
    let (emails, details) = client.users().active_emails(&opts).await?;
    bar.finish_and_clear();
    println!(
        "  {} active users fetched in {}: {} e-mail addresses, {} unknown, {} failed",
        count_usize(details.users.len()),
        duration(t.elapsed()),
        count_usize(emails.len()),
        count_usize(details.missing.len()),
        count_usize(details.failures.len())
    );
    let mut table = Table::new(&["login", "name", "e-mail", "group"]);
    for u in details.users.iter().take(8) {
        table.row(vec![
            u.login.clone(),
            u.full_name(),
            opt(u.email.as_deref()),
            u.unitlogin.clone(),
        ]);
    }
    table.print();
    if details.users.len() > 8 {
        println!("  … and {} more", count_usize(details.users.len() - 8));
    }

    step(&format!(
        "Running sheet of {day} (getrunningsheet; full names, midnight ends rolled over)"
    ));
    match core {
        None => println!("  skipped: set PPMS_CORE_ID to the core facility id"),
        Some(core) => {
            let sheet = client.bookings().running_sheet(core, day).await?;
            let mut table =
                Table::new(&["system", "user", "start", "end", "hours", "location"]).right(&[4]);
            for e in sheet.iter() {
                table.row(vec![
                    e.system_name.clone(),
                    e.user_full_name.clone(),
                    e.start.format("%Y-%m-%d %H:%M").to_string(),
                    e.end.format("%Y-%m-%d %H:%M").to_string(),
                    format!("{:.1}", e.duration().num_minutes() as f64 / 60.0),
                    e.location.clone(),
                ]);
            }
            table.print();
        }
    }

    step(
        "An order created, then found again by the marker in its staff comment (createorder, getorders)",
    );
    let marker = "ref-2024-0001";
    let writes_ok = live.is_none() || args.allow_writes;
    if !writes_ok {
        println!("  skipped on a live system: pass --allow-writes to create an order");
    } else {
        let login = std::env::var("PPMS_TOUR_LOGIN").unwrap_or_else(|_| "jdoe".to_owned());
        let service: u32 = std::env::var("PPMS_TOUR_SERVICE_ID")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(112);
        let order =
            NewOrder::new(ServiceId(service), login, Decimal::from(2)).staff_comments(marker);
        let created = client.orders().create(&order).await?;
        println!(
            "  createorder → order #{created} (never retried once sent; look it up by marker instead)"
        );
        match client.orders().find_by_marker(marker).await? {
            Some(o) => println!(
                "  getorders   → order #{} for {} ({}), staff comment {:?}",
                o.order_ref,
                opt(o.user.as_deref()),
                opt(o.status.as_deref()),
                o.extra.get("Staff comments").unwrap_or_default()
            ),
            None => println!("  getorders   → no order carries {marker:?} yet"),
        }
    }

    step("Invoice summary (getinvoicelist, getinvoice)");
    let invoices = client.invoices().list().await?;
    println!("  {} invoices", count_usize(invoices.len()));
    if let Some(id) = invoices.first() {
        // an invoice with nothing to show answers an empty body: a not-found error
        let totals = client
            .invoices()
            .get(id)
            .await
            .optional()?
            .unwrap_or_default();
        let mut table = Table::new(&["account", "amount"]).right(&[1]);
        let mut sum = Decimal::ZERO;
        for t in &totals {
            sum += t.amount;
            table.row(vec![t.account.clone(), money(t.amount)]);
        }
        table.row(vec!["TOTAL".to_owned(), money(sum)]);
        println!("  {id}:");
        table.print();
    }
    Ok(())
}

// ─────────────────────────────────────────── Pax8 ───────────────────────────────────────────

async fn pax8_tour(_args: &TourArgs) -> anyhow::Result<()> {
    use pax8::{ListCompanies, ListSubscriptions, SubscriptionStatus};

    let live =
        std::env::var("PAX8_CLIENT_ID").is_ok() && std::env::var("PAX8_CLIENT_SECRET").is_ok();
    let mut _sandbox = None;
    let client = if live {
        heading(
            "Pax8 Partner API",
            "live: PAX8_CLIENT_ID / PAX8_CLIENT_SECRET, read-only",
        );
        pax8::Client::from_env()?
    } else {
        let sb = Sandbox::builder("pax8")
            .all_fixtures()?
            .synthetic(Synthetic::pax8(42, 1_000, 250))
            .start()
            .await?;
        let base = sb.url().trim_end_matches('/').to_owned();
        heading(
            "Pax8 Partner API",
            &format!("offline sandbox {base} · 42 companies, 1,000 orders, 250 subscriptions"),
        );
        note("client-side rate limit: on, the default (1,000 calls/min less a margin)");
        let client = pax8::Client::builder()
            .credentials("sandbox-client-id", "sandbox-client-secret")
            .base_url(&base)
            .token_url(format!("{base}/token"))
            .build()?;
        _sandbox = Some(sb);
        client
    };

    step("Companies (first page, sorted by the server)");
    let page = client.companies().list(ListCompanies::new()).await?;
    let total = page
        .page
        .as_ref()
        .and_then(|p| p.total_elements)
        .unwrap_or(page.content.len() as u64);
    let mut table = Table::new(&["name", "city", "id"]);
    for c in page.content.iter().take(8) {
        table.row(vec![
            opt(c.name.as_deref()),
            opt(c.address.as_ref().and_then(|a| a.city.as_deref())),
            opt(c.id.as_ref().map(|i| i.as_str())),
        ]);
    }
    table.print();
    println!("  {} companies in total", count(total));

    step("Active subscriptions by product, every page streamed (50 per page, 4 pages prefetched)");
    let t = Instant::now();
    let mut rows: BTreeMap<String, (u32, Decimal, Decimal)> = BTreeMap::new();
    let mut stream = client
        .subscriptions()
        .list_all(
            ListSubscriptions::new()
                .status(SubscriptionStatus::Active)
                .size(50u32),
        )
        .prefetch(4);
    let mut seen = 0usize;
    while let Some(sub) = stream.next().await {
        let sub = sub?;
        seen += 1;
        let name = sub
            .product_name
            .clone()
            .unwrap_or_else(|| "(unnamed product)".to_owned());
        let qty = sub.quantity.unwrap_or_default();
        let row = rows.entry(name).or_default();
        row.0 += 1;
        row.1 += qty;
        row.2 += sub.price.unwrap_or_default() * qty;
    }
    let mut table =
        Table::new(&["product", "subscriptions", "seats", "monthly revenue"]).right(&[1, 2, 3]);
    for (name, (n, seats, revenue)) in &rows {
        table.row(vec![
            name.clone(),
            count(*n),
            quantity(*seats),
            money(*revenue),
        ]);
    }
    table.print();
    println!(
        "  {} subscriptions read in {}",
        count_usize(seen),
        duration(t.elapsed())
    );

    step("A dry-run order (POST /orders?isMock=true: validated, nothing bought)");
    let (company, product) = if live {
        match (
            std::env::var("PAX8_TOUR_COMPANY_ID"),
            std::env::var("PAX8_TOUR_PRODUCT_ID"),
        ) {
            (Ok(c), Ok(p)) => (c, p),
            _ => {
                println!(
                    "  skipped live: set PAX8_TOUR_COMPANY_ID and PAX8_TOUR_PRODUCT_ID to validate an order"
                );
                return Ok(());
            }
        }
    } else {
        // the ids of the committed dry-run cassette
        (
            "11111111-2222-4333-8444-555555555555".to_owned(),
            "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee".to_owned(),
        )
    };
    let order = pax8::recording::sample_order(company.into(), product.into());
    match client.orders().validate(&order).await {
        Ok(o) => {
            println!("  order is valid: {} line(s)", o.line_items.len());
            let mut table =
                Table::new(&["line", "product", "quantity", "billing term"]).right(&[0, 2]);
            for l in &o.line_items {
                table.row(vec![
                    opt(l.line_item_number),
                    opt(l.product_id.as_ref().map(|p| p.as_str())),
                    opt_quantity(l.quantity),
                    opt(l.billing_term.as_ref().map(|b| b.label())),
                ]);
            }
            table.print();
        }
        Err(e) => println!("  order rejected: {e}"),
    }
    Ok(())
}

// ───────────────────────────────────────── Cloudspot ─────────────────────────────────────────

async fn cloudspot_tour(_args: &TourArgs) -> anyhow::Result<()> {
    let mut _sandbox = None;
    let client = match cloudspot::Client::from_env() {
        Ok(client) => {
            heading("Cloudspot ERP", "live: CLOUDSPOT_TOKEN, read-only");
            client
        }
        Err(e) if e.core().and_then(|c| c.missing_env_var()).is_none() => return Err(e.into()),
        Err(_) => {
            let sb = Sandbox::builder("cloudspot")
                .scrub_config(cloudspot::recording::scrub_config())
                .cassette("cloudspot/artikels_list.json")?
                .cassette("cloudspot/klanten_list.json")?
                .start()
                .await?;
            heading("Cloudspot ERP", &format!("offline sandbox {}", sb.url()));
            let client = cloudspot::Client::builder("sandbox-token")
                .base_url(sb.url())
                .build()?;
            _sandbox = Some(sb);
            client
        }
    };
    note("client-side rate limit: none by default (Cloudspot documents no quota)");

    step("Articles with stock and prices (GET artikels/)");
    let articles = client.articles().list().await?;
    let mut table = Table::new(&[
        "sku",
        "name",
        "stock",
        "price excl. VAT",
        "price incl. VAT",
        "status",
    ])
    .right(&[2, 3, 4]);
    for a in articles.iter().take(10) {
        table.row(vec![
            opt(a.sku.as_deref()),
            opt(a.name.as_deref()),
            opt_quantity(a.stock),
            opt_money(a.sales_price_excl_vat),
            opt_money(a.sales_price_incl_vat),
            opt(a.status.as_ref().map(|s| s.label())),
        ]);
    }
    table.print();
    println!("  {} articles", count_usize(articles.len()));

    step("Customers (GET klanten/)");
    let customers = client.customers().list().await?;
    let mut table = Table::new(&["number", "name", "company", "city"]).right(&[0]);
    for c in customers.iter().take(10) {
        table.row(vec![
            opt(c.customer_number.as_ref()),
            opt(c.person_name()),
            opt(c.company_name.as_deref()),
            opt(c.city.as_deref()),
        ]);
    }
    table.print();
    println!("  {} customers", count_usize(customers.len()));
    Ok(())
}
