//! Whole-response cache of anonymous catalog reads, valid exactly as long as the read models
//! they came from are unchanged.
//!
//! A storefront asks the same few catalog documents over and over (the listing page, a
//! product's page), and answering one costs hundreds of field resolutions for a body that only
//! changes when the catalog or inventory projection commits. So an answer to such a document is
//! kept with the **data version** it was computed at, and served again while that version holds.
//!
//! The data version is read from Postgres after each request arrives (one small statement,
//! shared by the requests that arrive while it runs: [`version`]): the
//! `projection_checkpoints` rows of `catalog` and `inventory` (offset, log epoch and the row's
//! `xmin`, which changes with every update of the row), their `projection_versions`
//! generations (a rebuild switches tables), and how many dead letters were re-driven into them
//! (a re-drive writes the read model without moving a checkpoint). Every write to those read
//! models commits in a transaction that changes one of these, so an unchanged version means
//! unchanged tables: a cached answer is never older than what a fresh execution would read.
//! An answer computed while the version moves is stored under the version read before it, which
//! nobody reads again, so it is simply never served.
//!
//! What is cached: queries whose every root field is `products`, `product`, `categories`,
//! `inventory` or `__typename`, from anonymous callers (customers and staff see more than the
//! public catalog, or may), without a consistency token (those wait for positions instead), and
//! answered without errors. The key is the document text, the operation name and the variables.
//! Bounded by `AGORA_GRAPHQL_CACHE_ENTRIES` (0 turns it off) and [`MAX_BODY_BYTES`] per answer;
//! when full, answers of older versions go first, then everything.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_graphql::{
    Request,
    parser::types::{ExecutableDocument, OperationType, Selection},
};
use axum::body::Bytes;

use crate::store::Store;

pub mod version;

/// Root fields whose answers depend only on the public catalog and inventory read models.
const CATALOG_FIELDS: [&str; 5] = [
    "products",
    "product",
    "categories",
    "inventory",
    "__typename",
];

/// The projections (and rebuild units) those fields read.
pub const CATALOG_PROJECTIONS: [&str; 2] = ["catalog", "inventory"];

/// Largest answer kept: a listing page of 100 products with variants is about 150 KiB.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// What identifies one cacheable request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    query: String,
    operation: Option<String>,
    variables: String,
}

#[derive(Debug)]
struct Entry {
    version: Arc<str>,
    body: Bytes,
}

/// The cache, shared by every request of the process (clones share it).
#[derive(Debug, Clone)]
pub struct ResponseCache {
    entries: Arc<Mutex<HashMap<CacheKey, Entry>>>,
    capacity: usize,
    versions: version::SharedReads,
}

