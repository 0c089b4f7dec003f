//! Articles (products, Dutch `artikel`): [`Article`] and its nested types.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{ArticleId, ArticleStatus, BrandId, Category, CategoryId, OrderType, StockTracking};
use crate::de;

/// An article (product), Dutch `artikel`, as returned by `artikels/` (28 keys as of wrapper
/// 1.1.0).
///
/// Every field is optional (CS-Q04): a scalar is `None` when the key is missing or `null`,
/// a list is empty when the key is missing or `null`. Unknown keys are ignored (CS-Q05).
/// Each field's docs name the exact (case-sensitive) Dutch wire key; serialising writes the
/// same keys back (CS-Q01, CS-Q02).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[doc(alias = "artikel")]
#[doc(alias = "product")]
pub struct Article {
    /// `id`: product id. [`Articles::get`](crate::Articles::get) filters on it.
    #[serde(rename = "id", default, deserialize_with = "de::opt_id")]
    pub id: Option<ArticleId>,
    /// `naam` ("name"): product name.
    #[doc(alias = "naam")]
    #[serde(rename = "naam", default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// `beschrijving` ("description"): long description.
    #[doc(alias = "beschrijving")]
    #[serde(rename = "beschrijving", default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// `interne_notitie` ("internal note"): note not meant for customers.
    #[doc(alias = "interne_notitie")]
    #[serde(
        rename = "interne_notitie",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub internal_note: Option<String>,
    /// `merk` ("brand"): brand name.
    #[doc(alias = "merk")]
    #[serde(rename = "merk", default, deserialize_with = "de::opt_string")]
    pub brand: Option<String>,
    /// `merk_id` ("brand id"): id of the brand.
    #[doc(alias = "merk_id")]
    #[serde(rename = "merk_id", default, deserialize_with = "de::opt_id")]
    pub brand_id: Option<BrandId>,
    /// `categorie` ("category"): name of the product's main category.
    #[doc(alias = "categorie")]
    #[serde(rename = "categorie", default, deserialize_with = "de::opt_string")]
    pub category: Option<String>,
    /// `categorie_id` ("category id"): id of the product's main category.
    #[doc(alias = "categorie_id")]
    #[serde(rename = "categorie_id", default, deserialize_with = "de::opt_id")]
    pub category_id: Option<CategoryId>,
    /// `categorieen` ("categories"): all categories of the product, each a tree node.
    #[doc(alias = "categorieen")]
    #[serde(rename = "categorieen", default, deserialize_with = "de::vec_or_null")]
    pub categories: Vec<Category>,
    /// `SKU`: stock-keeping unit. The key is upper case and matched exactly (CS-Q02).
    #[doc(alias = "SKU")]
    #[serde(rename = "SKU", default, deserialize_with = "de::opt_string")]
    pub sku: Option<String>,
    /// `voorraad_bijhouden` ("keep track of stock"): how stock is tracked.
    #[doc(alias = "voorraad_bijhouden")]
    #[serde(rename = "voorraad_bijhouden", default)]
    pub stock_tracking: Option<StockTracking>,
    /// `op_voorraad` ("in stock"): units in stock; meaningful only when
    /// `voorraad_bijhouden` is `FYSIEK`. Number or numeric string (CS-Q03).
    #[doc(alias = "op_voorraad")]
    #[serde(rename = "op_voorraad", default, deserialize_with = "de::opt_decimal")]
    pub stock: Option<Decimal>,
    /// `product_url`: external URL with product information, kept as text (not validated).
    #[serde(rename = "product_url", default, deserialize_with = "de::opt_string")]
    pub product_url: Option<String>,
    /// `verkoopprijs_excl` ("sales price excl."): sales price excluding VAT (CS-Q03).
    #[doc(alias = "verkoopprijs_excl")]
    #[serde(
        rename = "verkoopprijs_excl",
        default,
        deserialize_with = "de::opt_decimal"
    )]
    pub sales_price_excl_vat: Option<Decimal>,
    /// `verkoopprijs_incl` ("sales price incl."): sales price including VAT (CS-Q03).
    #[doc(alias = "verkoopprijs_incl")]
    #[serde(
        rename = "verkoopprijs_incl",
        default,
        deserialize_with = "de::opt_decimal"
    )]
    pub sales_price_incl_vat: Option<Decimal>,
    /// `inkoopprijs_excl` ("purchase price excl."): purchase price excluding VAT (CS-Q03).
    #[doc(alias = "inkoopprijs_excl")]
    #[serde(
        rename = "inkoopprijs_excl",
        default,
        deserialize_with = "de::opt_decimal"
    )]
    pub purchase_price_excl_vat: Option<Decimal>,
    /// `inkoopprijs_incl` ("purchase price incl."): purchase price including VAT (CS-Q03).
    #[doc(alias = "inkoopprijs_incl")]
    #[serde(
        rename = "inkoopprijs_incl",
        default,
        deserialize_with = "de::opt_decimal"
    )]
    pub purchase_price_incl_vat: Option<Decimal>,
    /// `bestellingtype` ("order type"): ordering mode.
    #[doc(alias = "bestellingtype")]
    #[serde(rename = "bestellingtype", default)]
    pub order_type: Option<OrderType>,
    /// `units_per_bestelling` ("units per order"): minimum number of units per order placed
    /// with the supplier (CS-Q03).
    #[doc(alias = "units_per_bestelling")]
    #[serde(
        rename = "units_per_bestelling",
        default,
        deserialize_with = "de::opt_decimal"
    )]
    pub units_per_order: Option<Decimal>,
    /// `BTW` ("VAT"): VAT rate as a percentage, passed through unchanged (whether 21 %
    /// arrives as `21` or `0.21` is undocumented). Upper-case key (CS-Q02, CS-Q03).
    #[doc(alias = "BTW")]
    #[serde(rename = "BTW", default, deserialize_with = "de::opt_decimal")]
    pub vat_rate: Option<Decimal>,
    /// `status`: sales status.
    #[serde(rename = "status", default)]
    pub status: Option<ArticleStatus>,
    /// `fotos` ("photos"): product photos.
    #[doc(alias = "fotos")]
    #[serde(rename = "fotos", default, deserialize_with = "de::vec_or_null")]
    pub photos: Vec<Photo>,
    /// `prijscategorieen` ("price categories"): price tiers.
    #[doc(alias = "prijscategorieen")]
    #[serde(
        rename = "prijscategorieen",
        default,
        deserialize_with = "de::vec_or_null"
    )]
    pub price_categories: Vec<PriceCategory>,
    /// `EAN`: EAN barcodes; element type undocumented (CS-Q18). Upper-case key (CS-Q02).
    #[doc(alias = "EAN")]
    #[serde(rename = "EAN", default, deserialize_with = "de::vec_or_null")]
    pub ean: Vec<Ean>,
    /// `samenstellingen` ("compositions"): composition, one entry per language.
    #[doc(alias = "samenstellingen")]
    #[serde(
        rename = "samenstellingen",
        default,
        deserialize_with = "de::vec_or_null"
    )]
    pub compositions: Vec<ExtraInformation>,
    /// `ruwe_grondstoffen` ("raw materials"): raw materials, one entry per language.
    #[doc(alias = "ruwe_grondstoffen")]
    #[serde(
        rename = "ruwe_grondstoffen",
        default,
        deserialize_with = "de::vec_or_null"
    )]
    pub raw_materials: Vec<ExtraInformation>,
    /// `gebruiksaanwijzingen` ("instructions for use"): one entry per language.
    #[doc(alias = "gebruiksaanwijzingen")]
    #[serde(
        rename = "gebruiksaanwijzingen",
        default,
        deserialize_with = "de::vec_or_null"
    )]
    pub usage_instructions: Vec<ExtraInformation>,
    /// `meer_info` ("more info"): more information, one entry per language.
    #[doc(alias = "meer_info")]
    #[serde(rename = "meer_info", default, deserialize_with = "de::vec_or_null")]
    pub more_info: Vec<ExtraInformation>,
}

