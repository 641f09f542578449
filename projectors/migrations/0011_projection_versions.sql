-- Which version of each rebuild unit (see projectors/src/replay/units.rs) readers see.
--
-- Not derived state: a new log epoch empties the tables but keeps their version history.
-- A unit without a row is at generation 1, built by code version 1.
CREATE TABLE projection_versions (
    unit         text        PRIMARY KEY,
    generation   int         NOT NULL,
    code_version int         NOT NULL,
    switched_at  timestamptz NOT NULL
);
