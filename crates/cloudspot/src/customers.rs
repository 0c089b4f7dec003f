//! Customers: Dutch `klanten`, path `klanten/`.

use crate::Client;
use crate::endpoints;
use crate::error::Result;
use crate::model::{Customer, CustomerNumber};

/// Calls on customers ("clients"), Dutch `klanten` (path `klanten/`). Obtained from
/// [`Client::customers`].
///
/// Needs the company-token right "see all clients"; without it the call fails with
/// [`Error::Unauthorized`](crate::Error::Unauthorized) naming `klanten` (CS-Q12).
///
/// There is **no get-by-id** for customers (CS-Q16): a customer is keyed by its
/// `klantennummer`, not an `id`, and no server-side filter is known. List once and use
/// [`find_customer`] (or your own index) on the result.
#[derive(Debug, Clone, Copy)]
#[doc(alias = "klanten")]
pub struct Customers<'a> {
    pub(crate) client: &'a Client,
}

impl Customers<'_> {
    /// E3 `GET klanten/`: every customer of the token's company.
    ///
    /// Customers are personal data: the crate never logs their contents.
    pub async fn list(&self) -> Result<Vec<Customer>> {
        self.client.fetch_all(endpoints::list_customers()).await
    }
}

/// Finds a customer by customer number (`klantennummer`) in a list returned by
/// [`Customers::list`].
#[doc(alias = "find_klant")]
pub fn find_customer(
    customers: &[Customer],
    number: impl Into<CustomerNumber>,
) -> Option<&Customer> {
    let number = number.into();
    customers.iter().find(|c| c.customer_number == Some(number))
}