impl ResponseCache {
    /// A cache of at most `capacity` answers; 0 caches nothing.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Arc::default(),
            capacity,
            versions: version::SharedReads::default(),
        }
    }

    /// The key of `request`, whatever it asks, when the cache is on (the caller checks that it
    /// comes from an anonymous caller without a consistency token).
    pub fn key_of(&self, request: &Request) -> Option<CacheKey> {
        if self.capacity == 0 {
            return None;
        }
        Some(CacheKey {
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        })
    }

    /// Whether an answer to `key` is kept (at any version): its document was a catalog read
    /// that passed the gate, so a current answer can be served without parsing it again.
    pub fn knows(&self, key: &CacheKey) -> bool {
        self.lock().contains_key(key)
    }

    /// Whether `request` (already parsed by the gate) reads only catalog fields.
    pub fn is_catalog_read(&self, request: &mut Request) -> bool {
        request.parsed_query().is_ok_and(only_catalog_fields)
    }

    /// The catalog's data version as it stands after this call, read with the requests that
    /// arrive while a read runs ([`version::SharedReads`]).
    pub async fn data_version(&self, store: &Store) -> version::Outcome {
        let store = store.clone();
        self.versions
            .after_now(move || async move {
                store
                    .data_version(&CATALOG_PROJECTIONS)
                    .await
                    .map_err(|error| error.to_string())
            })
            .await
    }

    /// The answer kept for `key` at data version `version`, if any.
    pub fn get(&self, key: &CacheKey, version: &str) -> Option<Bytes> {
        let entries = self.lock();
        let entry = entries.get(key)?;
        (*entry.version == *version).then(|| entry.body.clone())
    }

    /// Keeps `body` as the answer to `key` at `version`.
    pub fn put(&self, key: CacheKey, version: &str, body: Bytes) {
        if self.capacity == 0 || body.len() > MAX_BODY_BYTES {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, entry| *entry.version == *version);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        let version: Arc<str> = Arc::from(version);
        entries.insert(key, Entry { version, body });
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no answer is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Entry>> {
        // A poisoned map only means a request panicked while holding it; entries stay whole.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether every operation of `document` is a query selecting only catalog fields at its root
/// (fragments at the root are not looked into: such documents are simply not cached).
fn only_catalog_fields(document: &ExecutableDocument) -> bool {
    document.operations.iter().all(|(_, operation)| {
        operation.node.ty == OperationType::Query
            && operation
                .node
                .selection_set
                .node
                .items
                .iter()
                .all(|item| match &item.node {
                    Selection::Field(field) => {
                        CATALOG_FIELDS.contains(&field.node.name.node.as_str())
                    }
                    Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
                })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    fn key(query: &str) -> Option<CacheKey> {
        let mut request = Request::new(query);
        let cache = ResponseCache::new(4);
        cache
            .is_catalog_read(&mut request)
            .then(|| cache.key_of(&request))
            .flatten()
    }

    #[test]
    fn only_queries_of_catalog_fields_are_cacheable() {
        assert!(key("{ products(first: 2) { edges { node { name } } } }").is_some());
        assert!(key("query P { product(slug: \"a\") { name } categories { name } }").is_some());
        assert!(key("{ products(first: 2) { totalCount } me { id } }").is_none());
        assert!(key("{ cart(token: \"x\") { id } }").is_none());
        assert!(key("{ ...Root } fragment Root on Query { products { totalCount } }").is_none());
        assert!(key("subscription { orders { id } }").is_none());
        let request = Request::new("{ products { totalCount } }");
        assert!(ResponseCache::new(0).key_of(&request).is_none());
    }

    #[test]
    fn variables_and_operation_names_are_part_of_the_key() {
        let first = Request::new("query P($n: Int) { products(first: $n) { totalCount } }")
            .variables(async_graphql::Variables::from_json(
                serde_json::json!({ "n": 1 }),
            ));
        let second = Request::new("query P($n: Int) { products(first: $n) { totalCount } }")
            .variables(async_graphql::Variables::from_json(
                serde_json::json!({ "n": 2 }),
            ));
        let cache = ResponseCache::new(4);
        assert_ne!(cache.key_of(&first), cache.key_of(&second));
    }

    #[test]
    fn an_answer_is_served_only_at_the_version_it_was_computed_at() {
        let cache = ResponseCache::new(4);
        let key = key("{ products { totalCount } }").unwrap();
        cache.put(key.clone(), "v1", Bytes::from_static(b"{\"data\":1}"));
        assert_eq!(
            cache.get(&key, "v1").unwrap(),
            Bytes::from_static(b"{\"data\":1}")
        );
        assert!(cache.get(&key, "v2").is_none());
        cache.put(key.clone(), "v2", Bytes::from_static(b"{\"data\":2}"));
        assert!(cache.get(&key, "v1").is_none());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_full_cache_drops_older_versions_first_and_never_grows_past_its_bound() {
        let cache = ResponseCache::new(2);
        let keys: Vec<CacheKey> = (1..=4)
            .map(|n| key(&format!("{{ products(first: {n}) {{ totalCount }} }}")).unwrap())
            .collect();
        cache.put(keys[0].clone(), "old", Bytes::from_static(b"0"));
        cache.put(keys[1].clone(), "new", Bytes::from_static(b"1"));
        cache.put(keys[2].clone(), "new", Bytes::from_static(b"2"));
        assert!(cache.get(&keys[0], "old").is_none());
        assert!(cache.get(&keys[1], "new").is_some());
        assert!(cache.get(&keys[2], "new").is_some());
        cache.put(keys[3].clone(), "new", Bytes::from_static(b"3"));
        assert!(cache.len() <= 2);
        assert!(cache.get(&keys[3], "new").is_some());
        let big = Bytes::from(vec![b' '; MAX_BODY_BYTES + 1]);
        cache.put(keys[0].clone(), "new", big);
        assert!(cache.get(&keys[0], "new").is_none());
    }
}
