//! Relay-style connections (<https://relay.dev/graphql/connections.htm>), forward only.
//!
//! Cursors are opaque to clients: base64url of a small JSON key (async-graphql's
//! `OpaqueCursor`). Pages use keyset pagination on that key, so rows inserted while a client
//! pages never shift or repeat what it sees. `first` defaults to [`DEFAULT_PAGE_SIZE`] and
//! may not exceed [`MAX_PAGE_SIZE`].

use async_graphql::{
    SimpleObject,
    connection::{CursorType, OpaqueCursor},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::QueryError;

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// Largest `first` a client may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;

/// Checks `first` and returns the page size.
pub fn page_size(first: Option<i32>) -> Result<usize, QueryError> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    match usize::try_from(first) {
        Ok(size) if first <= MAX_PAGE_SIZE => Ok(size),
        _ => Err(QueryError::BadUserInput(format!(
            "`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}"
        ))),
    }
}

/// Complexity of a connection field: its children, once per row of the largest page it may
/// return (used by the schema's complexity limit, before `first` is validated).
pub fn connection_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let rows = first
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE)
        .unsigned_abs() as usize;
    rows.saturating_mul(child_complexity)
}

/// Encodes a listing key as an opaque cursor.
pub fn encode_cursor<K: Serialize + DeserializeOwned + Clone>(key: &K) -> String {
    OpaqueCursor(key.clone()).encode_cursor()
}

/// Decodes a cursor this service made; anything else is the caller's mistake.
pub fn decode_cursor<K: Serialize + DeserializeOwned>(cursor: &str) -> Result<K, QueryError> {
    OpaqueCursor::<K>::decode_cursor(cursor)
        .map(|decoded| decoded.0)
        .map_err(|_| invalid_cursor())
}

/// The error for a cursor that does not belong to the query it was sent with.
pub fn invalid_cursor() -> QueryError {
    QueryError::BadUserInput("`after` is not a cursor returned by this query".to_string())
}

/// Rows of one page and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<R> {
    /// At most the page size rows.
    pub rows: Vec<R>,
    /// Whether rows exist after the last one.
    pub has_next_page: bool,
}

impl<R> Page<R> {
    /// Cuts rows fetched with `LIMIT size + 1` down to `size`; the extra row only says that
    /// another page exists.
    pub fn from_overfetch(mut rows: Vec<R>, size: usize) -> Self {
        let has_next_page = rows.len() > size;
        rows.truncate(size);
        Self {
            rows,
            has_next_page,
        }
    }
}

/// Where a page sits in its connection.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct PageInfo {
    /// Whether more rows follow `endCursor`.
    pub has_next_page: bool,
    /// Always false: pagination is forward only (`first`/`after`), and Relay allows false when
    /// the answer is not cheap to know.
    pub has_previous_page: bool,
    /// Cursor of the first edge, if any.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge, if any; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// Page info for a page whose edges have these cursors.
    pub fn new(cursors: &[String], has_next_page: bool) -> Self {
        Self {
            has_next_page,
            has_previous_page: false,
            start_cursor: cursors.first().cloned(),
            end_cursor: cursors.last().cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::products::ProductKey;

    #[test]
    fn page_size_defaults_to_twenty_and_refuses_more_than_a_hundred() {
        assert_eq!(page_size(None).ok(), Some(20));
        assert_eq!(page_size(Some(100)).ok(), Some(100));
        assert_eq!(page_size(Some(0)).ok(), Some(0));
        assert!(matches!(
            page_size(Some(101)),
            Err(QueryError::BadUserInput(_))
        ));
        assert!(matches!(
            page_size(Some(-1)),
            Err(QueryError::BadUserInput(_))
        ));
    }

    #[test]
    fn cursors_round_trip_and_reject_foreign_strings() {
        let key = ProductKey {
            rank: Some(0.0607927),
            name: "Wool scarf".into(),
            id: uuid::Uuid::from_u128(7),
            order: None,
            price: None,
            created: None,
        };
        let cursor = encode_cursor(&key);
        assert_eq!(decode_cursor::<ProductKey>(&cursor).ok(), Some(key));
        assert!(decode_cursor::<ProductKey>("not a cursor").is_err());
        assert!(decode_cursor::<ProductKey>(&encode_cursor(&42u32)).is_err());
    }

    #[test]
    fn an_overfetched_row_becomes_has_next_page() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2);
        assert_eq!(page.rows, vec![1, 2]);
        assert!(page.has_next_page);
        let last = Page::from_overfetch(vec![1, 2], 2);
        assert!(!last.has_next_page);
    }
}
