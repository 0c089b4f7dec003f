//! Benchmarks of the `ppms` crate (a plain bench binary; see docs/benchmarks.md, "ppms").
//!
//! ```sh
//! cargo bench -p ppms --bench ppms              # everything
//! cargo bench -p ppms --bench ppms -- emails    # (a) the README's bulk e-mail fetch vs sequential
//! cargo bench -p ppms --bench ppms -- bulk      # (a') bulk getuser, concurrency 16, 2,000 users
//! cargo bench -p ppms --bench ppms -- parse     # (b) 50 MB bodies: our parsers vs bare csv
//! cargo bench -p ppms --bench ppms -- memory    # (c) peak RSS, eager and lazy forms
//! ```
//!
//! (a) N = 200 and 2,000 synthetic users served by the sandbox on 127.0.0.1 with 10 ms latency
//! per request: `users().active_emails(&BulkOptions::default())` with a client built exactly as
//! the README shows (`Client::builder(url).api_key(key).build()`), versus `getusers` and then
//! every `getuser` one after another (what pyppms does). Also with concurrency 8, the former
//! default, for the record.
//!
//! (a') 2,000 synthetic users: `users().details()` with concurrency 16 versus the same `getuser`
//! calls one after another. The bound is 2000 × 10 ms / 16 = 1.25 s.
//!
//! (b) a 50 MB `getsystems`-shaped and a 50 MB `getinvoicedetails`-shaped body: the crate's
//! parser (typed rows / sections) versus the bare `csv` crate reading the same bytes into
//! `StringRecord`s, both into one reused record (the strictest baseline) and collecting a
//! `Vec<StringRecord>`. Seven interleaved rounds; medians.
//!
//! (c) the fault campaign's bodies (issue 16): 30,000 `getsystems` rows × 1,000 unknown
//! columns (61 MB), and one header and row of 16 M columns (64 MB); plus the 50 MB body of (b).
//! Also a short first row followed by 60 MB of blank lines, and 3 M rows of 20 bytes (shorter
//! than the model they become), and 5 M rows of 3 bytes, the narrowest a `System` row can be,
//! accepted or all refused. And `getusers` line lists: 3 M logins of 8 characters, the
//! narrowest (one-character logins, `a\r\n` and `a\n`) and one login followed by blank lines.
//! Each body is fetched through the public calls of a client built as the README shows, whose
//! transport (the in-process `ppms::testing::ScriptedTransport`) answers from the body's own
//! buffer: `systems().list()` (typed rows, `Parsed<System>`) and `systems().list_table()`
//! (`Table<System>`, then every row read once); `users().list(ActiveFilter::All)`
//! (`Vec<String>`) and `users().list_lines(ActiveFilter::All)` (`parse::Lines`, then every
//! value read once). Peak RSS (`VmHWM`,
//! reset through `/proc/self/clear_refs` once the body is built, Linux only) above the
//! process's RSS before the body was built, as a multiple of the body size; each case and form
//! in a process of its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use billing_sandbox::{Sandbox, Synthetic};
use csv::StringRecord;
use ppms::parse::{RowPolicy, parse_table};
use ppms::{ActiveFilter, BulkOptions, Client, InvoiceDetails, System};

