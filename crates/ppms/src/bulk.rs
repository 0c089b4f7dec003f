//! Bulk helpers for PUMAPI's N+1 patterns (PPMS-Q34): one `getuser` per login, one
//! `getsysrights` per system. Requests run with bounded concurrency (never unbounded) and go
//! through the client's limiter, if one is set (none by default); results stream as they
//! arrive, one failure does not abort the batch, and collected results are sorted for a
//! deterministic order.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::bookings::Bookings;
use crate::error::Error;
use crate::groups::Groups;
use crate::model::{
    ActiveFilter, CoreFacilityId, FullNameIndex, Resolution, RunningSheetEntry, SystemId,
    SystemRight, User, resolve_system,
};
use crate::parse::Parsed;
use crate::systems::Systems;
use crate::users::Users;

/// Progress of a bulk operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Progress {
    /// Items finished (successfully or not).
    pub done: usize,
    /// Items in the batch.
    pub total: usize,
}

type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// Options of a bulk operation.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct BulkOptions {
    /// Requests in flight at most (default: the client's, [`crate::DEFAULT_BULK_CONCURRENCY`]
    /// = 16 unless configured; at least 1).
    pub concurrency: Option<usize>,
    /// Called after each item with done/total.
    pub progress: Option<Arc<ProgressFn>>,
    /// Time budget for the whole batch: items not finished by then are reported as timeout
    /// failures (requests still in flight are dropped).
    pub deadline: Option<Duration>,
}

impl fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOptions")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl BulkOptions {
    /// Sets the concurrency.
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n.max(1));
        self
    }

    /// Sets the time budget of the whole batch.
    #[must_use]
    pub fn deadline(mut self, budget: Duration) -> Self {
        self.deadline = Some(budget);
        self
    }

    /// Sets the progress callback.
    #[must_use]
    pub fn progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// Runs `f` over `items` with at most `concurrency` futures in flight, yielding `(item, output)`
/// in completion order and reporting progress.
pub fn fan_out<I, T, F, Fut>(
    items: Vec<I>,
    concurrency: usize,
    progress: Option<Arc<ProgressFn>>,
    f: F,
) -> impl Stream<Item = (I, T)>
where
    I: Clone,
    F: Fn(I) -> Fut,
    Fut: Future<Output = T>,
{
    let total = items.len();
    let done = Arc::new(AtomicUsize::new(0));
    futures::stream::iter(items)
        .map(move |item| {
            let fut = f(item.clone());
            async move { (item, fut.await) }
        })
        .buffer_unordered(concurrency.max(1))
        .inspect(move |_| {
            let d = done.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(p) = &progress {
                p(Progress { done: d, total });
            }
        })
}

/// The details of many users.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct UserDetails {
    /// Users found, sorted by login.
    pub users: Vec<User>,
    /// Logins listed but unknown to `getuser` (empty body), sorted.
    pub missing: Vec<String>,
    /// Logins whose `getuser` failed, with the error, sorted by login.
    pub failures: Vec<(String, Error)>,
    /// How many users came from the user cache.
    pub from_cache: usize,
}

impl Users<'_> {
    fn concurrency(&self, opts: &BulkOptions) -> usize {
        opts.concurrency
            .unwrap_or(self.client.inner.bulk_concurrency)
            .max(1)
    }

    /// `getuser` for each login, `opts.concurrency` at a time, streamed in completion order.
    /// The user cache is consulted first (a warm cache turns the N+1 into the misses only).
    pub fn details_stream(
        &self,
        logins: Vec<String>,
        opts: &BulkOptions,
    ) -> impl Stream<Item = (String, Result<crate::Fetched<User>, Error>)> + '_ {
        let users = *self;
        fan_out(
            logins,
            self.concurrency(opts),
            opts.progress.clone(),
            move |login: String| async move { users.get_fetched(&login, false).await },
        )
    }

    /// `getuser` for each login, collected and sorted. With [`BulkOptions::deadline`], logins
    /// not fetched in time are reported as timeout failures.
    pub async fn details(&self, logins: Vec<String>, opts: &BulkOptions) -> UserDetails {
        let mut out = UserDetails::default();
        let mut pending: BTreeSet<String> = logins.iter().cloned().collect();
        let deadline = opts.deadline.map(|d| tokio::time::Instant::now() + d);
        let mut stream = std::pin::pin!(self.details_stream(logins, opts));
        loop {
            let next = match deadline {
                None => stream.next().await,
                Some(at) => match tokio::time::timeout_at(at, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => break,
                },
            };
            let Some((login, result)) = next else { break };
            pending.remove(&login);
            match result {
                Ok(f) => {
                    out.from_cache += usize::from(f.from_cache);
                    out.users.push(f.value);
                }
                Err(Error::NotFound { .. }) => out.missing.push(login),
                Err(e) => out.failures.push((login, e)),
            }
        }
        for login in pending {
            let e = billing_http_core::Error::new(
                billing_http_core::ErrorKind::Timeout,
                "bulk deadline exceeded",
            )
            .with_vendor("ppms")
            .with_operation("getuser");
            out.failures.push((login, Error::Http(e)));
        }
        out.users.sort_by(|a, b| a.login.cmp(&b.login));
        out.missing.sort();
        out.failures.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// `getusers` with `filter`, then every user's details (the N+1 pyppms does sequentially).
    /// Only the listing failing fails the call.
    pub async fn details_all(
        &self,
        filter: ActiveFilter,
        opts: &BulkOptions,
    ) -> Result<UserDetails, Error> {
        let logins = self.list(filter).await?;
        Ok(self.details(logins, opts).await)
    }

    /// The e-mail addresses of the active users, deduplicated and sorted, with the details
    /// fetched in bulk. Users without an address are left out.
    pub async fn active_emails(
        &self,
        opts: &BulkOptions,
    ) -> Result<(BTreeSet<String>, UserDetails), Error> {
        let details = self.details_all(ActiveFilter::Active, opts).await?;
        let emails = details
            .users
            .iter()
            .filter(|u| u.active)
            .filter_map(|u| u.email.as_deref())
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        Ok((emails, details))
    }

    /// The details of the administrators (`getadmins`, then `getuser` each).
    pub async fn admins_detailed(&self, opts: &BulkOptions) -> Result<UserDetails, Error> {
        let logins = self.admins().await?;
        Ok(self.details(logins, opts).await)
    }
}

