-- Positions of the checkout saga, one row per events partition: the next offset to react to,
-- the partition's epoch (offset of the latest ownership marker) at that offset, and the log
-- the position belongs to. Written only after the commands of a batch were acknowledged.
CREATE TABLE IF NOT EXISTS saga_checkpoints (
    partition   int         PRIMARY KEY,
    next_offset bigint      NOT NULL,
    owner_epoch bigint      NULL,
    log_epoch   uuid        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
