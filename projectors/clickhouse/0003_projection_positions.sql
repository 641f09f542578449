-- Positions of ClickHouse projections, written after the facts they cover.
--
-- Positions only move forward within a log epoch, so the row with the highest next_offset is the
-- current one: read it with argMax(…, next_offset) grouped by partition (no FINAL needed).
-- owner_epoch is -1 when the partition had no ownership marker yet (no Nullable, so the table
-- stays valid on ClickHouse 18.16).
CREATE TABLE IF NOT EXISTS projection_positions (
    projection  String,
    log_epoch   UUID,
    partition   Int32,
    next_offset Int64,
    owner_epoch Int64,
    written_at  DateTime,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (projection, log_epoch, partition)
