-- Dead letters re-driven by `agora-projector dlq redrive` (projectors/src/dead_letters/).
--
-- One row per letter re-driven: the projection it was for, the origin of the record in the
-- events topic, and the event within it (the nil UUID when the letter covered the whole
-- record, i.e. a commit that did not apply). The row is inserted in the same transaction as the
-- re-driven record's writes (Postgres read models), or committed after its facts were inserted
-- (ClickHouse facts, which collapse on event_id if a failed attempt inserted them already), and
-- the primary key makes a second re-drive of the same letter insert nothing and apply nothing.
--
-- Scoped by log epoch, and deliberately not in `migrate::DERIVED_TABLES`: a re-drive patched
-- the read models of one log epoch. A reset to a new epoch (a restore) throws those read models
-- away and rebuilds them, and the rebuild dead-letters the same records again under the same
-- origins (a restored log keeps every offset); they must be re-drivable again, which a row of
-- the old epoch does not prevent. Keeping the old rows instead of truncating them keeps the
-- history of what operators re-drove, which is worth more than the few rows it costs.
CREATE TABLE dead_letter_redrives (
    log_epoch   uuid        NOT NULL,
    projection  text        NOT NULL,
    partition   int         NOT NULL,
    "offset"    bigint      NOT NULL,
    event_id    uuid        NOT NULL,
    redriven_at timestamptz NOT NULL DEFAULT now(),
    -- What the re-drive did, e.g. `applied 1 event`, `inserted 3 rows`.
    outcome     text        NOT NULL,
    PRIMARY KEY (log_epoch, projection, partition, "offset", event_id)
);