impl Groups<'_> {
    /// The details of a group's members (`getgroupusers`, then `getuser` each).
    pub async fn members_detailed(
        &self,
        unitlogin: impl Into<crate::model::UnitLogin>,
        filter: ActiveFilter,
        opts: &BulkOptions,
    ) -> Result<UserDetails, Error> {
        let logins = self.members(unitlogin, filter).await?;
        Ok(self.client.users().details(logins, opts).await)
    }
}

/// The rights of many systems.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RightsBySystem {
    /// Rights per system, sorted by system id.
    pub rights: Vec<(SystemId, Vec<SystemRight>)>,
    /// Systems whose `getsysrights` failed, sorted by system id.
    pub failures: Vec<(SystemId, Error)>,
}

impl Systems<'_> {
    /// `getsysrights` for each system, with bounded concurrency.
    pub async fn rights_of(&self, systems: Vec<SystemId>, opts: &BulkOptions) -> RightsBySystem {
        let me = *self;
        let conc = opts
            .concurrency
            .unwrap_or(self.client.inner.bulk_concurrency);
        let mut out = RightsBySystem::default();
        let mut stream = std::pin::pin!(fan_out(
            systems,
            conc,
            opts.progress.clone(),
            move |id| async move { me.rights(id).await }
        ));
        while let Some((id, r)) = stream.next().await {
            match r {
                Ok(rights) => out.rights.push((id, rights)),
                Err(e) => out.failures.push((id, e)),
            }
        }
        out.rights.sort_by_key(|(id, _)| *id);
        out.failures.sort_by_key(|(id, _)| *id);
        out
    }

    /// `getsystems`, then the rights of every system.
    pub async fn rights_all(&self, opts: &BulkOptions) -> Result<RightsBySystem, Error> {
        let ids = self.list().await?.iter().map(|s| s.system_id).collect();
        Ok(self.rights_of(ids, opts).await)
    }
}

/// A running-sheet entry with its system and user resolved (PPMS-Q27, PPMS-Q28).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Default)]
#[non_exhaustive]
pub struct ResolvedEntry {
    /// The entry as sent.
    pub entry: RunningSheetEntry,
    /// Systems whose name is exactly the entry's `Object` (in its `Location` when one matches
    /// there, else anywhere).
    pub system: Resolution<SystemId>,
    /// Every login whose full name is the entry's `User`; several when accounts share a name.
    pub logins: Resolution<String>,
}

impl Bookings<'_> {
    /// The running sheet with systems and users resolved: `getrunningsheet`, then `getsystems`
    /// and every user's details (bulk, with `opts`) to build the full-name index. Nothing more
    /// is fetched for a day without bookings. Ambiguity is reported, never guessed away.
    pub async fn running_sheet_resolved(
        &self,
        core: impl Into<CoreFacilityId>,
        day: chrono::NaiveDate,
        opts: &BulkOptions,
    ) -> Result<Parsed<ResolvedEntry>, Error> {
        let core = core.into();
        let sheet = self.running_sheet(core, day).await?;
        if sheet.is_empty() {
            return Ok(Parsed {
                items: Vec::new(),
                warnings: sheet.warnings,
            });
        }
        let systems = self.client.systems().list().await?;
        let users = self
            .client
            .users()
            .details_all(ActiveFilter::All, opts)
            .await?;
        let index = FullNameIndex::new(users.users.iter());
        Ok(sheet.map(|entry| {
            let here = resolve_system(&systems, &entry.system_name, Some(&entry.location));
            let system = match here {
                Resolution::NotFound => resolve_system(&systems, &entry.system_name, None),
                found => found,
            };
            let logins = index.resolve(&entry.user_full_name);
            ResolvedEntry {
                entry,
                system,
                logins,
            }
        }))
    }
}
