-- Refresh tokens of the identity endpoints (command API's own table; versions >= 1000).
-- Only a SHA-256 of each token is stored: a leaked table does not hand out sessions.
-- A rotated token keeps its row (revoked, `replaced_by` set) so that presenting it again is
-- recognised as reuse and the customer's whole chain can be revoked.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash  text PRIMARY KEY,
    customer_id uuid NOT NULL,
    role        text NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz NULL,
    replaced_by text NULL
);

-- Revoking every live token of a customer (logout everywhere, password change, reuse).
CREATE INDEX IF NOT EXISTS refresh_tokens_live_by_customer
    ON refresh_tokens (customer_id)
    WHERE revoked_at IS NULL;
