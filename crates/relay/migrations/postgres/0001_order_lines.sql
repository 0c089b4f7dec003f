-- The order relay's store (Postgres): the same table and rules as the SQLite store's
-- migrations 0001 and 0002, shared by every relay node on the database. Integer columns are
-- BIGINT and flags are 0/1 BIGINTs, as in SQLite, so that one decoder reads both backends.
CREATE TABLE order_lines (
    -- received order: the per-tenant FIFO follows it
    seq              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant           TEXT    NOT NULL,
    unique_id        TEXT    NOT NULL,
    case_nr          TEXT    NOT NULL,
    product_nr       TEXT    NOT NULL,
    -- exact decimal text, normalised ("5", "5.25"); never a binary float
    product_amount   TEXT    NOT NULL,
    -- RFC 3339 in UTC, normalised, or NULL
    dispensed_at     TEXT,
    status           TEXT    NOT NULL
                     CHECK (status IN ('received', 'processing', 'completed', 'failed')),
    reason_code      TEXT,
    reason           TEXT,
    erp_reference    TEXT,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    -- milliseconds since the Unix epoch (the relay's clock, never the server's)
    next_attempt_at  BIGINT  NOT NULL,
    check_first      BIGINT  NOT NULL DEFAULT 0 CHECK (check_first IN (0, 1)),
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    slot             BIGINT,
    received_at      BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    completed_at     BIGINT,
    archived_at      BIGINT,
    queued_at        BIGINT,
    -- de-duplication is the database's job
    UNIQUE (tenant, unique_id),
    -- a line is `processing` exactly when it holds a lease and a slot
    CHECK ((status = 'processing') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL AND slot IS NOT NULL))
);

CREATE INDEX order_lines_queue ON order_lines (tenant, status, seq);

-- one line per in-flight slot of a tenant, whatever the number of workers and nodes
CREATE UNIQUE INDEX order_lines_in_flight ON order_lines (tenant, slot) WHERE slot IS NOT NULL;

CREATE INDEX order_lines_retention ON order_lines (status, updated_at);

CREATE TABLE relay_tenants (
    tenant           TEXT    PRIMARY KEY,
    operator_stopped BIGINT  NOT NULL DEFAULT 0 CHECK (operator_stopped IN (0, 1)),
    changed_by       TEXT,
    changed_at       BIGINT
);

CREATE TABLE audit (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             BIGINT  NOT NULL,
    actor          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    tenant         TEXT,
    params         TEXT    NOT NULL,
    lines_affected BIGINT  NOT NULL
);
CREATE INDEX audit_tenant ON audit (tenant, id);
