//! Articles (products): Dutch `artikels`, path `artikels/`.

use crate::Client;
use crate::endpoints;
use crate::error::Result;
use crate::model::{Article, ArticleId};

/// Calls on articles (products), Dutch `artikels` (path `artikels/`). Obtained from
/// [`Client::articles`].
///
/// Needs the company-token right "see all products"; without it the calls fail with
/// [`Error::Unauthorized`](crate::Error::Unauthorized) naming `artikels` (CS-Q12).
#[derive(Debug, Clone, Copy)]
#[doc(alias = "artikels")]
pub struct Articles<'a> {
    pub(crate) client: &'a Client,
}

impl Articles<'_> {
    /// E1 `GET artikels/`: every article of the token's company, in one request (there are no
    /// paging parameters, CS-Q07; a `next` link would be followed on the same origin).
    ///
    /// To find an article by SKU, list and match [`Article::sku`] exactly (there is no
    /// server-side filter other than `id`); cache the list.
    pub async fn list(&self) -> Result<Vec<Article>> {
        self.client.fetch_all(endpoints::list_articles()).await
    }

    /// E2 `GET artikels/?id={id}`: one article. This is a filter on the list endpoint
    /// (CS-Q06): the element whose `id` matches is returned (a lone element without `id` is
    /// accepted), and an empty or non-matching `data` is
    /// [`Error::NotFound`](crate::Error::NotFound). The server returns an article only if it
    /// belongs to the token's company.
    pub async fn get(&self, id: impl Into<ArticleId>) -> Result<Article> {
        let id = id.into().get();
        self.client
            .fetch_by_id(endpoints::get_article(id), id, |a: &Article| {
                a.id.map(ArticleId::get)
            })
            .await
    }
}

/// Finds an article by exact, case-sensitive `SKU` in a list returned by [`Articles::list`]
/// (the API has no SKU filter; list once per tenant and cache, vendor reference §8).
#[doc(alias = "find_artikel_by_sku")]
pub fn find_article_by_sku<'a>(articles: &'a [Article], sku: &str) -> Option<&'a Article> {
    articles.iter().find(|a| a.sku.as_deref() == Some(sku))
}
