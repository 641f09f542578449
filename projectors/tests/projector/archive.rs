//! The event archive holds every record of the log exactly once, and `restore` turns it back
//! into an identical log: the same aggregate state in every stream, and read models rebuilt
//! to what they were.

use std::{collections::BTreeMap, process::Output, time::Duration};

use domain::inventory::InventoryItem;
use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
    producer::FutureRecord,
};
use runtime::{
    kafka,
    testing::{TestNamespace, binary_path, eventually},
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    crash::Shop,
    restore_state::aggregates,
    support::{Log, pg, spawn_projector, wait_caught_up},
};

/// (partition, offset) → value, for every record of a namespace's events topic.
type Records = BTreeMap<(i32, i64), Option<Vec<u8>>>;

/// Every record of the events topic, read from the beginning until it goes quiet.
async fn topic_records(ns: &TestNamespace) -> Records {
    let kafka = ns.kafka.clone();
    tokio::task::spawn_blocking(move || {
        let topic = kafka.topics().events;
        let consumer: BaseConsumer = kafka::assigned_consumer_config(&kafka).create().unwrap();
        let mut assignment = TopicPartitionList::new();
        for partition in 0..kafka.partitions {
            assignment
                .add_partition_offset(&topic, partition, Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&assignment).unwrap();
        let mut records = Records::new();
        let mut wait = Duration::from_secs(5);
        while let Some(message) = consumer.poll(wait) {
            wait = Duration::from_millis(500);
            let message = message.unwrap();
            let previous = records.insert(
                (message.partition(), message.offset()),
                message.payload().map(<[u8]>::to_vec),
            );
            assert!(previous.is_none(), "offset read twice");
        }
        records
    })
    .await
    .unwrap()
}

async fn archive_rows(pool: &PgPool) -> Records {
    let rows: Vec<(i32, i64, Option<Vec<u8>>)> =
        sqlx::query_as(r#"SELECT partition, "offset", value FROM event_archive"#)
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter().map(|(p, o, v)| ((p, o), v)).collect()
}

async fn kinds(pool: &PgPool) -> BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, count(*) FROM event_archive GROUP BY kind")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter().collect()
}

/// When each archived record was archived, by position.
async fn archive_times(pool: &PgPool) -> BTreeMap<(i32, i64), chrono::DateTime<chrono::Utc>> {
    let rows: Vec<(i32, i64, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as(r#"SELECT partition, "offset", archived_at FROM event_archive"#)
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter().map(|(p, o, at)| ((p, o), at)).collect()
}

/// The archive checkpoint, by partition, if it belongs to `log_epoch`.
async fn archive_positions(pool: &PgPool, log_epoch: Uuid) -> Option<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT next_offset FROM projection_checkpoints
         WHERE projection = 'archive' AND log_epoch = $1 ORDER BY partition",
    )
    .bind(log_epoch)
    .fetch_all(pool)
    .await
    .ok()?;
    Some(rows.into_iter().map(|(n,)| n).collect())
}

/// Full contents of the catalog and inventory read models, as sorted row texts.
async fn read_models(pool: &PgPool) -> BTreeMap<&'static str, Vec<String>> {
    let mut models = BTreeMap::new();
    for table in ["catalog_products", "catalog_variants", "inventory_items"] {
        let rows: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT t::text FROM {table} t ORDER BY 1"))
                .fetch_all(pool)
                .await
                .unwrap();
        models.insert(table, rows.into_iter().map(|(row,)| row).collect());
    }
    models
}

/// Runs `agora-projector restore` into `target`'s topics from `archive`'s database.
fn restore(target: &TestNamespace, archive: &TestNamespace) -> Output {
    let mut command = std::process::Command::new(binary_path("agora-projector"));
    command
        .arg("restore")
        .envs(target.env())
        .env("DATABASE_URL", &archive.database_url)
        .env("CLICKHOUSE_DATABASE", &archive.clickhouse_database);
    if std::env::var("TEST_LOG").is_err() {
        command.env("RUST_LOG", "warn");
    }
    command.output().expect("agora-projector restore runs")
}

