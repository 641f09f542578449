-- Bookkeeping shared by every projection.
--
-- `agora_meta` remembers which log (`log_epoch`) the derived state below was built from, so
-- `agora-projector migrate` can tell a fresh broker from the one the state came from.
CREATE TABLE agora_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- One row per projection and events partition: the next offset to read, the partition's epoch
-- (offset of the latest ownership marker) at that offset, and the log it belongs to. Written in
-- the same transaction as the projection's rows, with a conditional update on next_offset.
CREATE TABLE projection_checkpoints (
    projection  text        NOT NULL,
    partition   int         NOT NULL,
    next_offset bigint      NOT NULL,
    owner_epoch bigint      NULL,
    log_epoch   uuid        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, partition)
);
