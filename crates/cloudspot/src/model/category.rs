//! Product categories: [`Category`], a recursive tree node.

use serde::{Deserialize, Serialize};

use super::CategoryId;
use crate::de;

/// A product category, Dutch `categorie`: returned by `categories/` and the element type of
/// [`Article::categories`](crate::model::Article::categories).
///
/// The tree is nested through [`children`](Self::children) (CS-Q21). The flat parent pointer
/// of wrapper 0.10.0 (`hoofdcategorie`, `hoofdcategorie_id`) is not modelled; such keys are
/// ignored like any other unknown key and the node parses with no children.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[doc(alias = "categorie")]
pub struct Category {
    /// `id`: category id; `categories/?id=` filters on it.
    #[serde(rename = "id", default, deserialize_with = "de::opt_id")]
    pub id: Option<CategoryId>,
    /// `naam` ("name"): category name.
    #[doc(alias = "naam")]
    #[serde(rename = "naam", default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// `children`: sub-categories; empty for a leaf (missing or `null` on the wire).
    #[serde(rename = "children", default, deserialize_with = "de::vec_or_null")]
    pub children: Vec<Category>,
}

impl Category {
    /// True when the node has no children.
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }

    /// Depth-first pre-order walk over this node and all descendants, with each node's
    /// depth (0 for `self`).
    pub fn walk(&self) -> Vec<(usize, &Category)> {
        let mut out = Vec::new();
        let mut stack = vec![(0usize, self)];
        while let Some((depth, node)) = stack.pop() {
            out.push((depth, node));
            for child in node.children.iter().rev() {
                stack.push((depth + 1, child));
            }
        }
        out
    }

    /// Finds a node by id in this subtree.
    pub fn find(&self, id: CategoryId) -> Option<&Category> {
        self.walk()
            .into_iter()
            .map(|(_, c)| c)
            .find(|c| c.id == Some(id))
    }
}
