//! End to end: the `billing` binary against its built-in `--sandbox`, every listed subcommand
//! with `--json` checked on its content, plus exit codes, `--jsonl`, `--csv` and the table.

use std::process::{Command, Output};

use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `billing <args>` with no vendor credentials in the environment.
fn billing(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_billing"));
    for var in [
        "PPMS_URL",
        "PPMS_API_KEY",
        "PAX8_CLIENT_ID",
        "PAX8_CLIENT_SECRET",
        "CLOUDSPOT_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(args).output().expect("the billing binary runs")
}

/// `billing --sandbox --json <args>`: the exit code must be 0; the parsed array.
fn json(args: &[&str]) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let mut all = vec!["--sandbox", "--json"];
    all.extend_from_slice(args);
    let out = billing(&all);
    assert!(
        out.status.success(),
        "billing {all:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout)? {
        Value::Array(items) => Ok(items),
        other => Err(format!("not an array: {other}").into()),
    }
}

fn strings<'a>(items: &'a [Value], key: &str) -> Vec<&'a str> {
    items.iter().filter_map(|i| i[key].as_str()).collect()
}

// ─────────────────────────────────────────── PPMS ───────────────────────────────────────────

#[test]
fn ppms_users_lists_active_and_inactive_users_with_details() -> TestResult {
    let all = json(&["ppms", "users"])?;
    let active = json(&["ppms", "users", "--active"])?;
    // the sandbox's synthetic site: 100 active users and 10 inactive ones
    assert_eq!(all.len(), 110);
    assert_eq!(active.len(), 100);
    assert!(active.iter().all(|u| u["active"] == true));
    assert_eq!(all.iter().filter(|u| u["active"] == false).count(), 10);
    assert!(strings(&active, "email").iter().all(|e| e.contains('@')));
    assert_eq!(active[0]["login"], "user00000");
    Ok(())
}

#[test]
fn ppms_users_emails_are_the_active_users_addresses_sorted_and_unique() -> TestResult {
    let emails = json(&["ppms", "users", "--active", "--emails"])?;
    let list = strings(&emails, "email");
    assert_eq!(list.len(), 100);
    let mut sorted = list.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(list, sorted);
    assert!(list.contains(&"user00042@example.org"));
    Ok(())
}

#[test]
fn ppms_systems_lists_the_recorded_systems() -> TestResult {
    let systems = json(&["ppms", "systems"])?;
    assert_eq!(strings(&systems, "name"), ["Confocal 1", "Sorter 2"]);
    assert_eq!(systems[0]["system_id"], 17);
    assert_eq!(systems[1]["active"], false);
    Ok(())
}

#[test]
fn ppms_running_sheet_has_full_names_and_a_midnight_end_rolled_over() -> TestResult {
    let sheet = json(&[
        "ppms",
        "running-sheet",
        "--core",
        "3",
        "--day",
        "2030-05-10",
    ])?;
    assert_eq!(sheet.len(), 2);
    assert_eq!(sheet[0]["user_full_name"], "Doe Jane");
    assert_eq!(sheet[1]["end"], "2030-05-11T00:00:00");
    Ok(())
}

#[test]
fn ppms_orders_and_invoices_are_listed() -> TestResult {
    let orders = json(&["ppms", "orders"])?;
    assert!(orders.iter().any(|o| o["order_ref"] == 48213));
    let invoices = json(&["ppms", "invoices"])?;
    let ids = strings(&invoices, "id");
    assert!(ids.contains(&"PPMS2-ExampleCore-20240131-DRAFT"), "{ids:?}");
    let totals = json(&["ppms", "invoice", "PPMS2-ExampleCore-20240131-DRAFT"])?;
    assert_eq!(strings(&totals, "account"), ["ACC-1", "ACC-2"]);
    Ok(())
}

#[test]
fn an_unknown_ppms_login_exits_with_3() {
    let out = billing(&["--sandbox", "ppms", "user", "nobody"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}

// ─────────────────────────────────────────── Pax8 ───────────────────────────────────────────

#[test]
fn pax8_companies_walks_every_page() -> TestResult {
    let companies = json(&["pax8", "companies"])?;
    assert_eq!(companies.len(), 11);
    assert_eq!(companies[0]["name"], "Example Company 0");
    let active = json(&["pax8", "companies", "--status", "Active"])?;
    assert!(active.iter().all(|c| c["status"] == "Active"));
    Ok(())
}

#[test]
fn pax8_subscriptions_filter_by_status() -> TestResult {
    let all = json(&["pax8", "subscriptions"])?;
    let active = json(&["pax8", "subscriptions", "--status", "Active"])?;
    assert_eq!(all.len(), 200);
    assert!(!active.is_empty() && active.len() < all.len());
    assert!(active.iter().all(|s| s["status"] == "Active"));
    Ok(())
}

#[test]
fn pax8_orders_invoices_and_usage_are_listed() -> TestResult {
    assert_eq!(json(&["pax8", "orders"])?.len(), 500);
    let invoices = json(&["pax8", "invoices"])?;
    assert_eq!(invoices.len(), 2);
    assert_eq!(invoices[0]["status"], "Unpaid");
    let usage = json(&[
        "pax8",
        "usage",
        "--subscription",
        "12121212-3434-4545-8656-787878787878",
    ])?;
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0]["resourceGroup"], "example-rg");
    Ok(())
}

