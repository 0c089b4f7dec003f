//! Identifier newtypes shared by the vendor crates.
//!
//! [`string_id!`](crate::string_id) declares opaque string ids: each implements `From<&str>`,
//! `From<String>`, `From<&String>`, `FromStr`, `Display`, `AsRef<str>`, `Borrow<str>` and
//! (de)serializes as a plain JSON string, so every call taking `impl Into<TheId>` also takes a
//! string literal (docs/conventions.md §5). An id is never validated or re-cased here; the
//! call that puts it into a request path percent-encodes it and refuses the dot segments.

/// Declares opaque string id newtypes (see the [module docs](crate::ids)).
///
/// ```
/// billing_http_core::string_id! {
///     /// Id of a widget.
///     WidgetId,
/// }
/// let id: WidgetId = "w-1".into();
/// assert_eq!(id.as_str(), "w-1");
/// assert_eq!(serde_json::to_string(&id).unwrap(), "\"w-1\"");
/// assert_eq!(format!("{id:?}"), "WidgetId(\"w-1\")");
/// ```
#[macro_export]
macro_rules! string_id {
    ($( $(#[$meta:meta])* $name:ident ),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Wraps a raw id string (no validation: ids are opaque).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The raw id string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the id and returns the raw string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<&$name> for $name {
            fn from(s: &$name) -> Self {
                s.clone()
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                Self(s.clone())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self(s.to_owned()))
            }
        }

        impl ::std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <String as $crate::__private::serde::Deserialize>::deserialize(deserializer)
                    .map(Self)
            }
        }
    )+};
}
