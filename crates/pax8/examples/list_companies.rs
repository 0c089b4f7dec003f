//! Lists every company, page by page, with pagination progress.
//!
//! ```text
//! cargo run -p pax8 --example list_companies            # offline, against the sandbox
//! PAX8_CLIENT_ID=... PAX8_CLIENT_SECRET=... cargo run -p pax8 --example list_companies
//! ```

mod common;

use pax8::companies::ListCompanies;
use pax8::model::{CompanySortField, Sort};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _sandbox) = common::client().await?;
    let mut pages = client
        .companies()
        .list_all(ListCompanies::new().sort(Sort::asc(CompanySortField::Name)));
    let mut n = 0;
    while let Some(page) = pages.next_page().await? {
        for c in &page.content {
            n += 1;
            println!(
                "{:<38} {:<30} {:<9} {}",
                c.id.as_ref().map(|i| i.as_str()).unwrap_or("-"),
                c.name.as_deref().unwrap_or("-"),
                c.status.as_ref().map(|s| s.as_str()).unwrap_or("-"),
                c.address
                    .as_ref()
                    .and_then(|a| a.country.as_deref())
                    .unwrap_or("-"),
            );
        }
        if let Some(info) = pages.last_page_info() {
            eprintln!(
                "page {}/{} ({} of {} companies)",
                info.number.unwrap_or(0) + 1,
                info.total_pages.unwrap_or(1),
                n,
                info.total_elements.unwrap_or(n as u64)
            );
        }
    }
    println!("{n} companies");
    Ok(())
}