const USERS: usize = 2000;
const LATENCY: Duration = Duration::from_millis(10);
const CONCURRENCY: usize = 16;
const TARGET_BYTES: usize = 50 * 1024 * 1024;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if let Some((i, form)) = args
        .iter()
        .find_map(|a| a.strip_prefix("memory-case="))
        .and_then(|c| c.split_once(':'))
        .and_then(|(i, form)| Some((i.parse().ok()?, form.to_owned())))
    {
        return memory_case(i, &form);
    }
    let all = args.is_empty();
    if all || args.iter().any(|a| a == "emails") {
        emails();
    }
    if all || args.iter().any(|a| a == "bulk") {
        bulk();
    }
    if all || args.iter().any(|a| a == "parse" || a == "systems") {
        parse_systems();
    }
    if all || args.iter().any(|a| a == "parse" || a == "invoice") {
        parse_invoice();
    }
    if all || args.iter().any(|a| a == "memory") {
        memory();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// (a) The README's job: every active user's e-mail address.
fn emails() {
    runtime().block_on(async {
        for users in [200, 2000] {
            let sb = Sandbox::builder("ppms")
                .synthetic(Synthetic::ppms_users(users))
                .latency(LATENCY)
                .start()
                .await
                .expect("sandbox");
            // exactly as the README builds it
            let client = ppms::Client::builder(sb.url())
                .api_key("my-key")
                .build()
                .expect("client");
            // warm-up: open the connections
            let _ = client.users().active_emails(&BulkOptions::default()).await;

            let median = |mut runs: Vec<Duration>| {
                runs.sort();
                runs[runs.len() / 2]
            };
            let mut default_runs = Vec::new();
            let mut eight_runs = Vec::new();
            for _ in 0..3 {
                let t = Instant::now();
                let (emails, _) = client
                    .users()
                    .active_emails(&BulkOptions::default())
                    .await
                    .expect("bulk");
                default_runs.push(t.elapsed());
                assert_eq!(emails.len(), users);
                let t = Instant::now();
                let (emails, _) = client
                    .users()
                    .active_emails(&BulkOptions::default().concurrency(8))
                    .await
                    .expect("bulk 8");
                eight_runs.push(t.elapsed());
                assert_eq!(emails.len(), users);
            }
            let t = Instant::now();
            let logins = client
                .users()
                .list(ppms::ActiveFilter::Active)
                .await
                .expect("getusers");
            let mut emails = std::collections::BTreeSet::new();
            for login in &logins {
                let u = client.users().get(login).await.expect("getuser");
                emails.extend(u.email);
            }
            let sequential = t.elapsed();
            assert_eq!(emails.len(), users);
            let (default, eight) = (median(default_runs), median(eight_runs));
            println!(
                "active_emails: {users} users, {} ms latency, client as in the README",
                LATENCY.as_millis()
            );
            println!(
                "  sequential               {:>8.3} s",
                sequential.as_secs_f64()
            );
            for (what, d) in [
                ("default (16 in flight)", default),
                ("concurrency 8", eight),
            ] {
                println!(
                    "  {what:<24} {:>8.3} s   {:>5.1} x faster   (goal >= 10 x)",
                    d.as_secs_f64(),
                    sequential.as_secs_f64() / d.as_secs_f64()
                );
            }
        }
    });
}

fn bulk() {
    runtime().block_on(async {
        let sb = Sandbox::builder("ppms")
            .synthetic(Synthetic::ppms_users(USERS))
            .latency(LATENCY)
            .start()
            .await
            .expect("sandbox");
        let client = Client::builder(sb.url())
            .api_key("sandbox")
            .build()
            .expect("client");
        let logins = client
            .users()
            .list(ppms::ActiveFilter::All)
            .await
            .expect("getusers");
        assert_eq!(logins.len(), USERS);

        // warm-up: open the connections
        let _ = client
            .users()
            .details(
                logins[..64].to_vec(),
                &BulkOptions::default().concurrency(CONCURRENCY),
            )
            .await;

        let mut bulk_runs = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let d = client
                .users()
                .details(
                    logins.clone(),
                    &BulkOptions::default().concurrency(CONCURRENCY),
                )
                .await;
            bulk_runs.push(t.elapsed());
            assert_eq!(d.users.len(), USERS);
        }
        let t = Instant::now();
        for login in &logins {
            let u = client.users().get(login).await.expect("getuser");
            assert_eq!(&u.login, login);
        }
        let sequential = t.elapsed();
        bulk_runs.sort();
        let bulk = bulk_runs[1];
        let bound = LATENCY * (USERS as u32) / (CONCURRENCY as u32);
        println!(
            "bulk getuser: {USERS} users, {} ms latency, concurrency {CONCURRENCY}",
            LATENCY.as_millis()
        );
        println!("  sequential          {:>8.3} s", sequential.as_secs_f64());
        println!(
            "  bulk (median of 3)  {:>8.3} s   runs: {:?}",
            bulk.as_secs_f64(),
            bulk_runs
        );
        println!(
            "  speed-up            {:>8.1} x   (goal >= 12 x)",
            sequential.as_secs_f64() / bulk.as_secs_f64()
        );
        println!(
            "  vs bound {:.3} s    {:>+8.1} %   (goal within 15 %)",
            bound.as_secs_f64(),
            (bulk.as_secs_f64() / bound.as_secs_f64() - 1.0) * 100.0
        );
    });
}

fn systems_body() -> String {
    let header = "Core facility ref,System id,Type,Name,Localisation,Active,Schedules,Stats,Bookable,Autonomy Required,Autonomy Required After Hours\r\n";
    let mut body = String::with_capacity(TARGET_BYTES + 256);
    body.push_str(header);
    let mut i = 0u64;
    while body.len() < TARGET_BYTES {
        body.push_str(&format!(
            "3,{i},\"Confocal Microscope\",\"Confocal {i}\",\"Room B{}, east wing\",True,True,False,True,False,False\r\n",
            i % 40
        ));
        i += 1;
    }
    body
}

