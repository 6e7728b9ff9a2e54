-- What reports read without sorting or scanning everything.

-- Each order's place among its customer's counted orders (by time, then order id), kept by the
-- engine: seq 1 for the first counted order (0 for one that does not count), with the times of
-- the customer's first counted order and of the one before. A month's buyers, returning buyers,
-- cohorts and second orders are then sums over orders, with no per-customer grouping.
ALTER TABLE orders ADD COLUMN seq integer NOT NULL DEFAULT 0,
    ADD COLUMN first_at timestamptz,
    ADD COLUMN prev_at timestamptz;

UPDATE orders o SET seq = r.seq, first_at = r.first_at, prev_at = r.prev_at
FROM (
    SELECT customer_id, order_id,
        row_number() OVER w AS seq,
        first_value(placed_at) OVER w AS first_at,
        lag(placed_at) OVER w AS prev_at
    FROM orders
    WHERE placed_at IS NOT NULL AND cancelled_at IS NULL
    WINDOW w AS (PARTITION BY customer_id ORDER BY placed_at, order_id)
) r
WHERE o.customer_id = r.customer_id AND o.order_id = r.order_id;

-- NPS reads survey answers by time: a few rows of a large table.
CREATE INDEX events_surveys ON events (time) WHERE type = 'survey.answered';

-- Flows' outcomes read journeys and messages by when they began: these indexes hold what a report
-- needs of them, so that it never reads the rows themselves (a journey keeps its trigger event, a
-- message its rendered content: a kilobyte or more each).
CREATE INDEX journeys_report ON journeys (entered_at) INCLUDE (customer_id, flow_id, flow_version, holdout, converted_at);
CREATE INDEX messages_report ON messages (created_at) INCLUDE (flow_id, channel, status, reason);
