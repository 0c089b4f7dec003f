//! Product categories: `categories/` (English path, CS-Q11).

use crate::Client;
use crate::endpoints;
use crate::error::Result;
use crate::model::{Category, CategoryId};

/// Calls on product categories (Dutch `categorieen`). Obtained from [`Client::categories`].
///
/// The path is the English `categories/` although the model key is the Dutch `categorieen`
/// (CS-Q11). Whether the list holds only root nodes or every node is undocumented; walk the
/// tree with [`Category::walk`].
#[derive(Debug, Clone, Copy)]
#[doc(alias = "categorieen")]
pub struct Categories<'a> {
    pub(crate) client: &'a Client,
}

impl Categories<'_> {
    /// E4 `GET categories/`: the category tree(s).
    pub async fn list(&self) -> Result<Vec<Category>> {
        self.client.fetch_all(endpoints::list_categories()).await
    }

    /// E5 `GET categories/?id={id}`: one category, a filter on the list endpoint (CS-Q06);
    /// no matching element is [`Error::NotFound`](crate::Error::NotFound).
    pub async fn get(&self, id: impl Into<CategoryId>) -> Result<Category> {
        let id = id.into().get();
        self.client
            .fetch_by_id(endpoints::get_category(id), id, |c: &Category| {
                c.id.map(CategoryId::get)
            })
            .await
    }
}
