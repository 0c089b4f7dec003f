//! Orders, services and prices: `createorder`, `getorders`, `getorderlines`, `getservices`,
//! `getpriceslist`.

use crate::client::{Client, read, write};
use crate::error::Error;
use crate::model::{
    CoreFacilityId, Order, OrderLine, OrderRef, PriceListEntry, Service, check_marker, marker_in,
};
use crate::parse::{Parsed, Table, token};

pub use crate::model::{CompletionDate, InitialOrderState, NewOrder};

/// Order calls; see [`Client::orders`].
#[derive(Debug, Clone, Copy)]
pub struct Orders<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// Order, service and price calls.
    pub fn orders(&self) -> Orders<'_> {
        Orders { client: self }
    }
}

/// The result of [`Orders::create_once`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CreateOutcome {
    /// No order carried the marker: a new one was created.
    Created(OrderRef),
    /// An order carrying the marker already existed: nothing was sent.
    Existing(OrderRef),
}

impl CreateOutcome {
    /// The order reference either way.
    pub fn order_ref(self) -> OrderRef {
        match self {
            Self::Created(r) | Self::Existing(r) => r,
        }
    }
}

impl Orders<'_> {
    /// `createorder`: creates an order of **one** line (one service, one quantity; PPMS-Q38)
    /// and returns its reference (a digits-only body, PPMS-Q42).
    ///
    /// The call is never retried once it may have reached the server: a timeout, a broken
    /// connection or a non-200 status after sending gives [`Error::OutcomeUnknown`], meaning the
    /// order **may exist**. Put a unique marker in the staff comment and use
    /// [`Orders::create_once`] / [`Orders::find_by_marker`] to make creation idempotent.
    pub async fn create(&self, order: &NewOrder) -> Result<OrderRef, Error> {
        if order.login.trim().is_empty() {
            return Err(Error::validation("createorder", "empty login"));
        }
        if order.quantity.is_sign_negative() || order.quantity.is_zero() {
            return Err(Error::validation(
                "createorder",
                "quantity must be positive",
            ));
        }
        let mut req = write("createorder");
        for (k, v) in order.fields(&self.client.inner.staff_comment_field) {
            req = req.form(k, v);
        }
        let r = self.client.send(req).await?;
        let body = r.answer()?;
        token::parse_order_ref(body).ok_or_else(|| r.unexpected(body))
    }

    /// `getorders`: every order; the header is found on line 2 (PPMS-Q16) or line 1.
    ///
    /// Memory: one [`Order`] per row, however short the row. For large tables use
    /// [`Orders::list_table`], which keeps the body and 4 bytes per row.
    pub async fn list(&self) -> Result<Parsed<Order>, Error> {
        let r = self.client.send(read("getorders")).await?;
        match r.data()? {
            None => Ok(Parsed::default()),
            Some(d) => r.wrap(Order::parse_body(d, self.client.row_policy())),
        }
    }

    /// `getorders` as a [`Table`]: the same rows and warnings as [`Orders::list`], kept as the
    /// body plus 4 bytes per row and decoded when read.
    pub async fn list_table(&self) -> Result<Table<Order>, Error> {
        let policy = self.client.row_policy();
        self.client
            .send(read("getorders"))
            .await?
            .lazy_with(|body| Order::parse_body_table(body, policy))
    }

    /// The first order (from `getorders`) whose comment columns carry `marker` as a whole
    /// token: `ORDER-1` never finds the order marked `ORDER-10` (see [`crate::marker_in`] for
    /// the rule). `None` when no order carries it. A marker that [`crate::check_marker`]
    /// refuses is a validation error and nothing is sent.
    pub async fn find_by_marker(&self, marker: &str) -> Result<Option<Order>, Error> {
        check_marker(marker).map_err(|m| Error::validation("getorders", m))?;
        Ok(self.list().await?.into_iter().find(|o| o.mentions(marker)))
    }

    /// Creates the order unless one carrying `marker` already exists (PPMS-Q38).
    ///
    /// The marker is one token of 1 to 100 characters without whitespace or separators
    /// ([`crate::check_marker`]), e.g. `relay-2024-0001`; it is appended to the staff comment,
    /// separated by a space (PPMS-Q40), and found again only as a whole token
    /// ([`Orders::find_by_marker`]). Call `create_once` again with the same marker after an
    /// [`Error::OutcomeUnknown`]: it finds the order if the first call created it.
    ///
    /// The check and the creation are not atomic: two processes using the same marker at the
    /// same moment can still both create an order.
    pub async fn create_once(
        &self,
        order: &NewOrder,
        marker: &str,
    ) -> Result<CreateOutcome, Error> {
        if let Some(existing) = self.find_by_marker(marker).await? {
            return Ok(CreateOutcome::Existing(existing.order_ref));
        }
        let mut order = order.clone();
        order.staff_comments = Some(match order.staff_comments.take() {
            Some(c) if c.trim().is_empty() => marker.to_owned(),
            Some(c) if !marker_in(&c, marker) => format!("{c} {marker}"),
            Some(c) => c,
            None => marker.to_owned(),
        });
        self.create(&order).await.map(CreateOutcome::Created)
    }

    /// `getorderlines`: the lines of one order; the header position varies (PPMS-Q17).
    pub async fn lines(&self, order: impl Into<OrderRef>) -> Result<Parsed<OrderLine>, Error> {
        let order = order.into();
        let r = self
            .client
            .send(read("getorderlines").form("orderref", order.to_string()))
            .await?;
        match r.data()? {
            None => Ok(Parsed::default()),
            Some(d) => r.wrap(OrderLine::parse_body(d, self.client.row_policy())),
        }
    }

    /// `getservices`, optionally for one core facility (`coreid`).
    pub async fn services(&self, core: Option<CoreFacilityId>) -> Result<Parsed<Service>, Error> {
        let req = read("getservices").form_opt("coreid", core.map(|c| c.to_string()));
        self.client.send(req).await?.table(self.client.row_policy())
    }

    /// `getpriceslist` (CSV). Service ids are offset from `getservices` ids (PPMS-Q43).
    ///
    /// Memory: one [`PriceListEntry`] per row, however short the row. For large tables use
    /// [`Orders::price_list_table`], which keeps the body and 4 bytes per row.
    pub async fn price_list(&self) -> Result<Parsed<PriceListEntry>, Error> {
        self.client
            .send(read("getpriceslist"))
            .await?
            .table(self.client.row_policy())
    }

    /// `getpriceslist` as a [`Table`]: the same rows and warnings as [`Orders::price_list`],
    /// kept as the body plus 4 bytes per row and decoded when read.
    pub async fn price_list_table(&self) -> Result<Table<PriceListEntry>, Error> {
        self.client
            .send(read("getpriceslist"))
            .await?
            .lazy_table(self.client.row_policy())
    }
}
