//! End to end: the `billing` binary against its built-in `--sandbox`, every listed subcommand
//! with its `--json` checked on content, plus `--jsonl`, `--csv`, the table, exit codes (0 ok,
//! 1 usage, 2 auth, 3 not found, 4 vendor or network) and the config file.
//!
//! Each run gets its own `XDG_CONFIG_HOME` and no vendor variables, so a developer's own
//! credentials never count.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const VENDOR_VARS: &[&str] = &[
    "PPMS_URL",
    "PPMS_API_KEY",
    "PAX8_CLIENT_ID",
    "PAX8_CLIENT_SECRET",
    "CLOUDSPOT_TOKEN",
    "BILLING_PROFILE",
];

/// `billing ARGS` with no vendor credentials in the environment and `config_home` as
/// `XDG_CONFIG_HOME` (a folder without a config file unless a test writes one).
fn billing(config_home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_billing"));
    cmd.args(args).env("XDG_CONFIG_HOME", config_home);
    for v in VENDOR_VARS {
        cmd.env_remove(v);
    }
    cmd
}

/// Runs [`billing`].
fn run_in(config_home: &Path, args: &[&str]) -> Output {
    match billing(config_home, args).output() {
        Ok(out) => out,
        Err(e) => panic!("cannot start billing: {e}"),
    }
}

fn run(args: &[&str]) -> Output {
    run_in(Path::new("/nonexistent-billing-test-config"), args)
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `billing --sandbox --json ARGS`: the array it prints (the command must succeed).
fn json(args: &[&str]) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let mut all = vec!["--sandbox", "--json"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(code(&out), Some(0), "billing {args:?}: {}", stderr(&out));
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn strings<'a>(items: &'a [Value], key: &str) -> Vec<&'a str> {
    items.iter().filter_map(|i| i[key].as_str()).collect()
}

#[test]
fn ppms_users_lists_every_user_and_active_only_the_active() -> TestResult {
    let all = json(&["ppms", "users"])?;
    let active = json(&["ppms", "users", "--active"])?;
    assert_eq!(all.len(), 110);
    assert_eq!(active.len(), 100);
    assert!(active.iter().all(|u| u["active"] == true));
    assert!(all.iter().any(|u| u["active"] == false));
    assert_eq!(all[0]["login"], "user00000");
    assert_eq!(all[0]["email"], "user00000@example.org");
    Ok(())
}

#[test]
fn ppms_users_emails_are_sorted_and_unique() -> TestResult {
    let emails = json(&["ppms", "users", "--active", "--emails"])?;
    let list = strings(&emails, "email");
    assert_eq!(list.len(), 100);
    assert!(
        list.windows(2).all(|w| w[0] < w[1]),
        "sorted, no duplicates"
    );
    assert!(list.contains(&"user00042@example.org"));
    Ok(())
}

#[test]
fn ppms_systems_have_their_names_and_types() -> TestResult {
    let systems = json(&["ppms", "systems"])?;
    assert_eq!(systems.len(), 2);
    assert_eq!(systems[0]["system_id"], 17);
    assert_eq!(systems[0]["name"], "Confocal 1");
    assert_eq!(systems[0]["system_type"], "Confocal Microscope");
    Ok(())
}

#[test]
fn ppms_running_sheet_has_the_day_s_bookings() -> TestResult {
    let sheet = json(&[
        "ppms",
        "running-sheet",
        "--core",
        "3",
        "--day",
        "2030-05-10",
    ])?;
    assert_eq!(
        strings(&sheet, "user_full_name"),
        ["Doe Jane", "Smith Anna"]
    );
    assert_eq!(sheet[0]["start"], "2030-05-10T08:00:00");
    // a booking ending at midnight ends the next day (PPMS-Q30)
    assert_eq!(sheet[1]["end"], "2030-05-11T00:00:00");
    Ok(())
}

#[test]
fn ppms_orders_and_invoices_are_listed() -> TestResult {
    let orders = json(&["ppms", "orders"])?;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["order_ref"], 48213);
    assert_eq!(orders[0]["status"], "Ordered");
    let invoices = json(&["ppms", "invoices"])?;
    assert_eq!(
        strings(&invoices, "id"),
        [
            "PPMS2-ExampleCore-20240131-DRAFT",
            "PPMS2-ExampleCore-20231231-FINAL"
        ]
    );
    Ok(())
}

