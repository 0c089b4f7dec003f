//! Integer id newtypes. Each reads a JSON integer or a numeric string and writes an integer.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// Read from a JSON integer or a numeric string (`125` and `"125"` are the same id);
        /// written back as a JSON integer. Converts from `i64` (so every call taking
        /// `impl Into<..>` takes a plain integer), parses with `FromStr` and prints with
        /// `Display`.
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

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            /// Parses the decimal integer (`"125".parse::<ArticleId>()`).
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
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
    /// Id of an article (product), JSON key `id` on [`Article`](crate::model::Article).
    /// Dutch `artikel id`.
    #[doc(alias = "ArtikelId")]
    ArticleId
);
id_type!(
    /// Id of a brand (Dutch `merk`), JSON key `merk_id` on [`Article`](crate::model::Article).
    #[doc(alias = "merk_id")]
    #[doc(alias = "MerkId")]
    BrandId
);
id_type!(
    /// Id of a category, JSON key `id` on [`Category`](crate::model::Category) and
    /// `categorie_id` on [`Article`](crate::model::Article).
    #[doc(alias = "categorie_id")]
    #[doc(alias = "CategorieId")]
    CategoryId
);
id_type!(
    /// Customer number, JSON key `klantennummer` on [`Customer`](crate::model::Customer): the
    /// record key of a customer, which has no `id` (CS-Q16).
    #[doc(alias = "klantennummer")]
    #[doc(alias = "Klantennummer")]
    CustomerNumber
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_parse_and_print_their_integer() {
        let id: ArticleId = "125".parse().unwrap();
        assert_eq!(id, ArticleId::from(125));
        assert_eq!(id.to_string(), "125");
        assert_eq!("7".parse::<CategoryId>().unwrap().get(), 7);
        assert!("x".parse::<CustomerNumber>().is_err());
        assert!("".parse::<BrandId>().is_err());
    }
}