impl Article {
    /// True when stock is tracked physically (`voorraad_bijhouden == FYSIEK`), i.e. when
    /// [`stock`](Self::stock) is meaningful.
    pub fn tracks_physical_stock(&self) -> bool {
        self.stock_tracking == Some(StockTracking::Physical)
    }

    /// The main photo (`is_hoofdfoto == true`), else the first photo.
    pub fn main_photo(&self) -> Option<&Photo> {
        self.photos
            .iter()
            .find(|f| f.is_main == Some(true))
            .or_else(|| self.photos.first())
    }
}

/// One product photo, Dutch `foto`: element of [`Article::photos`] (`fotos`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[doc(alias = "foto")]
pub struct Photo {
    /// `url`: URL of the image.
    #[serde(rename = "url", default, deserialize_with = "de::opt_string")]
    pub url: Option<String>,
    /// `is_hoofdfoto` ("is main photo"): true for the main photo.
    #[doc(alias = "is_hoofdfoto")]
    #[serde(rename = "is_hoofdfoto", default, deserialize_with = "de::opt_bool")]
    pub is_main: Option<bool>,
}

/// One price category (price tier), Dutch `prijscategorie`: element of
/// [`Article::price_categories`] (`prijscategorieen`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[doc(alias = "prijscategorie")]
pub struct PriceCategory {
    /// `label`: name of the price category.
    #[serde(rename = "label", default, deserialize_with = "de::opt_string")]
    pub label: Option<String>,
    /// `label_id`: id of the price category.
    #[serde(rename = "label_id", default, deserialize_with = "de::opt_i64")]
    pub label_id: Option<i64>,
    /// `type`: kind of tier. The values are undocumented, so it is kept as text.
    #[doc(alias = "type")]
    #[serde(rename = "type", default, deserialize_with = "de::opt_string")]
    pub kind: Option<String>,
    /// `korting` ("discount"): whether a percentage or an amount is undocumented (CS-Q03).
    #[doc(alias = "korting")]
    #[serde(rename = "korting", default, deserialize_with = "de::opt_decimal")]
    pub discount: Option<Decimal>,
    /// `verkoopprijs_excl` ("sales price excl."): price in this category excluding VAT.
    #[doc(alias = "verkoopprijs_excl")]
    #[serde(
        rename = "verkoopprijs_excl",
        default,
        deserialize_with = "de::opt_decimal"
    )]
    pub sales_price_excl_vat: Option<Decimal>,
    /// `verkoopprijs_incl` ("sales price incl."): price in this category including VAT.
    #[doc(alias = "verkoopprijs_incl")]
    #[serde(
        rename = "verkoopprijs_incl",
        default,
        deserialize_with = "de::opt_decimal"
    )]
    pub sales_price_incl_vat: Option<Decimal>,
}

