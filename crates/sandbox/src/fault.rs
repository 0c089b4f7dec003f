//! Fault injection: what can go wrong, and when; and the faults a request asks for itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

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
    /// Answer normally, this much later (on top of the sandbox's latency).
    Slow(Duration),
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

/// Longest delay a request may ask for with `slow=`.
const MAX_SLOW: Duration = Duration::from_secs(300);

/// A fault a request asked for (`X-Sandbox-Fault`, the query flag or the path segments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Asked {
    /// The spec as sent (the key of its `times` counter, with the route).
    pub(crate) spec: String,
    pub(crate) fault: Fault,
    /// Only the first `times` requests with this spec on a route get the fault.
    pub(crate) times: Option<u64>,
}

/// What a fault spec may say, for error messages.
pub(crate) const SPEC_HELP: &str = "expected a status 400-599, `429;retry-after=N`, `reset`, \
    `truncate`, `html`, `html=STATUS` or `slow=DURATION` (`2s`, `250ms`), optionally followed by \
    `;times=N`";

fn parse_duration(s: &str) -> Option<Duration> {
    let d = if let Some(ms) = s.strip_suffix("ms") {
        Duration::from_millis(ms.trim().parse().ok()?)
    } else {
        Duration::from_secs_f64(
            s.strip_suffix('s')?
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)?
                .min(MAX_SLOW.as_secs_f64()),
        )
    };
    Some(d.min(MAX_SLOW))
}

/// Parses `503`, `429;retry-after=2`, `reset`, `truncate`, `html`, `html=200`, `slow=2s`, each
/// optionally followed by `;times=N`. `Err` says what is wrong (never echoing more than the
/// spec itself).
pub(crate) fn parse_spec(spec: &str) -> Result<Asked, String> {
    let bad = || {
        format!(
            "sandbox: cannot understand fault `{}`: {SPEC_HELP}",
            spec.chars().take(80).collect::<String>()
        )
    };
    let mut parts = spec.split(';').map(str::trim);
    let what = parts.next().unwrap_or_default().to_ascii_lowercase();
    let mut retry_after = None;
    let mut times = None;
    for option in parts {
        let (name, value) = option.split_once('=').ok_or_else(bad)?;
        let value: u64 = value.trim().parse().map_err(|_| bad())?;
        match name.trim().to_ascii_lowercase().as_str() {
            "retry-after" => retry_after = Some(value),
            "times" => times = Some(value),
            _ => return Err(bad()),
        }
    }
    let status = |s: &str| s.parse::<u16>().ok();
    let fault = match what.as_str() {
        "reset" => Fault::ConnectionReset,
        "truncate" | "truncated" => Fault::TruncatedBody,
        "html" => Fault::HtmlErrorPage { status: 502 },
        w => {
            if let Some(code) = w.strip_prefix("html=") {
                match status(code) {
                    Some(status @ 200..=599) => Fault::HtmlErrorPage { status },
                    _ => return Err(bad()),
                }
            } else if let Some(d) = w.strip_prefix("slow=") {
                Fault::Slow(parse_duration(d).ok_or_else(bad)?)
            } else {
                match (status(w), retry_after) {
                    (Some(429), Some(retry_after_secs)) => {
                        Fault::TooManyRequests { retry_after_secs }
                    }
                    (Some(code @ 400..=599), None) => Fault::Status(code),
                    _ => return Err(bad()),
                }
            }
        }
    };
    if retry_after.is_some() && !matches!(fault, Fault::TooManyRequests { .. }) {
        return Err(bad());
    }
    Ok(Asked {
        spec: spec.trim().to_owned(),
        fault,
        times,
    })
}

/// Counts asked faults per (spec, route), for `times=N`.
#[derive(Debug, Default)]
pub(crate) struct AskedCounts(Mutex<HashMap<(String, String), u64>>);

impl AskedCounts {
    /// The fault if this request is still within its `times`.
    pub(crate) fn fire(&self, asked: Asked, route: &str) -> Option<Fault> {
        let Some(times) = asked.times else {
            return Some(asked.fault);
        };
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry((asked.spec, route.to_owned())).or_insert(0);
        *n = n.saturating_add(1);
        (*n <= times).then_some(asked.fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(spec: &str) -> Option<Fault> {
        parse_spec(spec).ok().map(|a| a.fault)
    }

    #[test]
    fn fault_specs_parse() {
        assert_eq!(fault("503"), Some(Fault::Status(503)));
        assert_eq!(fault("429"), Some(Fault::Status(429)));
        assert_eq!(
            fault("429;retry-after=2"),
            Some(Fault::TooManyRequests {
                retry_after_secs: 2
            })
        );
        assert_eq!(fault(" reset "), Some(Fault::ConnectionReset));
        assert_eq!(fault("truncate"), Some(Fault::TruncatedBody));
        assert_eq!(fault("html"), Some(Fault::HtmlErrorPage { status: 502 }));
        assert_eq!(
            fault("html=200"),
            Some(Fault::HtmlErrorPage { status: 200 })
        );
        assert_eq!(fault("slow=2s"), Some(Fault::Slow(Duration::from_secs(2))));
        assert_eq!(
            fault("slow=250ms"),
            Some(Fault::Slow(Duration::from_millis(250)))
        );
        assert_eq!(fault("slow=99999999s"), Some(Fault::Slow(MAX_SLOW)));
        assert_eq!(
            parse_spec("503;times=2").ok().and_then(|a| a.times),
            Some(2)
        );
        for bad in [
            "",
            "200",
            "600",
            "boom",
            "503;retry-after=2",
            "slow=2",
            "slow=-1s",
            "503;times=x",
            "html=99",
            "slow=NaNs",
        ] {
            let err = parse_spec(bad).err().unwrap_or_default();
            assert!(err.contains("cannot understand fault"), "{bad}: {err}");
        }
    }

    #[test]
    fn times_limits_an_asked_fault_per_route() {
        let counts = AskedCounts::default();
        let asked = || parse_spec("503;times=2").unwrap_or_else(|e| panic!("{e}"));
        let fired: Vec<bool> = (0..3)
            .map(|_| counts.fire(asked(), "GET /a").is_some())
            .collect();
        assert_eq!(fired, [true, true, false]);
        assert!(counts.fire(asked(), "GET /b").is_some());
    }
}
