//! Parsing the consistency token a command returned: `v1.<log_epoch>.<p>:<offset>[,<p>:<offset>…]`.
//!
//! The write side (`command-api/src/token.rs`) owns the format; services share no code but
//! `domain`, `schemas` and `runtime`, and the parser is a few lines, so the read side keeps its
//! own, stricter one (it reports *why* a token is refused).

use std::{collections::BTreeMap, str::FromStr};

use uuid::Uuid;

/// Where a client's writes landed: the log they belong to and, per events partition, the
/// offset of the last of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyToken {
    /// The log epoch the offsets belong to; offsets of another epoch mean nothing.
    pub log_epoch: Uuid,
    /// Highest offset per partition (a partition listed twice keeps its highest offset).
    pub positions: BTreeMap<i32, i64>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not `v1.`: written by a newer or unrelated client.
    #[error("unsupported consistency token version (expected `v1.`)")]
    Version,
    /// The log epoch is not a UUID.
    #[error("the log epoch of the consistency token is not a UUID")]
    Epoch,
    /// A position is not `<partition>:<offset>` with non-negative integers.
    #[error("consistency token position {0:?} is not `<partition>:<offset>`")]
    Position(String),
    /// No positions at all.
    #[error("the consistency token lists no positions")]
    Empty,
}

impl FromStr for ConsistencyToken {
    type Err = TokenError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rest = text.trim().strip_prefix("v1.").ok_or(TokenError::Version)?;
        let (epoch, list) = rest.split_once('.').ok_or(TokenError::Epoch)?;
        let log_epoch = Uuid::parse_str(epoch).map_err(|_| TokenError::Epoch)?;
        let mut positions = BTreeMap::new();
        for pair in list.split(',').filter(|pair| !pair.is_empty()) {
            let position = || TokenError::Position(pair.to_string());
            let (partition, offset) = pair.split_once(':').ok_or_else(position)?;
            let partition: i32 = partition.parse().map_err(|_| position())?;
            let offset: i64 = offset.parse().map_err(|_| position())?;
            if partition < 0 || offset < 0 {
                return Err(position());
            }
            let highest = positions.entry(partition).or_insert(offset);
            *highest = (*highest).max(offset);
        }
        if positions.is_empty() {
            return Err(TokenError::Empty);
        }
        Ok(Self {
            log_epoch,
            positions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPOCH: &str = "0191d5a2-7c3e-7b1a-9f00-000000000007";

    #[test]
    fn a_token_yields_its_epoch_and_the_highest_offset_per_partition() {
        let token: ConsistencyToken = format!("v1.{EPOCH}.0:9,3:5,3:2").parse().unwrap();
        assert_eq!(token.log_epoch, Uuid::parse_str(EPOCH).unwrap());
        assert_eq!(token.positions, BTreeMap::from([(0, 9), (3, 5)]));
    }

    #[test]
    fn malformed_tokens_are_refused_with_the_reason() {
        let cases = [
            ("v2.x.0:1".to_string(), TokenError::Version),
            ("".to_string(), TokenError::Version),
            ("v1.not-a-uuid.0:1".to_string(), TokenError::Epoch),
            (format!("v1.{EPOCH}"), TokenError::Epoch),
            (format!("v1.{EPOCH}."), TokenError::Empty),
            (
                format!("v1.{EPOCH}.0:1,x"),
                TokenError::Position("x".to_string()),
            ),
            (
                format!("v1.{EPOCH}.-1:4"),
                TokenError::Position("-1:4".to_string()),
            ),
            (
                format!("v1.{EPOCH}.0:four"),
                TokenError::Position("0:four".to_string()),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<ConsistencyToken>(), Err(expected), "{text}");
        }
    }
}
