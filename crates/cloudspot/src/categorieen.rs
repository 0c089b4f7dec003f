//! Product categories: `categories/` (English path, CS-Q11).

use crate::Client;
use crate::client::pick_by_id;
use crate::endpoints;
use crate::error::Result;
use crate::model::{Categorie, CategorieId};

/// Calls on product categories. Obtained from [`Client::categorieen`].
///
/// The path is the English `categories/` although the model key is the Dutch `categorieen`
/// (CS-Q11). Whether the list holds only root nodes or every node is undocumented; walk the
/// tree with [`Categorie::walk`].
#[derive(Debug, Clone, Copy)]
pub struct Categorieen<'a> {
    pub(crate) client: &'a Client,
}

impl Categorieen<'_> {
    /// E4 `GET categories/`: the category tree(s).
    pub async fn list(&self) -> Result<Vec<Categorie>> {
        self.client.fetch_all(endpoints::list_categories()).await
    }

    /// E5 `GET categories/?id={id}`: one category, a filter on the list endpoint (CS-Q06);
    /// no matching element is [`Error::NotFound`](crate::Error::NotFound).
    pub async fn get(&self, id: impl Into<CategorieId>) -> Result<Categorie> {
        let id = id.into().get();
        let items = self.client.fetch_all(endpoints::get_categorie(id)).await?;
        pick_by_id(
            items,
            id,
            |c: &Categorie| c.id.map(CategorieId::get),
            "categories",
        )
    }
}