#[tokio::test]
async fn the_archive_survives_kill_9_and_restores_an_identical_log_and_read_models() {
    let ns = TestNamespace::create("projector-archive").await.unwrap();
    let mut log = Log::open(&ns).await;
    let (mut shop, mut first) = Shop::open(&mut log, 15);
    first.extend(shop.commits(&mut log, 600));
    log.send(first).await;

    let mut projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    eventually(
        Duration::from_secs(120),
        "the archiver to commit a batch",
        || async {
            let positions = archive_positions(&pool, ns.log_epoch).await;
            Ok(positions.filter(|p| p.iter().sum::<i64>() > 0))
        },
    )
    .await
    .unwrap();
    projector.kill9().unwrap();

    // While it is down: more commits, a zombie write after a takeover, and a poison record.
    let more = shop.commits(&mut log, 600);
    log.send(more).await;
    let zombie_stream = "inventory-ZOMBIE-1";
    let partition = log.partition_of(zombie_stream);
    let old_epoch = log.epoch(partition);
    log.marker(partition).await;
    let zombie = log.commit_at::<InventoryItem>(zombie_stream, &[], old_epoch);
    log.send(vec![zombie]).await;
    log.send_raw((partition + 1) % log.partitions, b"\x00 not a log record")
        .await;

    let projector = spawn_projector(&ns);
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(180)).await;
    let ends = log.ends();
    eventually(
        Duration::from_secs(60),
        "the archiver to reach the end of the log",
        || async {
            let positions = archive_positions(&pool, ns.log_epoch).await;
            Ok(positions.filter(|p| *p == ends))
        },
    )
    .await
    .unwrap();

    // Exactly the topic's records, each once, with their raw bytes.
    let original = topic_records(&ns).await;
    assert_eq!(original.len() as i64, ends.iter().sum::<i64>());
    assert_eq!(archive_rows(&pool).await, original);
    let kinds = kinds(&pool).await;
    assert_eq!(kinds["zombie"], 1, "{kinds:?}");
    assert_eq!(kinds["poison"], 1, "{kinds:?}");
    assert_eq!(kinds["marker"], i64::from(log.partitions) + 1, "{kinds:?}");
    let before = read_models(&pool).await;
    assert!(before.values().all(|rows| !rows.is_empty()), "{before:?}");
    let archived_at = archive_times(&pool).await;
    drop(projector);

    // Restore into a fresh broker namespace, from the first namespace's archive.
    let fresh = TestNamespace::create("projector-restored").await.unwrap();
    let output = restore(&fresh, &ns);
    assert!(
        output.status.success(),
        "restore failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(topic_records(&fresh).await, original);

    // The same business state: every stream of both logs folded with the domain's aggregates
    // under the log rules (the zombie write skipped on both), equal stream by stream.
    let state_before = aggregates(&ns, &ends).await;
    assert!(state_before.streams() > 0, "{state_before:?}");
    assert_eq!(state_before.zombies, 1);
    assert_eq!(aggregates(&fresh, &ends).await, state_before);

    // A second restore into the now non-empty topic is refused and writes nothing.
    let again = restore(&fresh, &ns);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(topic_records(&fresh).await, original);

    // The projector on the restored log: migrate sees the restore's log epoch, resets derived
    // state but keeps the archive, and rebuilds the same read models.
    let restored_epoch = runtime::topics::read_log_epoch(&fresh.kafka)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(restored_epoch.cause, "restore");
    let _projector = ns
        .spawn(
            "agora-projector",
            &["run"],
            &[
                ("AGORA_HEALTH_ADDR", "127.0.0.1:0"),
                ("AGORA_TOPIC_PREFIX", &fresh.kafka.topic_prefix),
            ],
        )
        .unwrap();
    eventually(
        Duration::from_secs(180),
        "the projections to rebuild from the restored log",
        || async {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT projection, sum(next_offset)::bigint FROM projection_checkpoints
                 WHERE log_epoch = $1 AND projection IN ('catalog', 'inventory', 'archive')
                 GROUP BY projection",
            )
            .bind(restored_epoch.log_epoch)
            .fetch_all(&pool)
            .await?;
            let total = ends.iter().sum::<i64>();
            Ok((rows.len() == 3 && rows.iter().all(|(_, n)| *n == total)).then_some(()))
        },
    )
    .await
    .unwrap();
    assert_eq!(read_models(&pool).await, before);
    assert_eq!(archive_rows(&pool).await, original);
    // Not truncated and re-archived by the epoch reset: the very same rows are still there.
    assert_eq!(archive_times(&pool).await, archived_at);

    // An interrupted restore resumes after the records already in place.
    let resumed = TestNamespace::create("projector-resumed").await.unwrap();
    let prefix: Vec<(i64, Vec<u8>)> = original
        .iter()
        .filter(|((partition, _), _)| *partition == 0)
        .take(10)
        .map(|((_, offset), value)| (*offset, value.clone().unwrap()))
        .collect();
    let producer = kafka::producer(&resumed.kafka).unwrap();
    let topic = resumed.kafka.topics().events;
    for (offset, value) in &prefix {
        let delivery = producer
            .send(
                FutureRecord::<str, [u8]>::to(&topic)
                    .partition(0)
                    .payload(value.as_slice()),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(error, _)| error)
            .unwrap();
        assert_eq!(delivery.offset, *offset);
    }
    let output = restore(&resumed, &ns);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("partition 0   present=10 "), "{stdout}");
    assert_eq!(topic_records(&resumed).await, original);
}

#[test]
fn the_archive_is_not_among_the_tables_an_epoch_reset_empties() {
    assert!(
        !projectors::migrate::DERIVED_TABLES.contains(&"event_archive"),
        "a broker reset is when the archive is needed: it must survive migrate's reset"
    );
    assert!(projectors::migrate::DERIVED_TABLES.contains(&"projection_checkpoints"));
}

#[tokio::test]
async fn the_projector_stops_loudly_when_the_archive_holds_another_log() {
    let ns = TestNamespace::create("projector-archive-other")
        .await
        .unwrap();
    let migrate = std::process::Command::new(binary_path("agora-projector"))
        .arg("migrate")
        .envs(ns.env())
        .output()
        .unwrap();
    assert!(migrate.status.success());
    let pool = pg(&ns).await;
    sqlx::query(
        r#"INSERT INTO event_archive (partition, "offset", kind, value)
           VALUES (0, 0, 'marker', 'a record of another log')"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    Log::open(&ns).await;

    let mut projector = spawn_projector(&ns);
    let status = eventually(Duration::from_secs(60), "the projector to stop", || {
        let exited = projector.child.try_wait();
        async move { Ok(exited?) }
    })
    .await
    .unwrap();
    assert!(!status.success());
    let kept: Vec<u8> = sqlx::query_scalar(
        r#"SELECT value FROM event_archive WHERE partition = 0 AND "offset" = 0"#,
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, b"a record of another log");
}