fn invoice_body() -> String {
    let mut body = String::with_capacity(TARGET_BYTES + 512);
    body.push_str("\"Invoice PPMS2-ExampleCore-20240131-DRAFT\"\r\n\"Example Core Facility\"\r\n\"Period: 2024/01/01 - 2024/01/31\"\r\n");
    body.push_str("Reference,User,Group,Project,Affiliation,Session Type,System Type,System,Date,Start time,Duration (booked),Duration (used),Used by others,Booked by others,Cancelled,Cancelled date,Special env. 1,Special env. 2,User comments,Notes,Account number,Account number (subsidy),Rebate,Fee,Subsidy,Final Amount\r\n");
    let mut i = 0u64;
    let training_at = TARGET_BYTES * 9 / 10;
    let mut training = false;
    while body.len() < TARGET_BYTES {
        if !training && body.len() > training_at {
            body.push_str(
                "Reference,User,Group,Session Type,System,Date,Duration,Fee,Final Amount\r\n",
            );
            training = true;
        }
        if training {
            body.push_str(&format!("\"T-{i}\",\"user{:05}\",\"lab{:03}\",\"Training\",\"Confocal 1\",\"2024/01/12\",\"3.0\",\"45.00\",\"45.00\"\r\n", i % 2000, i % 50));
        } else {
            body.push_str(&format!(
                "\"S-{i}\",\"user{:05}\",\"lab{:03}\",\"Imaging study\",\"Academic\",\"Session\",\"Confocal\",\"Confocal 1\",\"2024/01/10\",\"08:00\",\"2.0\",\"1.5\",\"No\",\"No\",\"No\",\"\",\"\",\"\",\"\",\"note, with comma\",\"ACC-1\",\"\",\"0\",\"60.00\",\"0\",\"60.00\"\r\n",
                i % 2000,
                i % 50
            ));
        }
        i += 1;
    }
    body
}

fn bare_csv(body: &str) -> usize {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut rec = StringRecord::new();
    let mut n = 0;
    while rdr.read_record(&mut rec).expect("csv") {
        n += rec.len();
    }
    n
}

/// The bare `csv` crate collecting one `StringRecord` per row (what a caller keeping the rows
/// would do).
fn bare_csv_collect(body: &str) -> Vec<StringRecord> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    rdr.records().collect::<Result<Vec<_>, _>>().expect("csv")
}

/// Runs the three contenders interleaved, round after round (so that load from other processes
/// hits all of them alike), and returns the median time of each. Results are dropped after the
/// clock stops (parsing is measured, not freeing the parsed rows).
fn interleaved<T>(body: &str, ours: impl Fn(&str) -> T) -> (Duration, Duration, Duration, T) {
    const ROUNDS: usize = 7;
    let (mut bare, mut collect, mut mine) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        std::hint::black_box(bare_csv(body));
        bare.push(t.elapsed());
        let t = Instant::now();
        let rows = std::hint::black_box(bare_csv_collect(body));
        collect.push(t.elapsed());
        drop(rows);
        let t = Instant::now();
        let parsed = std::hint::black_box(ours(body));
        mine.push(t.elapsed());
        last = Some(parsed);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    (
        median(bare),
        median(collect),
        median(mine),
        last.expect("at least one round"),
    )
}

fn report(name: &str, bytes: usize, ours: Duration, bare: Duration, collect: Duration) {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    let line = |what: &str, d: Duration| {
        println!(
            "  {what:<36} {:>8.1} ms  {:>7.1} MB/s",
            d.as_secs_f64() * 1e3,
            mb / d.as_secs_f64()
        );
    };
    println!("{name}: {mb:.1} MB");
    line("bare csv, one reused StringRecord", bare);
    line("bare csv, Vec<StringRecord>", collect);
    line("ppms parser", ours);
    let pct = |base: Duration| base.as_secs_f64() / ours.as_secs_f64() * 100.0;
    println!(
        "  ratio vs reused record               {:>8.0} %   (goal >= 50 %)",
        pct(bare)
    );
    println!(
        "  ratio vs Vec<StringRecord>           {:>8.0} %",
        pct(collect)
    );
}

fn parse_systems() {
    let body = systems_body();
    let (bare, collect, ours, parsed) = interleaved(&body, |b| {
        parse_table::<System>(b, RowPolicy::Strict).expect("systems")
    });
    report(
        &format!("getsystems ({} rows)", parsed.len()),
        body.len(),
        ours,
        bare,
        collect,
    );
}