#[test]
fn pax8_order_dry_run_answers_the_validated_order() -> TestResult {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/order.json");
    let answer = json(&["pax8", "order", "--dry-run", file])?;
    assert_eq!(answer.len(), 1);
    assert_eq!(
        answer[0]["companyId"],
        "11111111-2222-4333-8444-555555555555"
    );
    assert_eq!(answer[0]["lineItems"][0]["billingTerm"], "Annual");
    Ok(())
}

#[test]
fn pax8_order_without_dry_run_or_yes_is_a_usage_error() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/order.json");
    let out = billing(&["--sandbox", "pax8", "order", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
}

#[test]
fn an_unknown_pax8_company_exits_with_3() {
    let out = billing(&["--sandbox", "pax8", "company", "no-such-company"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn jsonl_writes_one_parsable_line_per_order() -> TestResult {
    let out = billing(&["--sandbox", "--jsonl", "pax8", "orders"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout)?;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 500);
    for line in lines {
        let order: Value = serde_json::from_str(line)?;
        assert!(order["id"].is_string());
    }
    Ok(())
}

// ───────────────────────────────────────── Cloudspot ─────────────────────────────────────────

#[test]
fn cloudspot_articles_customers_and_categories_are_listed() -> TestResult {
    let articles = json(&["cloudspot", "articles"])?;
    assert_eq!(articles.len(), 6);
    assert_eq!(articles[0]["SKU"], "VB-5W30-01");
    let customers = json(&["cloudspot", "customers"])?;
    assert_eq!(customers.len(), 6);
    assert_eq!(customers[0]["klantennummer"], 1042);
    let categories = json(&["cloudspot", "categories"])?;
    assert_eq!(
        strings(&categories, "name")[..3],
        ["Auto", "Olie", "Motorolie"]
    );
    assert_eq!(categories[2]["parent_id"], 7);
    Ok(())
}

#[test]
fn cloudspot_articles_by_sku_and_out_of_stock() -> TestResult {
    let one = json(&["cloudspot", "articles", "--sku", "RV-5L"])?;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["id"], 102);
    // every recorded article with a stock has some: none is out of stock
    assert!(json(&["cloudspot", "articles", "--out-of-stock"])?.is_empty());
    let out = billing(&["--sandbox", "cloudspot", "articles", "--sku", "NO-SUCH-SKU"]);
    assert_eq!(out.status.code(), Some(3));
    Ok(())
}

// ───────────────────────────────────────── Formats, exit codes ─────────────────────────────────────────

#[test]
fn csv_has_a_header_and_no_empty_rows() -> TestResult {
    let out = billing(&["--sandbox", "--csv", "cloudspot", "articles"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout)?;
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("sku,name,stock,price excl. VAT,price incl. VAT,status,id")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(rows.contains(&"VB-5W30-01,Voorbeeldolie 5W-30,42,8.26,9.99,Visible,101"));
    assert!(rows.iter().all(|r| r.chars().any(|c| c != ',')));
    // 6 articles, two of them without any value shown
    assert_eq!(rows.len(), 4);
    Ok(())
}

#[test]
fn tables_use_english_labels_and_two_decimals() -> TestResult {
    let out = billing(&["--sandbox", "cloudspot", "articles"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout)?;
    assert!(text.contains("Not sellable"), "{text}");
    assert!(text.contains("14.64") && text.contains("8.26"));
    assert!(text.contains("2 without any value not shown"), "{text}");
    Ok(())
}

#[test]
fn bad_usage_exits_with_1() {
    assert_eq!(billing(&["ppms", "no-such-command"]).status.code(), Some(1));
    assert_eq!(
        billing(&[
            "--sandbox",
            "ppms",
            "running-sheet",
            "--core",
            "x",
            "--day",
            "2030-05-10"
        ])
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        billing(&["--json", "--csv", "ppms", "systems"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn help_exits_with_0_and_names_the_exit_codes() {
    let out = billing(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 not found"));
}

#[test]
fn missing_credentials_exit_with_2_and_name_the_variable() {
    let out = billing(&["ppms", "systems"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PPMS_URL"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = billing(&["completions", shell]);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("running-sheet"), "{shell}");
    }
}
