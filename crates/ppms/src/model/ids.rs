//! Typed ids. A numeric id cannot be built from a non-numeric string, which rules out the
//! "bad parameter reported as not authorized" case of PPMS-Q03 at compile time. Logins and
//! invoice ids are opaque strings, declared with the workspace's shared
//! [`billing_http_core::string_id!`]: every call taking one takes `impl Into<Login>` (a string
//! literal, a `String` or the typed id), as in the other vendor crates.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                Self(v)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map(Self)
            }
        }
    };
}

id!(
    /// A system (instrument) id, `System id` in `getsystems`.
    SystemId(u32)
);
id!(
    /// A core facility id (`Core facility ref`), sent as `plateformid`, `coreid` or `coreId`
    /// depending on the action (PPMS-Q30).
    CoreFacilityId(u32)
);
id!(
    /// A project id (`Project ref.`).
    ProjectId(u32)
);
id!(
    /// A service id (`Service id` in `getservices`).
    ServiceId(u32)
);
id!(
    /// The reference of an order, as returned by `createorder` (PPMS-Q42).
    OrderRef(u64)
);

billing_http_core::string_id! {
    /// A user's login (`login`), the id of a PPMS user.
    Login,
    /// A group's login (`unitlogin`), the id of a PPMS group.
    UnitLogin,
    /// An invoice id (`invoiceid`), as listed by `getinvoicelist`.
    InvoiceId,
    /// An invoice reference (`invoiceref` of `setinvtracksent`).
    InvoiceRef,
}
