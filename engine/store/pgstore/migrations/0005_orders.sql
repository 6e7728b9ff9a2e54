-- The orders ledger: one row per order of a customer, whatever order its events came in. A
-- customer's order metrics (orders_count, total_spent, first and last order) count only its
-- counted orders: placed and not cancelled, each worth its total less its refunds. items is json,
-- not jsonb: the engine reads a customer's orders back whole.
CREATE TABLE orders (
    customer_id  text COLLATE "C" NOT NULL,
    order_id     text COLLATE "C" NOT NULL,
    placed_at    timestamptz,          -- NULL until its order.placed arrives
    currency     text NOT NULL DEFAULT '',
    total        numeric NOT NULL DEFAULT 0,
    refunded     numeric NOT NULL DEFAULT 0,
    cancelled_at timestamptz,
    items        json,
    PRIMARY KEY (customer_id, order_id)
);

-- The ledger of the events already stored: an order.placed without an order_id is an order of
-- its own, named after its event; the latest order.placed of an order gives its contents, the
-- earliest its time; refunds add up; the earliest cancellation cancels it.
CREATE OR REPLACE FUNCTION pg_temp.decimal_or_null(s text) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN s ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' THEN s::numeric END
$$;

WITH keyed AS (
    SELECT customer_id, coalesce(nullif(data ->> 'order_id', ''), CASE WHEN type = 'order.placed' THEN 'event:' || id END) AS order_id,
        type, time, stored_at, id, data
    FROM events
    WHERE type IN ('order.placed', 'order.cancelled', 'order.refunded')
), latest AS (
    SELECT DISTINCT ON (customer_id, order_id) customer_id, order_id, data
    FROM keyed WHERE type = 'order.placed'
    ORDER BY customer_id, order_id, stored_at DESC, id DESC
), summed AS (
    SELECT customer_id, order_id,
        min(time) FILTER (WHERE type = 'order.placed') AS placed_at,
        min(time) FILTER (WHERE type = 'order.cancelled') AS cancelled_at,
        coalesce(sum(pg_temp.decimal_or_null(data ->> 'amount')) FILTER (WHERE type = 'order.refunded'), 0) AS refunded
    FROM keyed WHERE order_id IS NOT NULL
    GROUP BY customer_id, order_id
)
INSERT INTO orders (customer_id, order_id, placed_at, currency, total, refunded, cancelled_at, items)
SELECT s.customer_id, s.order_id, s.placed_at, coalesce(l.data ->> 'currency', ''),
    coalesce(pg_temp.decimal_or_null(l.data ->> 'total'), 0), s.refunded, s.cancelled_at,
    (SELECT json_agg(json_build_object(
            'product_id', coalesce(i ->> 'product_id', ''),
            'sku', coalesce(i ->> 'sku', ''),
            'quantity', CASE WHEN i ->> 'quantity' ~ '^-?[0-9]{1,9}$' THEN (i ->> 'quantity')::integer ELSE 1 END,
            'price', coalesce(pg_temp.decimal_or_null(i ->> 'price'), 0)))
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(l.data -> 'items') = 'array' THEN l.data -> 'items' ELSE '[]' END) AS i
        WHERE jsonb_typeof(i) = 'object')
FROM summed s LEFT JOIN latest l USING (customer_id, order_id);

-- The metrics of the customers with orders, from their counted orders.
UPDATE customers c SET orders_count = m.n, total_spent = m.spent, first_order_at = m.first, last_order_at = m.last
FROM (
    SELECT customer_id,
        count(*) FILTER (WHERE counted) AS n,
        coalesce(sum(greatest(total - refunded, 0)) FILTER (WHERE counted), 0) AS spent,
        min(placed_at) FILTER (WHERE counted) AS first,
        max(placed_at) FILTER (WHERE counted) AS last
    FROM (SELECT *, placed_at IS NOT NULL AND cancelled_at IS NULL AS counted FROM orders) o
    GROUP BY customer_id
) m
WHERE c.id = m.customer_id;
