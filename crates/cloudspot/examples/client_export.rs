//! Exports every customer (`klanten/`) as CSV, to a file or to stdout.
//!
//! ```text
//! cargo run -p cloudspot --example client_export                 # offline, CSV on stdout
//! CLOUDSPOT_TOKEN=... cargo run -p cloudspot --example client_export -- klanten.csv
//! ```
//!
//! A token without the "see all clients" right gets `Error::Unauthorized` naming `klanten`.

#[path = "support/mod.rs"]
mod support;

use std::io::Write;

use cloudspot::Customer;

const HEADER: [&str; 16] = [
    "klantennummer",
    "aanspreektitel",
    "voornaam",
    "achternaam",
    "bedrijfsnaam",
    "is_bedrijf",
    "straat",
    "huisnummer",
    "busnummer",
    "postcode",
    "plaats",
    "land",
    "btw_nummer",
    "ondernemingsnummer",
    "geboortedatum",
    "geboorteplaats",
];

fn row(k: &Customer) -> [String; 16] {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        k.customer_number.map(|n| n.to_string()).unwrap_or_default(),
        k.salutation
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default(),
        s(&k.first_name),
        s(&k.last_name),
        s(&k.company_name),
        k.is_company.map(|b| b.to_string()).unwrap_or_default(),
        s(&k.street),
        s(&k.house_number),
        s(&k.box_number),
        s(&k.postal_code),
        s(&k.city),
        s(&k.country),
        s(&k.vat_number),
        s(&k.enterprise_number),
        k.birth_date
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        s(&k.birth_place),
    ]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = support::backend().await?;
    let customers = match backend.client.customers().list().await {
        Ok(k) => k,
        Err(e) if e.is_auth() => {
            eprintln!(
                "the token may not read customers ({e}); it needs the right {:?}",
                cloudspot::Error::required_right("klanten").unwrap_or("?")
            );
            std::process::exit(2);
        }
        Err(e) => return Err(e.into()),
    };
    let out: Box<dyn Write> = match std::env::args().nth(1) {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(HEADER)?;
    for k in &customers {
        csv.write_record(row(k))?;
    }
    csv.flush()?;
    eprintln!("{} customers exported", customers.len());
    Ok(())
}
