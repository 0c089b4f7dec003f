-- Relay part 2: operations (queue clearing and retries, operator stops, audit) and retention.

-- a `failed` line cleared by an operator is archived: out of the queue listing and health's
-- failed count, kept for status queries and de-duplication until retention purges it
ALTER TABLE order_lines ADD COLUMN archived_at INTEGER;
-- when the line last entered the queue (its acceptance, or an operator's retry): the retry
-- budget's maximum age counts from here
ALTER TABLE order_lines ADD COLUMN queued_at INTEGER;
UPDATE order_lines SET queued_at = received_at;

-- retention: completed and failed records older than the period
CREATE INDEX order_lines_retention ON order_lines (status, updated_at);

-- per-tenant state shared by every relay node on the store: an operator's stop persists
-- across restarts, and claims refuse a stopped tenant (the database enforces it on every node)
CREATE TABLE relay_tenants (
    tenant           TEXT    PRIMARY KEY,
    operator_stopped INTEGER NOT NULL DEFAULT 0 CHECK (operator_stopped IN (0, 1)),
    changed_by       TEXT,
    changed_at       INTEGER
);

-- every mutating management call: who, what, when, and how many lines it affected
CREATE TABLE audit (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    actor          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    tenant         TEXT,
    -- the call's parameters as a JSON object (never a credential or a line body)
    params         TEXT    NOT NULL,
    lines_affected INTEGER NOT NULL
);
CREATE INDEX audit_tenant ON audit (tenant, id);