fn parse_invoice() {
    let body = invoice_body();
    let (bare, collect, ours, parsed) =
        interleaved(&body, |b| InvoiceDetails::parse_body(b).expect("details"));
    let rows: usize = parsed.sections.iter().map(|s| s.len()).sum();
    report(
        &format!("getinvoicedetails ({rows} rows)"),
        body.len(),
        ours,
        bare,
        collect,
    );
}

/// A `/proc/self/status` field in bytes (Linux).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Peak RSS while `f` runs, above `base` (`VmHWM`, reset first through `clear_refs`).
fn peak_rss_above<T>(base: usize, f: impl FnOnce() -> T) -> (usize, T) {
    // "5" resets the peak resident set size to the current one (Linux >= 4.0)
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let out = f();
    (status_bytes("VmHWM:").saturating_sub(base), out)
}

/// 30,000 `getsystems` rows, each with 1,000 one-character unknown columns (about 61 MB).
fn wide_systems_body() -> String {
    let mut body = String::from("Core facility ref,System id,Type,Name,Localisation,Active");
    for c in 0..1000 {
        body.push_str(&format!(",X{c}"));
    }
    body.push_str("\r\n");
    for r in 0..30_000 {
        body.push_str(&format!("3,{r},T,N{r},R,True"));
        body.push_str(&",x".repeat(1000));
        body.push_str("\r\n");
    }
    body
}

/// A header of 16 M three-character columns and one row of 16 M empty fields (about 64 MB).
fn many_columns_body() -> String {
    let n = 16 * 1024 * 1024;
    let mut body = String::with_capacity(4 * n + 64);
    body.push_str("System id,Name");
    body.push_str(&",cc".repeat(n - 2));
    body.push_str("\r\n1,a");
    body.push_str(&",".repeat(n - 2));
    body.push_str("\r\n");
    body
}

/// A short first row, then 60 MB of blank lines (tempts a parser to reserve rows for nothing).
fn blank_lines_body() -> String {
    let mut body = String::from("System id,Name\r\n1,a\r\n");
    body.push_str(&"\r\n".repeat(30 * 1024 * 1024));
    body
}

/// 3 M rows of 20 bytes: rows much shorter than their model (a `System` is about 120 bytes).
fn tiny_rows_body() -> String {
    let mut body = String::from("System id,Name,Active\r\n");
    for i in 0..3_000_000u32 {
        body.push_str(&format!("{:>7},n,True\r\n", i));
    }
    body
}

/// 5 M rows of 3 bytes (`7,\n`): the narrowest rows a `System` accepts (an id and an empty
/// name), the worst case for a table's index (4 bytes per row).
fn narrowest_rows_body() -> String {
    let mut body = String::from("System id,Name\n");
    for i in 0..5_000_000u32 {
        body.push(char::from(b'0' + (i % 10) as u8));
        body.push_str(",\n");
    }
    body
}

/// 5 M rows of 3 bytes that all fail (`x,\n`): a table reserves its index for them, then gives
/// the room back.
fn narrowest_bad_rows_body() -> String {
    let mut body = String::from("System id,Name\n");
    body.push_str(&"x,\n".repeat(5_000_000));
    body
}

/// 3 M `getusers` logins of 8 characters (`u0000001\r\n`).
fn logins_body() -> String {
    let mut body = String::with_capacity(30_000_000);
    for i in 0..3_000_000u32 {
        body.push_str(&format!("u{i:07}\r\n"));
    }
    body
}

/// 20 M one-character logins ending in CRLF (`a\r\n`, 60 MB): the narrowest line list with
/// PUMAPI's line ends.
fn narrowest_logins_crlf_body() -> String {
    "a\r\n".repeat(20_000_000)
}

/// 30 M one-character logins ending in LF (`a\n`, 60 MB): the narrowest line list there is,
/// the worst case for its index (4 bytes per 2 bytes of body).
fn narrowest_logins_body() -> String {
    "a\n".repeat(30_000_000)
}

/// One login, then 60 MB of blank lines (tempts a parser to reserve values for nothing).
fn blank_logins_body() -> String {
    let mut body = String::from("jdoe\r\n");
    body.push_str(&"\r\n".repeat(30_000_000));
    body
}

/// What a memory case fetches: a `getsystems` table or a `getusers` line list.
#[derive(Clone, Copy)]
enum Call {
    Systems,
    Users,
}

