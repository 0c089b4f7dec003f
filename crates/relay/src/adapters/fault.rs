//! A fault-injecting adapter for tests: an in-memory "ERP" whose answers are scripted.
//!
//! ```
//! use billing_relay::adapters::{Capabilities, Failure};
//! use billing_relay::adapters::fault::{FaultAdapter, Step};
//!
//! let erp = FaultAdapter::new(Capabilities::new(true, true, false))
//!     .then(Step::fail(Failure::Transient { retry_after: None }))
//!     .then(Step::commit_then_fail(Failure::Uncertain)) // the ERP keeps it, the answer is lost
//!     .otherwise(Step::Ok);
//! assert_eq!(erp.total_pushes(), 0);
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use futures::future::BoxFuture;

use super::{Adapter, AdapterError, Capabilities, Failure, Found, PushLine, Pushed};

/// What one push does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The ERP creates the line and confirms.
    Ok,
    /// The push fails; `committed` says whether the ERP kept the line anyway.
    Fail {
        /// The failure returned.
        failure: Failure,
        /// The ERP has the line despite the failure (a lost answer).
        committed: bool,
    },
    /// The adapter panics before sending.
    Panic,
    /// The push never returns (the ERP holds it).
    Hang,
}

impl Step {
    /// A failure that left nothing at the ERP.
    pub fn fail(failure: Failure) -> Self {
        Step::Fail {
            failure,
            committed: false,
        }
    }

    /// A failure after the ERP kept the line.
    pub fn commit_then_fail(failure: Failure) -> Self {
        Step::Fail {
            failure,
            committed: true,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    script: VecDeque<Step>,
    otherwise: Option<Step>,
    check_fails: bool,
    erp: HashMap<String, u32>,
    pushes: HashMap<String, u32>,
    order: Vec<String>,
    checks: u32,
}

/// The fault-injecting adapter. See the [module docs](self).
#[derive(Debug)]
pub struct FaultAdapter {
    capabilities: Capabilities,
    state: Mutex<State>,
}

impl FaultAdapter {
    /// An adapter with these capabilities that answers [`Step::Ok`] until scripted otherwise.
    pub fn new(capabilities: Capabilities) -> Self {
        FaultAdapter {
            capabilities,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a step for the next push.
    #[must_use]
    pub fn then(self, step: Step) -> Self {
        self.lock().script.push_back(step);
        self
    }

    /// The step once the queue is empty (default [`Step::Ok`]).
    #[must_use]
    pub fn otherwise(self, step: Step) -> Self {
        self.set_otherwise(step);
        self
    }

    /// Changes the step once the queue is empty (e.g. the ERP recovers).
    pub fn set_otherwise(&self, step: Step) {
        self.lock().otherwise = Some(step);
    }

    /// Makes checks fail (transiently) or work again.
    pub fn set_check_fails(&self, fails: bool) {
        self.lock().check_fails = fails;
    }

    /// Push attempts for a unique id (whatever their outcome).
    pub fn pushes(&self, unique_id: &str) -> u32 {
        self.lock().pushes.get(unique_id).copied().unwrap_or(0)
    }

    /// All push attempts.
    pub fn total_pushes(&self) -> u32 {
        self.lock().pushes.values().sum()
    }

    /// How many times the ERP holds the line (more than 1 is a duplicate).
    pub fn held(&self, unique_id: &str) -> u32 {
        self.lock().erp.get(unique_id).copied().unwrap_or(0)
    }

    /// Unique ids in the order the ERP received their first push.
    pub fn order(&self) -> Vec<String> {
        self.lock().order.clone()
    }

    /// Checks asked so far.
    pub fn checks(&self) -> u32 {
        self.lock().checks
    }
}

impl Adapter for FaultAdapter {
    fn kind(&self) -> &'static str {
        "fault"
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn push<'a>(&'a self, line: PushLine<'a>) -> BoxFuture<'a, Result<Pushed, AdapterError>> {
        let id = line.line.unique_id.clone();
        let step = {
            let mut s = self.lock();
            let step = s.script.pop_front().or(s.otherwise).unwrap_or(Step::Ok);
            if step != Step::Panic {
                *s.pushes.entry(id.clone()).or_insert(0) += 1;
                if !s.order.contains(&id) {
                    s.order.push(id.clone());
                }
            }
            let commit = matches!(
                step,
                Step::Ok
                    | Step::Fail {
                        committed: true,
                        ..
                    }
                    | Step::Hang
            );
            if commit {
                *s.erp.entry(id.clone()).or_insert(0) += 1;
            }
            step
        };
        Box::pin(async move {
            match step {
                Step::Ok => Ok(Pushed {
                    reference: Some(format!("fault-{id}")),
                }),
                Step::Fail { failure, .. } => Err(AdapterError::new(failure, "injected failure")),
                Step::Panic => panic!("injected adapter panic"),
                Step::Hang => futures::future::pending().await,
            }
        })
    }

    fn check<'a>(&'a self, line: PushLine<'a>) -> BoxFuture<'a, Result<Found, AdapterError>> {
        let answer = {
            let mut s = self.lock();
            s.checks += 1;
            if !self.capabilities.can_check_existing || s.check_fails {
                Err(AdapterError::transient("injected check failure"))
            } else if s.erp.contains_key(&line.line.unique_id) {
                Ok(Found::Yes {
                    reference: Some(format!("fault-{}", line.line.unique_id)),
                })
            } else {
                Ok(Found::No)
            }
        };
        Box::pin(futures::future::ready(answer))
    }
}
