//! Fault injection: what can go wrong, and when.

use std::sync::Mutex;

/// One injected failure.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status (e.g. 500, 502, 503, 504) and a short text body.
    Status(u16),
    /// Answer 429 with `Retry-After: <retry_after_secs>`.
    TooManyRequests {
        /// Value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// Close the connection without answering, with a TCP reset (SO_LINGER 0).
    ConnectionReset,
    /// Promise the whole body in `Content-Length`, send half of it, then close.
    TruncatedBody,
    /// Answer an HTML error page (as a proxy or maintenance page would) with this status,
    /// typically 200 or 502.
    HtmlErrorPage {
        /// HTTP status of the page.
        status: u16,
    },
}

/// When faults happen.
#[derive(Debug)]
#[non_exhaustive]
pub enum FaultPlan {
    /// The n-th request (counted from 0, among the requests this plan applies to) gets the
    /// n-th entry; `None` answers normally; requests past the end answer normally.
    Sequence(Vec<Option<Fault>>),
    /// Each request gets `fault` with probability `probability`, from a random generator
    /// seeded with `seed` (the same seed gives the same pattern).
    Rate {
        /// The fault.
        fault: Fault,
        /// Probability in `0.0..=1.0`.
        probability: f64,
        /// Generator state.
        rng: Mutex<fastrand::Rng>,
    },
}

impl FaultPlan {
    /// A sequence plan.
    pub fn sequence(faults: impl IntoIterator<Item = Option<Fault>>) -> Self {
        FaultPlan::Sequence(faults.into_iter().collect())
    }

    /// A rate plan.
    pub fn rate(fault: Fault, probability: f64, seed: u64) -> Self {
        FaultPlan::Rate {
            fault,
            probability: probability.clamp(0.0, 1.0),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }

    /// The fault for the `n`-th request this plan sees.
    pub(crate) fn pick(&self, n: u64) -> Option<Fault> {
        match self {
            FaultPlan::Sequence(list) => usize::try_from(n)
                .ok()
                .and_then(|i| list.get(i).cloned())
                .flatten(),
            FaultPlan::Rate {
                fault,
                probability,
                rng,
            } => {
                let roll = rng.lock().unwrap_or_else(|e| e.into_inner()).f64();
                (roll < *probability).then(|| fault.clone())
            }
        }
    }
}

/// A plan, optionally limited to one route, with its own request counter.
#[derive(Debug)]
pub(crate) struct FaultRule {
    pub(crate) route: Option<String>,
    pub(crate) plan: FaultPlan,
    pub(crate) seen: Mutex<u64>,
}

impl FaultRule {
    pub(crate) fn new(route: Option<String>, plan: FaultPlan) -> Self {
        FaultRule {
            route,
            plan,
            seen: Mutex::new(0),
        }
    }

    /// The fault for a request on `route`, if this rule applies and fires.
    pub(crate) fn next(&self, route: &str) -> Option<Fault> {
        if self.route.as_deref().is_some_and(|r| r != route) {
            return None;
        }
        let n = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let n = *seen;
            *seen += 1;
            n
        };
        self.plan.pick(n)
    }
}

/// The HTML page of [`Fault::HtmlErrorPage`].
pub(crate) fn html_page(status: u16) -> String {
    format!(
        "<!DOCTYPE html>\r\n<html><head><title>{status} Service Unavailable</title></head>\r\n\
         <body><h1>Temporarily unavailable</h1><p>The service is down for maintenance. \
         Please try again later.</p></body></html>\r\n"
    )
}
