//! `categories`: the category tree with product counts.
//!
//! A product has one category, a text field. Categories are read as `/`-separated paths
//! (`shoes/trail` sits under `shoes`), so a catalog that uses paths gets a tree and one that
//! uses plain names (as the demo catalog does today) gets a flat list of roots. A node's count
//! includes its subcategories, matching the `category` filter of `products`.

use std::collections::BTreeMap;

use async_graphql::{Context, Object, SimpleObject};

use super::{store, viewer};
use crate::{
    consistency::{self, Projection},
    viewer::Viewer,
};

/// Category queries.
#[derive(Default)]
pub struct CategoriesQuery;

/// Category queries.
#[Object]
impl CategoriesQuery {
    /// Top-level categories with their subcategories, by name, counting the products the
    /// caller may list (published ones without the staff role).
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        consistency::wait_for(ctx, &[Projection::Catalog]).await?;
        let statuses = viewer(ctx).map(|v: Viewer| v.listed_statuses(None))??;
        let counts = store(ctx)?.category_counts(&statuses).await?;
        Ok(tree(counts))
    }
}

/// A category and what lies below it.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct Category {
    /// Last segment of the path, e.g. `trail`.
    pub name: String,
    /// The full path, as `products(filter: {category})` takes it, e.g. `shoes/trail`.
    pub path: String,
    /// Products in this category and its subcategories.
    pub product_count: i64,
    /// Subcategories, by name.
    pub children: Vec<Category>,
}

/// A node while the tree is built.
#[derive(Default)]
struct Node {
    count: i64,
    children: BTreeMap<String, Node>,
}

/// Builds the tree from per-category counts (paths in any order; empty segments skipped).
fn tree(counts: Vec<(String, i64)>) -> Vec<Category> {
    let mut root = Node::default();
    for (path, count) in counts {
        let mut node = &mut root;
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            node = node.children.entry(segment.to_string()).or_default();
            node.count += count;
        }
    }
    categories(root.children, "")
}

fn categories(children: BTreeMap<String, Node>, parent: &str) -> Vec<Category> {
    children
        .into_iter()
        .map(|(name, node)| {
            let path = if parent.is_empty() {
                name.clone()
            } else {
                format!("{parent}/{name}")
            };
            Category {
                children: categories(node.children, &path),
                name,
                path,
                product_count: node.count,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_a_tree_whose_counts_include_subcategories() {
        let tree = tree(vec![
            ("shoes/trail".to_string(), 2),
            ("apparel".to_string(), 3),
            ("shoes".to_string(), 1),
            ("shoes/road/racing".to_string(), 4),
        ]);
        let names: Vec<(&str, i64)> = tree
            .iter()
            .map(|c| (c.path.as_str(), c.product_count))
            .collect();
        assert_eq!(names, vec![("apparel", 3), ("shoes", 7)]);
        let shoes = &tree[1].children;
        assert_eq!(shoes[0].path, "shoes/road");
        assert_eq!(shoes[0].product_count, 4);
        assert_eq!(shoes[0].children[0].name, "racing");
        assert_eq!(shoes[1].path, "shoes/trail");
        assert!(tree[0].children.is_empty());
    }
}
