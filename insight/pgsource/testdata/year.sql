-- A year of a shop at scale, written straight into a migrated, empty database in the shape the
-- engine writes (orders with their place among the customer's counted orders, journeys, messages,
-- events): 1,000,000 customers, 1,650,000 orders, 2,983,334 journeys, ~2.6M messages, 10M events.
-- psql -h 127.0.0.1 -U postgres DB -f insight/pgsource/testdata/year.sql   (after afterglow migrate)
\timing on
SET jit = off;
INSERT INTO flow_versions (version, flow_id, source) VALUES
 ('thanks@1','thanks', convert_to(E'flow: thanks\ntrigger: {event: order.placed}\nholdout: "20%"\ngoal: {event: survey.answered, within: 10d}\nsteps: []\n','UTF8')),
 ('winback@1','win-back', convert_to(E'flow: win-back\ntrigger: {event: customer.lapsed}\nholdout: "10%"\nsteps: []\n','UTF8')),
 ('welcome@1','welcome', convert_to(E'flow: welcome\ntrigger: {event: customer.created}\nsteps: []\n','UTF8'));
-- orders: 1M customers, 1..5 orders each over 2025
INSERT INTO orders (customer_id, order_id, placed_at, currency, total, refunded, cancelled_at, seq, first_at, prev_at)
SELECT customer_id, order_id, placed_at, currency, total, refunded, cancelled_at,
  CASE WHEN cancelled_at IS NULL THEN row_number() OVER w ELSE 0 END,
  CASE WHEN cancelled_at IS NULL THEN first_value(placed_at) OVER w END,
  CASE WHEN cancelled_at IS NULL THEN lag(placed_at) OVER w END
FROM (
  SELECT 'c' || c AS customer_id, 'o' || c || '-' || k AS order_id,
    timestamptz '2025-01-01' + random() * interval '365 days' AS placed_at,
    CASE WHEN random() < 0.01 THEN 'USD' ELSE 'PEN' END AS currency,
    round((20 + random() * 180)::numeric, 2) AS total,
    CASE WHEN random() < 0.05 THEN 10 ELSE 0 END AS refunded,
    CASE WHEN random() < 0.03 THEN timestamptz '2025-01-01' + random() * interval '365 days' END AS cancelled_at
  FROM generate_series(1, 1000000) c,
       generate_series(1, CASE WHEN c % 20 = 0 THEN 5 WHEN c % 10 = 1 THEN 3 WHEN c % 4 = 2 THEN 2 ELSE 1 END) k
) o
WINDOW w AS (PARTITION BY customer_id, cancelled_at IS NULL ORDER BY placed_at, order_id);
-- journeys: thanks on every order, win-back for a third of customers, welcome for all
INSERT INTO journeys (customer_id, id, flow_id, flow_version, status, entered_at, holdout, converted_at, trigger)
SELECT customer_id, 'j-t-' || order_id, 'thanks', 'thanks@1', 'ended', placed_at, random() < 0.2,
  CASE WHEN random() < 0.15 THEN placed_at + interval '3 days' END, '{"type":"order.placed","data":{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}'
FROM orders;
INSERT INTO journeys (customer_id, id, flow_id, flow_version, status, entered_at, holdout, trigger)
SELECT 'c' || c, 'j-w-' || c, 'win-back', 'winback@1', 'ended', timestamptz '2025-01-01' + random() * interval '365 days', random() < 0.1, '{}'
FROM generate_series(1, 1000000, 3) c;
INSERT INTO journeys (customer_id, id, flow_id, flow_version, status, entered_at, trigger)
SELECT 'c' || c, 'j-n-' || c, 'welcome', 'welcome@1', 'ended', timestamptz '2025-01-01' + random() * interval '365 days', '{}'
FROM generate_series(1, 1000000) c;
-- messages: one per reached journey, a few skipped
INSERT INTO messages (customer_id, id, journey_id, flow_id, flow_version, channel, status, reason, send_at, created_at, content)
SELECT customer_id, 'm-' || id, id, flow_id, flow_version, CASE WHEN random() < 0.9 THEN 'email' ELSE 'sms' END,
  CASE WHEN random() < 0.05 THEN 'skipped' ELSE 'sent' END, CASE WHEN random() < 0.05 THEN 'frequency' ELSE '' END,
  entered_at, entered_at, '{"html":"<p>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</p>"}'
FROM journeys WHERE NOT holdout;
-- events: the order events, surveys, and the rest of a shop's traffic, to 10M
INSERT INTO events (customer_id, id, source, type, time, data)
SELECT customer_id, 'e-p-' || order_id, 'shop', 'order.placed', placed_at, jsonb_build_object('order_id', order_id, 'total', total::text, 'currency', currency) FROM orders;
INSERT INTO events (customer_id, id, source, type, time, data)
SELECT 'c' || (1 + (random() * 999999)::int), 'e-s-' || g, 'shop', 'survey.answered', timestamptz '2025-01-01' + random() * interval '365 days', jsonb_build_object('score', (random() * 10)::int)
FROM generate_series(1, 300000) g;
INSERT INTO events (customer_id, id, source, type, time, data)
SELECT 'c' || (1 + (g % 1000000)), 'e-x-' || g, 'shop', (ARRAY['page.viewed','cart.updated','order.delivered','email.opened'])[1 + g % 4], timestamptz '2025-01-01' + random() * interval '365 days', '{"url":"https://shop.example/p/1"}'
FROM generate_series(1, 7900000) g;
VACUUM ANALYZE;
SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables ORDER BY 2 DESC LIMIT 8;
