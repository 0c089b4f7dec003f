//! Bookings: `getbooking`, `nextbooking`, `getrunningsheet`, and `getuserexp`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::client::{Client, read};
use crate::error::Error;
use crate::model::{
    CoreFacilityId, CurrentBooking, Experience, RunningSheetEntry, SystemId, UpcomingBooking,
    parse_running_sheet,
};
use crate::parse::{BookingRecord, Parsed, parse_booking_record};

/// Booking calls; see [`Client::bookings`].
#[derive(Debug, Clone, Copy)]
pub struct Bookings<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// Booking, running-sheet and experience calls.
    pub fn bookings(&self) -> Bookings<'_> {
        Bookings { client: self }
    }
}

/// The filter of `getuserexp`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExperienceFilter {
    /// Only this login.
    pub login: Option<String>,
    /// Only this system.
    pub system: Option<SystemId>,
}

impl ExperienceFilter {
    /// No filter: every user on every system (a large body).
    pub fn all() -> Self {
        Self::default()
    }

    /// One user.
    pub fn login(login: impl Into<String>) -> Self {
        Self {
            login: Some(login.into()),
            system: None,
        }
    }

    /// One system.
    pub fn system(system: impl Into<SystemId>) -> Self {
        let system = system.into();
        Self {
            login: None,
            system: Some(system),
        }
    }
}

impl Bookings<'_> {
    /// `getbooking`: the booking running now on a system, `None` when there is none. The end
    /// is computed from the minutes sent and the receive time (PPMS-Q25).
    pub async fn current(
        &self,
        system: impl Into<SystemId>,
    ) -> Result<Option<CurrentBooking>, Error> {
        let system = system.into();
        self.record("getbooking", system, CurrentBooking::from_record)
            .await
    }

    /// `nextbooking`: the next booking on a system.
    ///
    /// `None` means "no booking within the server's horizon": a booking years ahead is not
    /// returned either, so `None` does not prove that the system stays free (PPMS-Q26).
    pub async fn next(
        &self,
        system: impl Into<SystemId>,
    ) -> Result<Option<UpcomingBooking>, Error> {
        let system = system.into();
        self.record("nextbooking", system, UpcomingBooking::from_record)
            .await
    }

    async fn record<T>(
        &self,
        action: &'static str,
        system: SystemId,
        build: fn(BookingRecord, SystemId, DateTime<Utc>) -> T,
    ) -> Result<Option<T>, Error> {
        let r = self
            .client
            .send(read(action).form("id", system.to_string()))
            .await?;
        match r.data()? {
            None => Ok(None),
            Some(d) => Ok(Some(build(
                r.wrap(parse_booking_record(d))?,
                system,
                r.received_at,
            ))),
        }
    }

    /// `getrunningsheet`: the bookings of a core facility on one day (sent as `plateformid`
    /// and `day=YYYY-MM-DD`, PPMS-Q30). Users are full names (PPMS-Q27), systems are names
    /// (PPMS-Q28), and a `00:00` end rolls over to the next day (PPMS-Q29). An empty day is an
    /// empty list.
    pub async fn running_sheet(
        &self,
        core: impl Into<CoreFacilityId>,
        day: NaiveDate,
    ) -> Result<Parsed<RunningSheetEntry>, Error> {
        let core = core.into();
        let req = read("getrunningsheet")
            .form("plateformid", core.to_string())
            .form("day", day.format("%Y-%m-%d").to_string());
        let r = self.client.send_large(req).await?;
        match r.data()? {
            None => Ok(Parsed::default()),
            Some(d) => r.wrap(parse_running_sheet(d, day, self.client.row_policy())),
        }
    }

    /// `getuserexp`: booked and used hours per user and system.
    pub async fn experience(&self, filter: &ExperienceFilter) -> Result<Parsed<Experience>, Error> {
        let req = read("getuserexp")
            .form_opt("login", filter.login.clone())
            .form_opt("id", filter.system.map(|s| s.to_string()));
        let r = if filter.login.is_none() && filter.system.is_none() {
            self.client.send_large(req).await?
        } else {
            self.client.send(req).await?
        };
        r.table(self.client.row_policy())
    }
}
