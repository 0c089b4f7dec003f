//! Synthetic data: vendor-like data sets that filter, paginate and remember writes, so tests
//! need neither giant cassettes nor a live tenant.
//!
//! A [`Synthetic`] is a description; a running sandbox turns each into a model with its own
//! state (writes are per sandbox instance). Generated items are computed from their index
//! when asked for, so a data set of 45,000 orders costs no memory; only written items are
//! kept.

mod cloudspot;
mod pax8;
mod ppms;

use std::fmt;

use billing_http_core::HttpResponse;
use billing_http_core::cassette::RecordedRequest;
use http::StatusCode;
use serde_json::Value;
use url::Url;

pub use pax8::pax8_company_id;
pub use ppms::ppms_login;

/// A synthetic data set; add it with [`crate::SandboxBuilder::synthetic`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Synthetic {
    /// PPMS users: PUMAPI `action=getusers` lists their logins, honouring `active` (`true`:
    /// the active ones, `false`: the inactive ones, absent: all); `action=getuser` answers
    /// one (CSV header and row, CRLF line endings); an unknown login gets an empty body, as
    /// PPMS answers.
    #[non_exhaustive]
    PpmsUsers {
        /// How many active users (`user00000`, `user00001`, ...).
        count: usize,
        /// How many inactive users, numbered after the active ones.
        inactive: usize,
    },
    /// PPMS orders: `action=createorder` answers a new order reference and adds the order to
    /// `getorders` (after the recorded rows) and `getorderlines`.
    PpmsOrders,
    /// Pax8 companies (with contacts), orders and subscriptions in the `{content, page}`
    /// envelope: `page`/`size` (default 10, 1 to 200), `sort`, the documented filters
    /// (companies: `city`, `country`, `stateOrProvince`, `postalCode`, `status`,
    /// `selfServiceAllowed`, `billOnBehalfOfEnabled`, `orderApprovalRequired`; orders:
    /// `companyId`; subscriptions: `companyId`, `status`, `productId`, `billingTerm`), single
    /// items by id (404 for an unknown one, 403 "Invalid companyId" for subscriptions of an
    /// unknown company), writes (create company, contact create/replace/delete, create order
    /// with `isMock`), and `POST …/token`.
    #[non_exhaustive]
    Pax8 {
        /// How many generated companies.
        companies: usize,
        /// How many generated orders.
        orders: usize,
        /// How many generated subscriptions.
        subscriptions: usize,
    },
    /// Cloudspot lists (`artikels/`, `klanten/`, `categories/`) built from the recorded ones:
    /// `?id=` lookups on articles and categories (an empty `data` for an unknown id),
    /// generated extra articles, and optional pages linked by `next`.
    #[non_exhaustive]
    Cloudspot {
        /// Generated articles added after the recorded ones.
        articles: usize,
        /// Items per page; `None` answers every list in one reply, as the vendor does.
        page_size: Option<usize>,
    },
}

impl Synthetic {
    /// `count` active PPMS users (logins `user00000`, `user00001`, ...).
    pub fn ppms_users(count: usize) -> Self {
        Synthetic::PpmsUsers { count, inactive: 0 }
    }

    /// `active` active and `inactive` inactive PPMS users.
    pub fn ppms_users_with_inactive(active: usize, inactive: usize) -> Self {
        Synthetic::PpmsUsers {
            count: active,
            inactive,
        }
    }

    /// PPMS orders created with `createorder` and listed by `getorders`.
    pub fn ppms_orders() -> Self {
        Synthetic::PpmsOrders
    }

    /// Pax8 data sets of the given sizes.
    pub fn pax8(companies: usize, orders: usize, subscriptions: usize) -> Self {
        Synthetic::Pax8 {
            companies,
            orders,
            subscriptions,
        }
    }

    /// Cloudspot lists from the recordings plus `articles` generated articles, in one page.
    pub fn cloudspot(articles: usize) -> Self {
        Synthetic::Cloudspot {
            articles,
            page_size: None,
        }
    }

    /// Cloudspot lists in pages of `page_size` items (at least 1) linked by absolute `next`
    /// URLs on the sandbox (`…/artikels/?page=2`), to test a client's pagination.
    pub fn cloudspot_paginated(articles: usize, page_size: usize) -> Self {
        Synthetic::Cloudspot {
            articles,
            page_size: Some(page_size.max(1)),
        }
    }

    /// The model of this data set, with fresh state.
    pub(crate) fn model(&self) -> Box<dyn Model> {
        match *self {
            Synthetic::PpmsUsers { count, inactive } => Box::new(ppms::Users::new(count, inactive)),
            Synthetic::PpmsOrders => Box::new(ppms::Orders::default()),
            Synthetic::Pax8 {
                companies,
                orders,
                subscriptions,
            } => Box::new(pax8::Pax8::new(companies, orders, subscriptions)),
            Synthetic::Cloudspot {
                articles,
                page_size,
            } => Box::new(cloudspot::Cloudspot::new(articles, page_size)),
        }
    }
}

/// What a model sees besides the request.
pub(crate) struct Ctx<'a> {
    /// The base URL clients use (for links in answers).
    pub(crate) base: &'a Url,
    /// The stable recorded answer to another request (a model's source data).
    pub(crate) recorded: &'a dyn Fn(&RecordedRequest) -> Option<HttpResponse>,
}

/// A model's verdict on a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The answer.
    Answer(HttpResponse),
    /// The vendor's answer for something this model does not hold (404, 403, an empty PPMS
    /// body): a recording of this exact request answers instead, if there is one.
    Unknown(HttpResponse),
    /// Not modelled here.
    Pass,
}

/// A running synthetic data set.
pub(crate) trait Model: Send + Sync + fmt::Debug {
    /// The verdict on `request` (path relative to the base URL).
    fn answer(&self, request: &RecordedRequest, ctx: &Ctx<'_>) -> Outcome;
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A JSON answer.
pub(crate) fn json(code: u16, body: &Value) -> HttpResponse {
    HttpResponse::new(status(code), body.to_string())
        .with_header("content-type", "application/json")
}

/// A plain-text answer.
pub(crate) fn text(code: u16, body: impl Into<String>) -> HttpResponse {
    HttpResponse::new(status(code), body.into())
        .with_header("content-type", "text/plain; charset=utf-8")
}

/// The path's segments, without empty ones.
pub(crate) fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// A query or form field parsed as a number.
pub(crate) fn number_field(request: &RecordedRequest, name: &str) -> Option<usize> {
    request.field(name).and_then(|v| v.trim().parse().ok())
}

/// The body of a 2xx recorded answer as JSON.
pub(crate) fn json_body(response: &HttpResponse) -> Option<Value> {
    if !response.status.is_success() {
        return None;
    }
    serde_json::from_slice(&response.body).ok()
}
