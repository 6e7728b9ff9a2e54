-- The engine's state. Every table that grows with customers carries customer_id first in its
-- primary key, so that it can be distributed by customer_id (Citus) with every unique constraint
-- still enforceable on one node. Ids are compared byte by byte (COLLATE "C"): the engine sorts
-- them that way to take locks in one order, and schedule cursors page through them that way.
-- A time that may be unset (next_wake_at, goal_until...) is NULL when unset, so that partial
-- indexes leave the row out; a time that is always set is NOT NULL.

-- A customer row is the lock of everything about the customer. Rows are rewritten on every event,
-- so pages keep room for updates in place.
CREATE TABLE customers (
    id             text COLLATE "C" PRIMARY KEY,
    attrs          jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL,
    orders_count   integer NOT NULL DEFAULT 0,
    total_spent    numeric NOT NULL DEFAULT 0,
    first_order_at timestamptz,
    last_order_at  timestamptz,
    sends          json,             -- json: the engine alone reads these, whole
    dates          json,
    dates_version  text COLLATE "C" NOT NULL DEFAULT '',
    next_wake_at   timestamptz
) WITH (fillfactor = 80);

-- Timers: ClaimDue reads the earliest wake times first.
CREATE INDEX customers_next_wake ON customers (next_wake_at, id) WHERE next_wake_at IS NOT NULL;
-- Date triggers to recompute: two range scans around the current version, never a full scan.
CREATE INDEX customers_dates_version ON customers (dates_version, id);

-- Append-only history; (customer_id, id) is the deduplication key.
CREATE TABLE events (
    customer_id     text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    source          text NOT NULL DEFAULT '',
    type            text NOT NULL DEFAULT '',
    time            timestamptz NOT NULL,
    specversion     text NOT NULL DEFAULT '',
    datacontenttype text NOT NULL DEFAULT '',
    data            jsonb,
    depth           integer NOT NULL DEFAULT 0,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, id)
);

-- Webhook sources find the customer of an order from its order.placed event.
CREATE INDEX events_order_placed ON events (source, (data ->> 'order_id')) WHERE type = 'order.placed';

CREATE TABLE journeys (
    customer_id  text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    flow_id      text COLLATE "C" NOT NULL DEFAULT '',
    flow_version text NOT NULL DEFAULT '',
    key          text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT '',
    step_id      text NOT NULL DEFAULT '',
    wake_at      timestamptz,
    wait_event   text NOT NULL DEFAULT '',
    entered_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    reason       text NOT NULL DEFAULT '',
    holdout      boolean NOT NULL DEFAULT false,
    depth        integer NOT NULL DEFAULT 0,
    -- json, not jsonb: the engine alone reads these back whole, so PostgreSQL need not take them
    -- apart on every insert (a fifth faster to write).
    trigger      json NOT NULL DEFAULT '{}',
    outputs      json,
    goal_until   timestamptz,
    converted_at timestamptz,
    PRIMARY KEY (customer_id, id)
) WITH (fillfactor = 85);

-- The journeys an event must be shown to: ended ones pile up and are never read by the engine.
CREATE INDEX journeys_open ON journeys (customer_id, entered_at, id)
    WHERE status = 'active' OR (goal_until IS NOT NULL AND converted_at IS NULL);

CREATE TABLE entries (
    customer_id     text COLLATE "C" NOT NULL,
    flow_id         text COLLATE "C" NOT NULL,
    entry_key       text COLLATE "C" NOT NULL,
    last_entered_at timestamptz NOT NULL,
    PRIMARY KEY (customer_id, flow_id, entry_key)
);

-- The outbox.
CREATE TABLE messages (
    customer_id     text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    journey_id      text NOT NULL DEFAULT '',
    flow_id         text COLLATE "C" NOT NULL DEFAULT '',
    flow_version    text NOT NULL DEFAULT '',
    step_id         text NOT NULL DEFAULT '',
    channel         text NOT NULL DEFAULT '',
    shape           text NOT NULL DEFAULT '',
    category        text NOT NULL DEFAULT '',
    idempotency_key text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT '',
    reason          text NOT NULL DEFAULT '',
    send_at         timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    locale          text NOT NULL DEFAULT '',
    recipient       json NOT NULL DEFAULT '{}',
    content         json NOT NULL DEFAULT '{}',
    unsubscribe_url text NOT NULL DEFAULT '',
    attempts        integer NOT NULL DEFAULT 0,
    lease_until     timestamptz,
    provider_id     text NOT NULL DEFAULT '',
    sent_at         timestamptz,
    last_error      text NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, id)
);

-- Dispatch: only messages that may still leave, earliest first. Sent, failed and skipped
-- messages drop out of it.
CREATE INDEX messages_due ON messages (send_at, id) WHERE status IN ('pending', 'sending');
-- A customer's messages still waiting to leave, by journey: an event must reach the journeys that
-- ended with a message held back, so that an exit or a goal can still stop it.
CREATE INDEX messages_held ON messages (customer_id, send_at) INCLUDE (journey_id) WHERE status = 'pending';

CREATE TABLE attempts (
    customer_id text COLLATE "C" NOT NULL,
    message_id  text COLLATE "C" NOT NULL,
    n           integer NOT NULL,
    at          timestamptz NOT NULL,
    outcome     text NOT NULL DEFAULT '',
    provider_id text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, message_id, n)
);

-- Attempts are looked up by message id alone.
CREATE INDEX attempts_message ON attempts (message_id, n);

-- Small tables, one row per flow: not distributed (Citus reference tables).
CREATE TABLE schedules (
    flow_id    text COLLATE "C" PRIMARY KEY,
    spec       text NOT NULL DEFAULT '',
    fire_at    timestamptz,
    cursor_id  text COLLATE "C" NOT NULL DEFAULT '',
    last_fired timestamptz
);

CREATE TABLE flow_versions (
    version  text COLLATE "C" PRIMARY KEY,
    flow_id  text NOT NULL DEFAULT '',
    source   bytea NOT NULL,
    file     text NOT NULL DEFAULT '',
    saved_at timestamptz NOT NULL DEFAULT now()
);
