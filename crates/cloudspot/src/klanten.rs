//! Customers: `klanten/`.

use crate::Client;
use crate::endpoints;
use crate::error::Result;
use crate::model::{Klant, Klantennummer};

/// Calls on customers. Obtained from [`Client::klanten`].
///
/// Needs the company-token right "see all clients"; without it the call fails with
/// [`Error::Unauthorized`](crate::Error::Unauthorized) naming `klanten` (CS-Q12).
///
/// There is **no get-by-id** for customers (CS-Q16): a customer is keyed by its
/// `klantennummer`, not an `id`, and no server-side filter is known. List once and use
/// [`find_klant`] (or your own index) on the result.
#[derive(Debug, Clone, Copy)]
pub struct Klanten<'a> {
    pub(crate) client: &'a Client,
}

impl Klanten<'_> {
    /// E3 `GET klanten/`: every customer of the token's company.
    ///
    /// Customers are personal data: the crate never logs their contents.
    pub async fn list(&self) -> Result<Vec<Klant>> {
        self.client.fetch_all(endpoints::list_klanten()).await
    }
}

/// Finds a customer by `klantennummer` in a list returned by [`Klanten::list`].
pub fn find_klant(klanten: &[Klant], number: impl Into<Klantennummer>) -> Option<&Klant> {
    let number = number.into();
    klanten.iter().find(|k| k.customer_number == Some(number))
}
