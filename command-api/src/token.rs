//! Consistency tokens: where a client's writes landed, so reads can wait for them.
//!
//! Format: `v1.<log_epoch>.<p>:<offset>[,<p>:<offset>…]`. A reader that has passed every listed
//! offset (in the same log epoch) has seen the writes. Tokens from another log epoch are void.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::wire::LogPosition;

/// Encodes positions as a token, keeping the highest offset per partition.
pub fn encode(log_epoch: Uuid, positions: &[LogPosition]) -> String {
    let mut highest: BTreeMap<i32, i64> = BTreeMap::new();
    for position in positions {
        let entry = highest.entry(position.partition).or_insert(position.offset);
        *entry = (*entry).max(position.offset);
    }
    let list: Vec<String> = highest.iter().map(|(p, o)| format!("{p}:{o}")).collect();
    format!("v1.{log_epoch}.{}", list.join(","))
}

/// Decodes a token into its log epoch and positions.
pub fn decode(token: &str) -> Option<(Uuid, Vec<LogPosition>)> {
    let rest = token.strip_prefix("v1.")?;
    let (epoch, list) = rest.split_once('.')?;
    let epoch = epoch.parse().ok()?;
    let positions = list
        .split(',')
        .map(|pair| {
            let (p, o) = pair.split_once(':')?;
            Some(LogPosition {
                partition: p.parse().ok()?,
                offset: o.parse().ok()?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((epoch, positions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_keeps_the_highest_offset_per_partition() {
        let epoch = Uuid::from_u128(7);
        let token = encode(
            epoch,
            &[
                LogPosition {
                    partition: 1,
                    offset: 5,
                },
                LogPosition {
                    partition: 0,
                    offset: 9,
                },
                LogPosition {
                    partition: 1,
                    offset: 3,
                },
            ],
        );
        assert_eq!(token, format!("v1.{epoch}.0:9,1:5"));
        let (decoded_epoch, positions) = decode(&token).unwrap();
        assert_eq!(decoded_epoch, epoch);
        assert_eq!(positions.len(), 2);
    }

    #[test]
    fn a_garbled_token_is_refused() {
        assert!(decode("v2.x.0:1").is_none());
        assert!(decode("v1.not-a-uuid.0:1").is_none());
    }
}
