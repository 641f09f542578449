-- The raw events table for analysts: one row per event of every counted commit, as logged.
--
-- payload is the envelope's `data` as a JSON string, in the shape `schema_version` names (not
-- upcast: this is the log as written; read old schema versions with their own shape). Zombie
-- writes and rejections make no row (they are not events of the log). recorded_at is when the
-- processor accepted the command (the commit's accepted_at); occurred_at is the event's own
-- time.
--
-- Every column is a pure function of the log record, so a row inserted twice (a crash between
-- the rows and the position) is the same row twice and collapses under ReplacingMergeTree. The
-- sorting key ends in event_id (type and time are functions of the event, so they never split
-- one event into two keys) and leads with what analysts filter on. Read with FINAL, or count
-- uniqExact(event_id).
CREATE TABLE IF NOT EXISTS events (
    event_id       UUID,
    event_type     String,
    schema_version UInt32,
    stream         String,
    stream_version UInt64,
    partition      Int32,
    offset         Int64,
    occurred_at    DateTime,
    recorded_at    DateTime,
    command_id     UUID,
    correlation_id UUID,
    causation_id   UUID,
    actor          String,
    payload        String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (event_type, occurred_at, event_id)