/// Multi-language text: element of `samenstellingen`, `ruwe_grondstoffen`,
/// `gebruiksaanwijzingen` and `meer_info` on [`Article`] (Dutch `extra informatie`, "extra
/// information").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[doc(alias = "extra_informatie")]
#[doc(alias = "ExtraInformatie")]
pub struct ExtraInformation {
    /// `text`: the text itself.
    #[serde(rename = "text", default, deserialize_with = "de::opt_string")]
    pub text: Option<String>,
    /// `taal` ("language"): language code such as `nl` or `fr`.
    #[doc(alias = "taal")]
    #[serde(rename = "taal", default, deserialize_with = "de::opt_string")]
    pub language: Option<String>,
    /// `taal_display` ("language display"): human-readable language name.
    #[doc(alias = "taal_display")]
    #[serde(rename = "taal_display", default, deserialize_with = "de::opt_string")]
    pub language_display: Option<String>,
}

/// One element of the `EAN` list (CS-Q18), whose element type is undocumented.
///
/// A string is kept as it is. An integer becomes its decimal text: **leading zeros of such a
/// code cannot be recovered**. Any other element is kept raw and never fails the product.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ean {
    /// A barcode as text.
    Code(String),
    /// An element that is neither a string nor an integer, kept as JSON.
    Other(Value),
}

impl Ean {
    /// The barcode text, if this element is a code.
    pub fn code(&self) -> Option<&str> {
        match self {
            Ean::Code(c) => Some(c),
            Ean::Other(_) => None,
        }
    }
}

impl Serialize for Ean {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ean::Code(c) => s.serialize_str(c),
            Ean::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Ean {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => Ean::Code(s),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ean::Code(n.to_string()),
            other => Ean::Other(other),
        })
    }
}
