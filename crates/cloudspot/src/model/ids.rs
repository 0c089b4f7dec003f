//! Integer id newtypes. Each reads a JSON integer or a numeric string and writes an integer.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// Read from a JSON integer or a numeric string (`125` and `"125"` are the same id);
        /// written back as a JSON integer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw integer value.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::de::opt_i64(d)?
                    .map($name)
                    .ok_or_else(|| D::Error::custom(concat!("empty ", stringify!($name))))
            }
        }
    };
}

id_type!(
    /// Id of an article (product), JSON key `id` on [`Artikel`](crate::model::Artikel).
    ArtikelId
);
id_type!(
    /// Id of a brand, JSON key `merk_id` on [`Artikel`](crate::model::Artikel).
    MerkId
);
id_type!(
    /// Id of a category, JSON key `id` on [`Categorie`](crate::model::Categorie) and
    /// `categorie_id` on [`Artikel`](crate::model::Artikel).
    CategorieId
);
id_type!(
    /// Customer number, JSON key `klantennummer` on [`Klant`](crate::model::Klant): the
    /// record key of a customer, which has no `id` (CS-Q16).
    Klantennummer
);
