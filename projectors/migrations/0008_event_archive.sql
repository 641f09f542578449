-- The event archive: every record of the events topic, byte for byte, at its partition and
-- offset (commits, rejections, ownership markers, zombie writes and poison alike), so
-- `agora-projector restore` can rebuild an identical log on an empty broker.
--
-- This table is NOT derived state: it must survive the epoch reset of `agora-projector migrate`
-- (it is deliberately absent from `DERIVED_TABLES`), because a broker reset is exactly when it
-- is needed. The archiver's checkpoint (projection `archive`) is derived and is reset; the
-- archiver then re-reads the new log from offset 0 and finds the rows of a restored log already
-- present and identical.
CREATE TABLE event_archive (
    partition   int         NOT NULL,
    "offset"    bigint      NOT NULL,
    -- Record key (the stream id, or `partition-<p>` for markers); NULL when the record had none.
    key         text        NULL,
    -- What the log rules made of the record: commit, rejection, marker, zombie or poison.
    kind        text        NOT NULL,
    stream      text        NULL,
    -- Every header as a JSON array of [name, value-or-null], in record order.
    headers     jsonb       NOT NULL DEFAULT '[]',
    -- The raw record value; NULL when the record had no payload.
    value       bytea       NULL,
    archived_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partition, "offset")
);