#[test]
fn pax8_companies_walk_every_page() -> TestResult {
    let companies = json(&["pax8", "companies"])?;
    assert_eq!(companies.len(), 11);
    assert_eq!(companies[0]["name"], "Example Company 0");
    assert_eq!(companies[0]["address"]["country"], "GB");
    Ok(())
}

#[test]
fn pax8_subscriptions_filter_on_status() -> TestResult {
    let all = json(&["pax8", "subscriptions"])?;
    let active = json(&["pax8", "subscriptions", "--status", "Active"])?;
    assert_eq!(all.len(), 200);
    assert_eq!(active.len(), 140);
    assert!(active.iter().all(|s| s["status"] == "Active"));
    Ok(())
}

#[test]
fn pax8_orders_invoices_and_usage_are_listed() -> TestResult {
    let orders = json(&["pax8", "orders"])?;
    assert_eq!(orders.len(), 500);
    assert!(orders.iter().all(|o| o["companyId"].is_string()));
    let invoices = json(&["pax8", "invoices"])?;
    assert_eq!(invoices.len(), 2);
    assert!(strings(&invoices, "id").contains(&"77777777-8888-4999-8aaa-bbbbbbbbbbbb"));
    let usage = json(&[
        "pax8",
        "usage",
        "--subscription",
        "12121212-3434-4545-8656-787878787878",
    ])?;
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0]["resourceGroup"], "example-rg");
    assert_eq!(usage[0]["partnerTotal"], "38.125");
    Ok(())
}

#[test]
fn pax8_jsonl_has_one_line_per_item_of_the_json_array() -> TestResult {
    let array = json(&["pax8", "companies"])?;
    let out = run(&["--sandbox", "--jsonl", "pax8", "companies"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout)?;
    let lines: Vec<Value> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(lines.len(), array.len());
    assert_eq!(lines, array);
    Ok(())
}

#[test]
fn pax8_order_dry_run_validates_and_buys_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("order.json");
    std::fs::write(
        &file,
        r#"{"companyId":"00000001-0000-4000-8000-000000000000","lineItems":[{"productId":"00000005-0000-4000-8000-000000000000","quantity":2,"billingTerm":"Monthly"}]}"#,
    )?;
    let path = file.to_string_lossy();
    let answer = json(&["pax8", "order", "--dry-run", &path])?;
    assert_eq!(answer.len(), 1);
    assert_eq!(
        answer[0]["companyId"],
        "00000001-0000-4000-8000-000000000000"
    );
    assert_eq!(answer[0]["lineItems"][0]["quantity"], "2");
    // a mock order provisions nothing: no subscription id
    assert!(answer[0]["lineItems"][0].get("subscriptionId").is_none());

    let out = run(&["--sandbox", "pax8", "order", &path]);
    assert_eq!(code(&out), Some(1), "neither --dry-run nor --yes");
    assert!(stderr(&out).contains("--dry-run"), "{}", stderr(&out));
    Ok(())
}

