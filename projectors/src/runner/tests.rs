//! Unit tests of the run loop's pure parts: batch planning, stop targets, owned partitions.

use super::*;

fn item(partition: i32, offset: i64, kind: ItemKind) -> LogItem {
    LogItem {
        partition,
        offset,
        traceparent: None,
        kind,
    }
}

fn marker() -> ItemKind {
    ItemKind::Marker { owner: "p".into() }
}

fn zombie() -> ItemKind {
    ItemKind::Zombie {
        record_epoch: 0,
        current_epoch: Some(3),
    }
}

#[test]
fn a_batch_advances_each_partition_past_its_last_record() {
    let positions = HashMap::from([(0, (5, Some(1))), (2, (0, None))]);
    let batch = plan(
        vec![
            item(0, 5, zombie()),
            item(2, 0, marker()),
            item(0, 6, zombie()),
            item(2, 1, zombie()),
        ],
        &positions,
    );
    assert_eq!(
        batch.advances,
        vec![
            Advance {
                partition: 0,
                expected: 5,
                next_offset: 7,
                epoch: Some(1)
            },
            Advance {
                partition: 2,
                expected: 0,
                next_offset: 2,
                epoch: Some(0)
            },
        ]
    );
}

#[test]
fn the_epoch_after_a_batch_is_the_offset_of_its_last_marker() {
    let positions = HashMap::from([(1, (10, Some(4)))]);
    let batch = plan(
        vec![
            item(1, 10, marker()),
            item(1, 11, zombie()),
            item(1, 12, marker()),
        ],
        &positions,
    );
    assert_eq!(batch.advances[0].epoch, Some(12));
}

#[test]
fn records_past_the_stop_target_are_left_out() {
    let targets = Some(HashMap::from([(0, 2), (1, 0)]));
    let kept = within_target(
        vec![
            item(0, 1, marker()),
            item(0, 2, marker()),
            item(1, 0, marker()),
        ],
        &targets,
    );
    let kept: Vec<(i32, i64)> = kept.iter().map(|i| (i.partition, i.offset)).collect();
    assert_eq!(kept, vec![(0, 1)]);
}

#[test]
fn only_owned_partitions_are_read() {
    let starts = vec![
        PartitionStart::beginning(0),
        PartitionStart {
            partition: 1,
            next_offset: 7,
            epoch: Some(2),
        },
        PartitionStart::beginning(2),
    ];
    let kept = owned_starts(starts, &BTreeSet::from([1, 2]));
    let kept: Vec<(i32, i64)> = kept.iter().map(|s| (s.partition, s.next_offset)).collect();
    assert_eq!(kept, vec![(1, 7), (2, 0)]);
}

#[test]
fn a_rebuild_is_done_when_every_partition_reached_its_target() {
    let targets = Some(HashMap::from([(0, 3), (1, 0)]));
    assert!(!reached(
        &targets,
        &HashMap::from([(0, (2, None)), (1, (0, None))])
    ));
    assert!(reached(
        &targets,
        &HashMap::from([(0, (3, None)), (1, (0, None))])
    ));
    assert!(!reached(&None, &HashMap::from([(0, (3, None))])));
}
