//! Invoices: `getinvoicelist`, `getinvoice`, `getinvoicedetails`, `getinvtracklist`,
//! `setinvtracksent`.

use crate::client::{Client, RawResponse, read, write};
use crate::error::Error;
use crate::model::{InvoiceAccountTotal, InvoiceDetails, InvoiceTracking, InvoiceTrackingFilter};
use crate::model::{InvoiceId, InvoiceRef};
use crate::parse::{Lines, Parsed, RowPolicy, Table};

/// Invoice calls; see [`Client::invoices`].
#[derive(Debug, Clone, Copy)]
pub struct Invoices<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// Invoice calls.
    pub fn invoices(&self) -> Invoices<'_> {
        Invoices { client: self }
    }
}

/// Options of `getinvoicedetails`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvoiceDetailsOptions {
    /// `bcode`: only this account.
    pub bcode: Option<String>,
    /// `assistant=show`.
    pub show_assistant: bool,
}

impl Invoices<'_> {
    /// `getinvoicelist`: invoice ids, one per line.
    ///
    /// Memory: one `String` per id; [`Invoices::list_lines`] keeps the body and 4 bytes per id.
    pub async fn list(&self) -> Result<Vec<String>, Error> {
        self.client.send(read("getinvoicelist")).await?.lines()
    }

    /// `getinvoicelist` as [`Lines`]: the same ids as [`Invoices::list`], kept as the body plus
    /// 4 bytes per id and decoded when read.
    pub async fn list_lines(&self) -> Result<Lines, Error> {
        self.client.send(read("getinvoicelist")).await?.lazy_lines()
    }

    /// `getinvoice`: totals per account (a body without header, PPMS-Q19). An empty body (an
    /// unknown invoice, or nothing to show) is [`Error::NotFound`] (`is_not_found()`).
    pub async fn get(
        &self,
        invoice_id: impl Into<InvoiceId>,
    ) -> Result<Vec<InvoiceAccountTotal>, Error> {
        let invoice_id: InvoiceId = invoice_id.into();
        let invoice_id = invoice_id.as_str();
        let r = self
            .client
            .send(read("getinvoice").form("invoiceid", invoice_id))
            .await?;
        match r.data()? {
            None => Err(r.not_found(format!("invoice {invoice_id}"))),
            Some(d) => Ok(r
                .wrap(InvoiceAccountTotal::parse_body(d, RowPolicy::Strict))?
                .items),
        }
    }

    /// `getinvoicedetails`: preamble and sections (PPMS-Q18). An empty body is
    /// [`Error::NotFound`] (`is_not_found()`).
    pub async fn details(
        &self,
        invoice_id: impl Into<InvoiceId>,
        options: &InvoiceDetailsOptions,
    ) -> Result<InvoiceDetails, Error> {
        let invoice_id: InvoiceId = invoice_id.into();
        let invoice_id = invoice_id.as_str();
        let req = read("getinvoicedetails")
            .form("invoiceid", invoice_id)
            .form_opt("bcode", options.bcode.clone())
            .form_opt("assistant", options.show_assistant.then_some("show"));
        let r = self.client.send_large(req).await?;
        match r.data()? {
            None => Err(r.not_found(format!("invoice {invoice_id}"))),
            Some(d) => r.wrap(InvoiceDetails::parse_body(d)),
        }
    }

    /// `getinvtracklist`, optionally filtered.
    ///
    /// Memory: one [`InvoiceTracking`] per row, however short the row. For large tables use
    /// [`Invoices::tracking_table`], which keeps the body and 4 bytes per row.
    pub async fn tracking(
        &self,
        filter: Option<InvoiceTrackingFilter>,
    ) -> Result<Parsed<InvoiceTracking>, Error> {
        let req = read("getinvtracklist").form_opt("filter", filter.map(|f| f.wire_value()));
        self.client.send(req).await?.table(self.client.row_policy())
    }

    /// `getinvtracklist` as a [`Table`]: the same rows and warnings as [`Invoices::tracking`],
    /// kept as the body plus 4 bytes per row and decoded when read.
    pub async fn tracking_table(
        &self,
        filter: Option<InvoiceTrackingFilter>,
    ) -> Result<Table<InvoiceTracking>, Error> {
        let req = read("getinvtracklist").form_opt("filter", filter.map(|f| f.wire_value()));
        self.client
            .send(req)
            .await?
            .lazy_table(self.client.row_policy())
    }

    /// `setinvtracksent`: marks an invoice as sent. The success body is undocumented.
    pub async fn mark_sent(
        &self,
        invoice_ref: impl Into<InvoiceRef>,
    ) -> Result<RawResponse, Error> {
        let invoice_ref: InvoiceRef = invoice_ref.into();
        let invoice_ref = invoice_ref.as_str();
        let req = write("setinvtracksent")
            .form("invoiceref", invoice_ref)
            .retry_safety(billing_http_core::RetrySafety::Idempotent);
        self.client.send(req).await?.raw()
    }
}
