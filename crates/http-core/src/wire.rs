//! Enums that follow the wire: [`wire_enum!`](crate::wire_enum).
//!
//! Vendors add enum values without notice and spell known ones differently from their own
//! documentation. Every vendor crate declares its enums with this one macro, which gives each
//! enum:
//!
//! * `#[non_exhaustive]` and an `Unknown(String)` variant that keeps the raw text, so a new
//!   value never fails a decode and is written back unchanged;
//! * `from_wire` (infallible, also through `FromStr` and `From<&str>`), matching the wire text
//!   with a [`WireMatch`] rule and optional aliases;
//! * `as_str` (the canonical spelling), `Display`, `KNOWN` / `known_values()`, `is_unknown()`;
//! * serde: serialised as its wire string; deserialised from a string, and from any other JSON
//!   value as `Unknown(<its JSON text>)` instead of an error.
//!
//! ```
//! billing_http_core::wire_enum! {
//!     /// A subscription's billing term.
//!     pub enum BillingTerm (IgnoreCase) {
//!         /// Monthly.
//!         Monthly => "Monthly",
//!         /// Annual.
//!         Annual => "Annual" | "Yearly",
//!     }
//! }
//!
//! assert_eq!(BillingTerm::from_wire("monthly"), BillingTerm::Monthly);
//! assert_eq!(BillingTerm::from_wire("Yearly"), BillingTerm::Annual);
//! assert_eq!(BillingTerm::from_wire("Trial"), BillingTerm::Unknown("Trial".into()));
//! assert_eq!(BillingTerm::Annual.as_str(), "Annual");
//! ```

use std::borrow::Cow;

/// How a raw wire value is compared with the known spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireMatch {
    /// Exact comparison (surrounding white space ignored).
    Exact,
    /// ASCII case-insensitive comparison.
    IgnoreCase,
    /// Case-insensitive, with `_` and spaces treated like `-`.
    Loose,
    /// Case-insensitive on the leading word (up to the first space or parenthesis).
    LeadingWord,
}

/// The comparison key of `s` under rule `m`.
pub fn normalise(m: WireMatch, s: &str) -> Cow<'_, str> {
    let s = s.trim();
    match m {
        WireMatch::Exact => Cow::Borrowed(s),
        WireMatch::IgnoreCase => Cow::Owned(s.to_ascii_lowercase()),
        WireMatch::Loose => Cow::Owned(
            s.chars()
                .map(|c| match c {
                    '_' | ' ' => '-',
                    c => c.to_ascii_lowercase(),
                })
                .collect(),
        ),
        WireMatch::LeadingWord => Cow::Owned(
            s.split([' ', '('])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase(),
        ),
    }
}

/// An English label from a CamelCase variant name: `PendingManual` → `Pending manual`,
/// `OutOfStock` → `Out of stock`, `Api2` → `Api2`, `ISO` → `ISO`.
pub fn label_from_variant(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let starts_word = i > 0
            && c.is_uppercase()
            && (prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase)));
        if starts_word {
            out.push(' ');
        }
        // lower-case a capital that starts a new word unless it begins an acronym
        let acronym = c.is_uppercase()
            && (next.is_some_and(char::is_uppercase)
                || (next.is_none() && prev.is_some_and(char::is_uppercase)));
        if starts_word && !acronym {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Declares an enum that follows the wire. See the [module docs](crate::wire).
///
/// Syntax: `pub enum Name (Rule) { Variant => "wire" | "alias", ... }` where `Rule` is a
/// [`WireMatch`] variant. Attributes (docs, `doc(alias)`) may precede the enum and each variant.
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($mode:ident) {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know yet. The raw wire text is kept and written
            /// back unchanged.
            Unknown(::std::string::String),
        }

        impl $name {
            /// Every known canonical wire spelling, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The canonical wire spelling (the raw text for `Unknown`).
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(raw) => raw,
                }
            }

            /// A short English label for people (tables, reports): the variant's name in words
            /// (`PendingManual` → `Pending manual`), or the raw wire text for `Unknown`.
            /// `Display` prints the wire text instead, which round-trips through `FromStr`.
            pub fn label(&self) -> ::std::borrow::Cow<'_, str> {
                match self {
                    $( Self::$variant => ::std::borrow::Cow::Owned(
                        $crate::wire::label_from_variant(stringify!($variant))), )+
                    Self::Unknown(raw) => ::std::borrow::Cow::Borrowed(raw.as_str()),
                }
            }

            /// Every known canonical wire spelling (same as `KNOWN`).
            pub fn known_values() -> &'static [&'static str] {
                Self::KNOWN
            }

            /// Parses a wire value; never fails (unknown values become `Unknown`).
            pub fn from_wire(raw: &str) -> Self {
                let rule = $crate::wire::WireMatch::$mode;
                let key = $crate::wire::normalise(rule, raw);
                $(
                    if key == $crate::wire::normalise(rule, $wire)
                        $( || key == $crate::wire::normalise(rule, $alias) )*
                    {
                        return Self::$variant;
                    }
                )+
                Self::Unknown(raw.to_owned())
            }

            /// Whether this is the `Unknown` fallback.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from_wire(s))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_wire(s)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // a number or boolean where a string was expected never fails the record
                use $crate::__private::serde_json::Value;
                Ok(match <Value as $crate::__private::serde::Deserialize>::deserialize(d)? {
                    Value::String(s) => Self::from_wire(&s),
                    other => Self::Unknown(other.to_string()),
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::wire_enum! {
        /// Test enum.
        pub enum Status (Loose) {
            /// Active.
            Active => "Active",
            /// Pending manual.
            PendingManual => "PendingManual" | "pending-manual",
        }
    }

    #[test]
    fn unknown_values_round_trip_and_non_strings_never_fail() {
        assert_eq!(Status::from_wire(" active "), Status::Active);
        assert_eq!(Status::from_wire("PENDING_MANUAL"), Status::PendingManual);
        let s: Status = serde_json::from_str("\"Archived\"").expect("decodes");
        assert_eq!(s, Status::Unknown("Archived".into()));
        assert_eq!(serde_json::to_string(&s).expect("encodes"), "\"Archived\"");
        let n: Status = serde_json::from_str("7").expect("decodes");
        assert_eq!(n, Status::Unknown("7".into()));
        assert!(n.is_unknown());
        assert_eq!(Status::KNOWN, Status::known_values());
    }

    #[test]
    fn labels_are_english_words_and_unknown_keeps_its_text() {
        assert_eq!(Status::PendingManual.label(), "Pending manual");
        assert_eq!(Status::Active.label(), "Active");
        assert_eq!(Status::Unknown("ARCHIEF".into()).label(), "ARCHIEF");
        assert_eq!(super::label_from_variant("OutOfStock"), "Out of stock");
        assert_eq!(super::label_from_variant("ISO"), "ISO");
        assert_eq!(super::label_from_variant("HTTPError"), "HTTP error");
        assert_eq!(super::label_from_variant("Api2Key"), "Api2 key");
    }
}