#[test]
fn the_documented_order_file_validates() -> TestResult {
    // docs/cli.md shows this file with `--dry-run`
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
fn pax8_order_of_a_missing_file_exits_3() {
    let out = run(&[
        "--sandbox",
        "pax8",
        "order",
        "--dry-run",
        "/nonexistent/order.json",
    ]);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
}

#[test]
fn unknown_ids_exit_3() {
    for args in [
        &["--sandbox", "pax8", "company", "no-such-company"][..],
        &["--sandbox", "ppms", "user", "no-such-login"][..],
        &["--sandbox", "cloudspot", "articles", "--sku", "NO-SUCH-SKU"][..],
    ] {
        let out = run(args);
        assert_eq!(code(&out), Some(3), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn cloudspot_articles_filter_on_this_side() -> TestResult {
    let all = json(&["cloudspot", "articles"])?;
    assert_eq!(all.len(), 6);
    let one = json(&["cloudspot", "articles", "--sku", "VB-5W30-01"])?;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["id"], 101);
    assert_eq!(one[0]["naam"], "Voorbeeldolie 5W-30");
    // the one tracked article has 42 in stock; the others are not tracked
    assert_eq!(
        json(&["cloudspot", "articles", "--out-of-stock"])?,
        Vec::<Value>::new()
    );
    Ok(())
}

#[test]
fn cloudspot_customers_and_categories_are_listed() -> TestResult {
    let customers = json(&["cloudspot", "customers"])?;
    assert_eq!(customers.len(), 6);
    assert_eq!(customers[0]["klantennummer"], 1042);
    let categories = json(&["cloudspot", "categories"])?;
    assert_eq!(
        strings(&categories, "name")[..3],
        ["Auto", "Olie", "Motorolie"]
    );
    // flattened: each with its parent
    assert_eq!(categories[2]["parent_id"], 7);
    Ok(())
}

#[test]
fn csv_starts_with_the_header_and_has_two_decimal_money() -> TestResult {
    let out = run(&["--sandbox", "--csv", "cloudspot", "articles"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout)?;
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("sku,name,stock,price excl. VAT,price incl. VAT,status,id")
    );
    assert_eq!(
        lines.next(),
        Some("VB-5W30-01,Voorbeeldolie 5W-30,42,8.26,9.99,Visible,101")
    );
    assert_eq!(
        lines.next(),
        Some("RV-5L,Ruitenvloeistof,,12.10,14.64,Not sellable,102")
    );
    // rows without any value are left out
    assert_eq!(text.lines().count(), 5);
    Ok(())
}

#[test]
fn bad_usage_exits_1() {
    for args in [
        &["ppms", "no-such-command"][..],
        &[
            "--sandbox",
            "ppms",
            "running-sheet",
            "--core",
            "3",
            "--day",
            "tomorrow",
        ][..],
        &["--sandbox", "--json", "--csv", "ppms", "systems"][..],
    ] {
        let out = run(args);
        assert_eq!(code(&out), Some(1), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn missing_credentials_exit_2_and_name_the_variable() {
    let out = run(&["cloudspot", "customers"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("CLOUDSPOT_TOKEN"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_config_file_others_can_read_is_refused_and_its_secrets_never_printed() -> TestResult {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir()?;
    let dir = home.path().join("billing");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("config.toml");
    // port 9 (discard): nothing answers, so the command fails after reading the profile
    std::fs::write(
        &file,
        "[work]\nppms_url = \"http://127.0.0.1:9/pumapi/\"\nppms_api_key = \"s3cret-key-xyz\"\n",
    )?;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
    let out = run_in(home.path(), &["--profile", "work", "ppms", "systems"]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
    let unknown = run_in(home.path(), &["--profile", "nope", "ppms", "systems"]);
    assert_eq!(code(&unknown), Some(1), "{}", stderr(&unknown));
    let no_key = run_in(
        home.path(),
        &["--profile", "work", "cloudspot", "customers"],
    );
    assert_eq!(code(&no_key), Some(2), "{}", stderr(&no_key));
    assert!(
        stderr(&no_key).contains("cloudspot_token"),
        "{}",
        stderr(&no_key)
    );
    // the profile is used: the request goes to its URL (refused: a network error)
    let used = run_in(
        home.path(),
        &["--profile", "work", "--quiet", "ppms", "systems"],
    );
    assert_eq!(code(&used), Some(4), "{}", stderr(&used));
    for out in [&out, &unknown, &no_key, &used] {
        assert!(!stderr(out).contains("s3cret"), "{}", stderr(out));
    }
    Ok(())
}

#[test]
fn tables_use_english_labels_and_two_decimals() -> TestResult {
    let out = run(&["--sandbox", "cloudspot", "articles"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout)?;
    assert!(text.contains("Not sellable"), "{text}");
    assert!(text.contains("12.10") && text.contains("14.64"), "{text}");
    assert!(text.contains("2 without any value not shown"), "{text}");
    Ok(())
}

#[test]
fn help_exits_0_and_names_the_exit_codes() {
    let out = run(&["--help"]);
    assert_eq!(code(&out), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 not found"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert_eq!(code(&out), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("running-sheet"), "{shell}: {text}");
    }
}

/// Runs [`billing`] with `input` on standard input.
fn run_with_input(config_home: &Path, args: &[&str], input: &str) -> Output {
    let mut cmd = billing(config_home, args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => panic!("cannot start billing: {e}"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    match child.wait_with_output() {
        Ok(out) => out,
        Err(e) => panic!("billing did not finish: {e}"),
    }
}

#[test]
fn login_stores_credentials_in_the_keyring_and_logout_removes_them() -> TestResult {
    let home = tempfile::tempdir()?;
    // a profile of its own: parallel runs never share an entry
    let profile = format!("cli-test-{}", std::process::id());
    let login = run_with_input(
        home.path(),
        &["--profile", &profile, "login", "ppms"],
        "http://127.0.0.1:9/pumapi/\nk3y-s3cret\n",
    );
    if code(&login) == Some(2) {
        // no keyring on this machine: a clear error, not a panic (code 101)
        assert!(stderr(&login).contains("OS keyring"), "{}", stderr(&login));
        return Ok(());
    }
    assert_eq!(code(&login), Some(0), "{}", stderr(&login));
    // the stored profile is used: its URL refuses the connection (a network error, not "no
    // credentials")
    let used = run_in(
        home.path(),
        &["--profile", &profile, "--quiet", "ppms", "systems"],
    );
    assert_eq!(code(&used), Some(4), "{}", stderr(&used));
    assert!(stderr(&used).contains("127.0.0.1:9") || stderr(&used).contains("onnect"));
    let logout = run_in(home.path(), &["--profile", &profile, "logout"]);
    assert_eq!(code(&logout), Some(0), "{}", stderr(&logout));
    let gone = run_in(home.path(), &["--profile", &profile, "ppms", "systems"]);
    assert_eq!(code(&gone), Some(1), "{}", stderr(&gone));
    for out in [&login, &used, &logout, &gone] {
        assert!(!stderr(out).contains("s3cret"), "{}", stderr(out));
        assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
    }
    Ok(())
}

#[test]
fn login_without_an_answer_stores_nothing_and_exits_2() {
    let out = run_with_input(
        Path::new("/nonexistent-billing-test-config"),
        &["--profile", "cli-test-empty", "login", "cloudspot"],
        "\n",
    );
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() -> TestResult {
    use std::io::BufRead as _;
    // `billing … | head -1`: the pipe closes after the first line
    let mut child = billing(
        Path::new("/nonexistent-billing-test-config"),
        &["--sandbox", "--json", "pax8", "orders"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut first = String::new();
    std::io::BufReader::new(stdout).read_line(&mut first)?;
    assert_eq!(first.trim(), "[");
    // the reader is dropped here: the rest of the 500 orders meets a closed pipe
    let out = child.wait_with_output()?;
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn pax8_tokens_are_cached_between_runs() -> TestResult {
    let sb = billing_sandbox::Sandbox::start(billing_sandbox::Vendor::Pax8).await?;
    let cache = tempfile::tempdir()?;
    let (base, token) = (sb.url(), sb.url_for("token"));
    let cache_home = cache.path().to_path_buf();
    // two separate commands, as a user would run them
    let outs = tokio::task::spawn_blocking(move || {
        (0..2)
            .map(|_| {
                let mut cmd = billing(
                    Path::new("/nonexistent-billing-test-config"),
                    &["--json", "pax8", "invoices"],
                );
                cmd.env("PAX8_CLIENT_ID", "cache-test-id")
                    .env("PAX8_CLIENT_SECRET", "cache-test-secret")
                    .env("PAX8_BASE_URL", &base)
                    .env("PAX8_TOKEN_URL", &token)
                    .env("XDG_CACHE_HOME", &cache_home);
                cmd.output()
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await??;
    for out in &outs {
        assert_eq!(code(out), Some(0), "{}", stderr(out));
    }
    assert_eq!(sb.count("GET /invoices"), 2);
    assert_eq!(sb.count("POST /token"), 1, "{:?}", sb.counts());
    Ok(())
}
