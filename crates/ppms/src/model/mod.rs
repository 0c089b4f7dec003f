//! Typed models of PUMAPI and API2 answers, and the typed parameters of write actions.
//!
//! Models follow the wire: columns are read by header name, unknown columns are kept in an
//! `extra` map (PPMS-Q15), text is entity-decoded (PPMS-Q21), and the structs are
//! `#[non_exhaustive]` so that new fields can be added without breaking callers.

mod api2;
mod bookings;
mod experience;
mod groups;
mod ids;
mod invoices;
mod orders;
mod projects;
mod systems;
mod users;

pub use api2::{Api2Account, Api2Group, Api2Session, Api2User, ReportId, Reports};
pub use bookings::{
    CurrentBooking, FullNameIndex, RunningSheetEntry, UpcomingBooking, parse_running_sheet,
};
pub use experience::Experience;
pub use groups::{Group, GroupParams};
pub use ids::{
    CoreFacilityId, InvoiceId, InvoiceRef, Login, OrderRef, ProjectId, ServiceId, SystemId,
    UnitLogin,
};
pub use invoices::{
    InvoiceAccountTotal, InvoiceDetails, InvoiceTracking, InvoiceTrackingFilter, invoice_date,
};
pub use orders::{
    CompletionDate, InitialOrderState, NewOrder, Order, OrderLine, PriceListEntry, Service,
    check_marker, marker_in,
};
pub use projects::{BillingCode, Project, parse_split_code};
pub use systems::{
    Right, RightType, System, SystemRight, SystemRightsExt, UserRight, resolve_system,
    systems_matching,
};
pub use users::{ActiveFilter, AuthOutcome, AuthRefusal, User, UserParams};

/// The outcome of matching a name against candidates (PPMS-Q27, PPMS-Q28): ambiguity is
/// reported, never guessed away.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum Resolution<T> {
    /// No candidate matched.
    NotFound,
    /// Exactly one candidate matched.
    Unique(T),
    /// Several candidates matched; all of them, in input order.
    Ambiguous(Vec<T>),
}

impl<T> Default for Resolution<T> {
    /// [`Resolution::NotFound`].
    fn default() -> Self {
        Self::NotFound
    }
}

impl<T> Resolution<T> {
    /// Builds a resolution from every match.
    pub fn from_matches(mut matches: Vec<T>) -> Self {
        match matches.len() {
            0 => Self::NotFound,
            1 => matches.pop().map_or(Self::NotFound, Self::Unique),
            _ => Self::Ambiguous(matches),
        }
    }

    /// The single match, if there is exactly one.
    pub fn unique(self) -> Option<T> {
        match self {
            Self::Unique(t) => Some(t),
            _ => None,
        }
    }

    /// Every match (zero, one or several).
    pub fn candidates(&self) -> &[T] {
        match self {
            Self::NotFound => &[],
            Self::Unique(t) => std::slice::from_ref(t),
            Self::Ambiguous(v) => v,
        }
    }
}