/// A memory case: its name, what it fetches and the body it parses.
type MemoryCase = (&'static str, Call, fn() -> String);

const MEMORY_CASES: [MemoryCase; 11] = [
    (
        "getsystems, 30,000 rows x 1,000 unknown columns",
        Call::Systems,
        wide_systems_body,
    ),
    (
        "a header and a row of 16 M columns",
        Call::Systems,
        many_columns_body,
    ),
    (
        "getsystems of (b), no unknown columns",
        Call::Systems,
        systems_body,
    ),
    (
        "a short first row, then blank lines",
        Call::Systems,
        blank_lines_body,
    ),
    ("3 M rows of 20 bytes", Call::Systems, tiny_rows_body),
    ("5 M rows of 3 bytes", Call::Systems, narrowest_rows_body),
    (
        "5 M rows of 3 bytes, all refused",
        Call::Systems,
        narrowest_bad_rows_body,
    ),
    (
        "getusers, 3 M logins of 8 characters",
        Call::Users,
        logins_body,
    ),
    (
        "getusers, 20 M logins `a\\r\\n`",
        Call::Users,
        narrowest_logins_crlf_body,
    ),
    (
        "getusers, 30 M logins `a\\n`",
        Call::Users,
        narrowest_logins_body,
    ),
    (
        "getusers, one login, then blank lines",
        Call::Users,
        blank_logins_body,
    ),
];

/// (c) Peak memory of fetching wide and narrow bodies, as a multiple of the body, in both forms.
/// Each case runs in a process of its own (this binary with `memory-case=<i>:<form>`), so that
/// memory the allocator kept from one case does not hide the next one's.
fn memory() {
    println!(
        "peak RSS while building and fetching the body, above the process before it (goal <= 4 x)"
    );
    for i in 0..MEMORY_CASES.len() {
        for form in ["eager", "lazy"] {
            let status = std::process::Command::new(std::env::current_exe().expect("bench binary"))
                .arg(format!("memory-case={i}:{form}"))
                .status()
                .expect("run a memory case");
            assert!(status.success(), "memory case {i} ({form}) failed");
        }
    }
}

/// One memory case in one form: `eager` (`list()`: `Parsed<System>`, `Vec<String>`) or `lazy`
/// (`list_table()`, `list_lines(..)`, then every row or value read once, decoded on the fly).
fn memory_case(i: usize, form: &str) {
    let (name, call, make) = MEMORY_CASES[i];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let base = status_bytes("VmRSS:");
    // the transport answers from the body's own buffer (a `Bytes` clone is not a copy)
    let body = bytes::Bytes::from(make());
    let answer = body.clone();
    let transport =
        ppms::testing::ScriptedTransport::new(move |_| Ok(ppms::testing::ok(answer.clone())));
    // as the README builds it, with the in-process transport
    let client = Client::builder("https://ppms.example.org/my-site/")
        .api_key("my-key")
        .transport(Arc::new(transport))
        .build()
        .expect("client");
    let t = Instant::now();
    // the rows or values fetched, and the time taken to read them all again (lazy forms)
    let lazily = |len: usize, read: Option<Duration>| {
        let fetched = t.elapsed() - read.unwrap_or_default();
        let mut out = format!("{len} items; fetched in {:.2} s", fetched.as_secs_f64());
        if let Some(read) = read {
            out.push_str(&format!(
                ", every item read in {:.2} s more",
                read.as_secs_f64()
            ));
        }
        out
    };
    let (peak, outcome) = peak_rss_above(base, || match (call, form) {
        (Call::Systems, "lazy") => rt.block_on(client.systems().list_table()).map(|table| {
            let fetched = t.elapsed();
            let ids: u64 = table.iter().map(|s| u64::from(s.system_id.0)).sum();
            std::hint::black_box(ids);
            lazily(table.len(), Some(t.elapsed() - fetched))
        }),
        (Call::Systems, _) => rt
            .block_on(client.systems().list())
            .map(|parsed| lazily(parsed.len(), None)),
        (Call::Users, "lazy") => rt
            .block_on(client.users().list_lines(ActiveFilter::All))
            .map(|lines| {
                let fetched = t.elapsed();
                let bytes: usize = lines.iter().map(|l| l.len()).sum();
                std::hint::black_box(bytes);
                lazily(lines.len(), Some(t.elapsed() - fetched))
            }),
        (Call::Users, _) => rt
            .block_on(client.users().list(ActiveFilter::All))
            .map(|logins| lazily(logins.len(), None)),
    });
    let mb = |b: usize| b as f64 / (1024.0 * 1024.0);
    let outcome = outcome.unwrap_or_else(|e| format!("refused: {e}"));
    let label = match (call, form) {
        (Call::Systems, "lazy") => "list_table()",
        (Call::Users, "lazy") => "list_lines()",
        _ => "list()",
    };
    println!(
        "  {name}: body {:.1} MB, {label:<12} peak {:.1} MB = {:.2} x the body, {outcome}",
        mb(body.len()),
        mb(peak),
        peak as f64 / body.len() as f64,
    );
}
