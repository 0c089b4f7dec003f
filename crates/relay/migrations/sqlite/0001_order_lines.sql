-- The order relay's store (SQLite). One row per accepted order line: it is the line's record
-- (status queries, de-duplication) and, while its status is `received` or `processing`, its
-- queue entry. An ingest is therefore one INSERT: the line and its queue entry commit together.
CREATE TABLE order_lines (
    -- received order: the per-tenant FIFO follows it; AUTOINCREMENT never reuses a value
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- milliseconds since the Unix epoch; a `received` line is not claimed before this
    next_attempt_at  INTEGER NOT NULL,
    -- 1 when an earlier push may have reached the ERP: ask the adapter before pushing again
    check_first      INTEGER NOT NULL DEFAULT 0 CHECK (check_first IN (0, 1)),
    -- the claim: who holds the line, until when, and which of the tenant's in-flight slots
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    slot             INTEGER,
    received_at      INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    completed_at     INTEGER,
    -- de-duplication is the database's job, not only the application's
    UNIQUE (tenant, unique_id),
    -- a line is `processing` exactly when it holds a lease and a slot
    CHECK ((status = 'processing') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL AND slot IS NOT NULL))
);

-- the queue: the oldest `received` line of a tenant, and counts per status
CREATE INDEX order_lines_queue ON order_lines (tenant, status, seq);

-- one line per in-flight slot of a tenant (one slot by default: one line in flight), enforced
-- by the database whatever the number of workers or processes
CREATE UNIQUE INDEX order_lines_in_flight ON order_lines (tenant, slot) WHERE slot IS NOT NULL;
