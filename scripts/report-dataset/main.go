// Command report-dataset fills a PostgreSQL schema with a big shop's year, generated in SQL, to
// measure `afterglow report` and ingest on it: customers, their orders (some cancelled, some
// refunded, a few in dollars), the events those orders and their customers sent, and what three
// flows made of them (journeys and messages), as the engine would have stored them.
//
//	go run ./scripts/report-dataset --db postgres://postgres@127.0.0.1:5432/postgres --schema report_big
//	afterglow report --db postgres://postgres@127.0.0.1:5432/postgres --schema report_big --from 2025-01 --to 2025-12
//
// The defaults make 1,000,000 customers and 10,000,000 events over 2025 (with the months before,
// which returning customers need), which takes 15 to 25 minutes on two cores. The same arguments
// make the same data.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/jackc/pgx/v5"
)

func main() {
	db := flag.String("db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "database URL")
	schema := flag.String("schema", "report_big", "schema to create (it must not exist, unless --replace)")
	customers := flag.Int("customers", 1_000_000, "customers")
	events := flag.Int("events", 10_000_000, "events in all (checkouts fill what orders and surveys leave)")
	replace := flag.Bool("replace", false, "drop the schema first if it exists")
	flag.Parse()
	if err := run(context.Background(), *db, *schema, *customers, *events, *replace); err != nil {
		fmt.Fprintln(os.Stderr, "report-dataset:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, schema string, customers, events int, replace bool) error {
	if replace {
		if err := pgstore.DropSchema(ctx, url, schema); err != nil {
			return err
		}
	}
	pool, err := pgstore.Connect(ctx, url, pgstore.Options{Schema: schema, MaxConns: 2})
	if err != nil {
		return err
	}
	if _, err := pgstore.Migrate(ctx, pool); err != nil {
		pool.Close()
		return err
	}
	pool.Close()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["search_path"] = schema
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM customers`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("schema %s already holds %d customers: give --replace to make it again", schema, n)
	}
	began := time.Now()
	for _, s := range steps(customers, events) {
		t := time.Now()
		tag, err := conn.Exec(ctx, s.sql)
		if err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		fmt.Printf("%-40s %10d rows  %6.1f s\n", s.what, tag.RowsAffected(), time.Since(t).Seconds())
	}
	fmt.Printf("done in %.0f s\n", time.Since(began).Seconds())
	return nil
}

type step struct{ what, sql string }

func steps(customers, events int) []step {
	return []step{
		{"seed", `SELECT setseed(0.2025)`},
		{"work_mem", `SET work_mem = '256MB'`},
		// Customers join from mid-2024 to the end of 2025; 85% buy, a geometric number of times; one
		// in ten is in the holdout of the flows that have one.
		{"customers (scratch)", fmt.Sprintf(`CREATE TEMP TABLE g_customers AS
			SELECT i, 'c' || lpad(i::text, 7, '0') AS cid,
				timestamptz '2024-07-01 05:00+00' + random() * interval '548 days' AS created,
				random() < 0.85 AS buys,
				1 + least(24, floor(-ln(1 - random()) * 2.0))::int AS k,
				(hashtext(i::text) & 1023) < 102 AS holdout,
				random() < 0.9 AS email_ok
			FROM generate_series(1, %d) i`, customers)},
		// Orders: the first within three weeks of joining, the next ones 40 days apart on average.
		{"orders (scratch)", `CREATE TEMP TABLE g_orders AS
			SELECT cid, holdout, email_ok, oid, placed, total, currency, cancelled, refunded,
				lead(placed) OVER (PARTITION BY cid ORDER BY placed) AS next_placed,
				random() < 0.25 AS surveyed, floor(random() * 11)::int AS score, random() < 0.4 AS replenish
			FROM (
				SELECT c.cid, c.holdout, c.email_ok, c.cid || '-' || g.n AS oid,
					c.created + random() * interval '21 days'
						+ interval '1 day' * sum(CASE WHEN g.n = 1 THEN 0 ELSE -ln(1 - random()) * 40 END) OVER (PARTITION BY c.i ORDER BY g.n) AS placed,
					round((20 + random() * 180)::numeric, 2) AS total,
					CASE WHEN random() < 0.01 THEN 'USD' ELSE 'PEN' END AS currency,
					random() < 0.03 AS cancelled,
					CASE WHEN random() < 0.06 THEN round((5 + random() * 40)::numeric, 2) END AS refunded
				FROM g_customers c, generate_series(1, c.k) g(n)
				WHERE c.buys
			) o
			WHERE placed < '2026-01-01 05:00+00'`},
		{"orders", `INSERT INTO orders (customer_id, order_id, placed_at, currency, total, refunded, cancelled_at, items, seq, first_at, prev_at)
			SELECT cid, oid, placed, currency, total, coalesce(refunded, 0), CASE WHEN cancelled THEN placed + interval '20 hours' END,
				json_build_array(json_build_object('product_id', 'p' || (hashtext(oid) & 63), 'sku', 'SKU-' || (hashtext(oid) & 63), 'quantity', 1, 'price', total)),
				coalesce(seq, 0), first_at, prev_at
			FROM g_orders LEFT JOIN (
				SELECT oid, row_number() OVER w AS seq, first_value(placed) OVER w AS first_at, lag(placed) OVER w AS prev_at
				FROM g_orders WHERE NOT cancelled
				WINDOW w AS (PARTITION BY cid ORDER BY placed, oid)
			) r USING (oid)`},
		{"customers", `INSERT INTO customers (id, attrs, created_at, orders_count, total_spent, first_order_at, last_order_at)
			SELECT c.cid, jsonb_build_object('email', c.cid || '@example.com', 'first_name', 'C' || c.i), c.created,
				coalesce(m.n, 0), coalesce(m.spent, 0), m.first, m.last
			FROM g_customers c LEFT JOIN (
				SELECT cid, count(*) AS n, sum(greatest(total - coalesce(refunded, 0), 0)) AS spent, min(placed) AS first, max(placed) AS last
				FROM g_orders WHERE NOT cancelled GROUP BY cid
			) m USING (cid)`},
		{"events: customers", `INSERT INTO events (customer_id, id, source, type, time, specversion, data)
			SELECT cid, cid || '/created', 'bench', 'customer.created', created, '1.0', jsonb_build_object('email', cid || '@example.com')
			FROM g_customers`},
		{"events: orders placed", `INSERT INTO events (customer_id, id, source, type, time, specversion, data)
			SELECT cid, oid || '/placed', 'bench', 'order.placed', placed, '1.0',
				jsonb_build_object('order_id', oid, 'total', total, 'currency', currency,
					'items', jsonb_build_array(jsonb_build_object('product_id', 'p' || (hashtext(oid) & 63), 'sku', 'SKU-' || (hashtext(oid) & 63), 'quantity', 1, 'price', total)))
			FROM g_orders`},
		{"events: fulfilled and delivered", `INSERT INTO events (customer_id, id, source, type, time, specversion, data)
			SELECT cid, oid || '/' || t, 'bench', 'order.' || t, placed + d, '1.0', jsonb_build_object('order_id', oid)
			FROM g_orders, (VALUES ('fulfilled', interval '1 day'), ('delivered', interval '3 days')) AS s(t, d)
			WHERE NOT cancelled`},
		{"events: cancelled and refunded", `INSERT INTO events (customer_id, id, source, type, time, specversion, data)
			SELECT cid, oid || '/cancelled', 'bench', 'order.cancelled', placed + interval '20 hours', '1.0', jsonb_build_object('order_id', oid)
			FROM g_orders WHERE cancelled
			UNION ALL
			SELECT cid, oid || '/refunded', 'bench', 'order.refunded', placed + interval '10 days', '1.0', jsonb_build_object('order_id', oid, 'amount', refunded)
			FROM g_orders WHERE refunded IS NOT NULL`},
		{"events: surveys", `INSERT INTO events (customer_id, id, source, type, time, specversion, data)
			SELECT cid, oid || '/survey', 'bench', 'survey.answered', placed + interval '5 days', '1.0', jsonb_build_object('order_id', oid, 'score', score)
			FROM g_orders WHERE surveyed AND NOT cancelled`},
		{"events: checkouts (the rest)", fmt.Sprintf(`INSERT INTO events (customer_id, id, source, type, time, specversion, data)
			SELECT 'c' || lpad((1 + floor(random() * %d))::int::text, 7, '0'), 'checkout-' || i, 'bench', 'checkout.started',
				timestamptz '2024-07-01 05:00+00' + random() * interval '548 days', '1.0', jsonb_build_object('checkout_id', 'k' || i)
			FROM generate_series(1, greatest(0, %d - (SELECT count(*) FROM events))) i`, customers, events)},
		{"flow versions", `INSERT INTO flow_versions (version, flow_id, source, file) VALUES
			('ty-v1', 'thank-you-nps', 'flow: thank-you-nps
trigger: {event: order.placed}
goal: {event: survey.answered, within: 30d}
steps: []
', 'flows/thank-you-nps.yaml'),
			('wb-v1', 'win-back', 'flow: win-back
trigger: {event: order.placed}
holdout: "10%"
steps: []
', 'flows/win-back.yaml'),
			('rp-v1', 'replenishment', 'flow: replenishment
trigger: {event: order.placed}
holdout: "10%"
goal: {event: order.placed, within: 45d}
steps: []
', 'flows/replenishment.yaml')`},
		// Thank-you and NPS for every order, converted by the survey; win-back after every order, no
		// goal, with a holdout; replenishment after two orders in five, converted by the next order.
		// A journey keeps the event that started it: an order of about 800 bytes, as Shopify's
		// orders/create makes it.
		{"triggers (scratch)", `CREATE TEMP TABLE g_triggers AS
			SELECT oid, json_build_object('specversion', '1.0', 'id', 'shopify/tienda.myshopify.com/order/' || oid || '/placed',
				'source', 'shopify/tienda.myshopify.com', 'type', 'order.placed', 'subject', cid, 'time', placed,
				'data', json_build_object('order_id', oid, 'total', total, 'currency', currency,
					'items', json_build_array(json_build_object('sku', 'SER-VITC-30', 'product_id', '7712', 'variant_id', '44112233445566',
						'name', 'Sérum Vitamina C 30 ml', 'quantity', 1, 'price', total)),
					'subtotal', total, 'discounts', '0.00', 'order_name', '#' || oid, 'order_number', oid, 'financial_status', 'paid',
					'discount_codes', json_build_array(), 'landing_site', '/products/serum-vitamina-c?utm_source=newsletter&utm_medium=email',
					'referring_site', 'https://www.google.com/', 'source_name', 'web',
					'status_url', 'https://tienda.myshopify.com/60123456789/orders/' || md5(oid) || '/authenticate?key=' || md5(cid),
					'tags', json_build_array('web', 'lima'))) AS trigger
			FROM g_orders`},
		{"journeys", `INSERT INTO journeys (customer_id, id, flow_id, flow_version, key, status, step_id, entered_at, ended_at, holdout, goal_until, converted_at, trigger)
			SELECT cid, oid || '/ty', 'thank-you-nps', 'ty-v1', oid, 'completed', 'nps', placed, placed + interval '5 days', false, NULL::timestamptz,
				CASE WHEN surveyed AND NOT cancelled THEN placed + interval '5 days' END, trigger
			FROM g_orders JOIN g_triggers USING (oid)
			UNION ALL
			SELECT cid, oid || '/wb', 'win-back', 'wb-v1', '', CASE WHEN next_placed < placed + interval '90 days' THEN 'exited' ELSE 'completed' END,
				'day-90', placed, least(next_placed, placed + interval '90 days'), holdout, NULL, NULL, trigger
			FROM g_orders JOIN g_triggers USING (oid)
			UNION ALL
			SELECT cid, oid || '/rp', 'replenishment', 'rp-v1', oid, CASE WHEN next_placed < placed + interval '25 days' THEN 'converted' ELSE 'completed' END,
				'remind', placed, least(next_placed, placed + interval '25 days'), holdout, NULL,
				CASE WHEN next_placed < placed + interval '45 days' THEN next_placed END, trigger
			FROM g_orders JOIN g_triggers USING (oid) WHERE replenish`},
		// A message keeps its rendered content: a subject and some 800 bytes of text.
		{"messages", `INSERT INTO messages (customer_id, id, journey_id, flow_id, flow_version, step_id, channel, category, status, reason, send_at, created_at, sent_at,
				recipient, content)
			SELECT customer_id, id, journey_id, flow_id, flow_version, step_id, channel, category, status, reason, send_at, created_at, sent_at,
				json_build_object('customer_id', customer_id, 'email', customer_id || '@example.com', 'name', 'Laura Pérez'),
				json_build_object('subject', '¡Gracias, Laura! Recibimos tu pedido ' || journey_id, 'text',
					repeat('Hola Laura, gracias por tu compra en Tienda Aurora. Tu pedido ya está en camino y te avisaremos cuando llegue. ', 7))
			FROM (
			SELECT cid AS customer_id, oid || '/ty/thanks' AS id, oid || '/ty' AS journey_id, 'thank-you-nps' AS flow_id, 'ty-v1' AS flow_version,
				'thanks' AS step_id, 'email' AS channel, 'transactional' AS category, 'sent' AS status, '' AS reason,
				placed AS send_at, placed AS created_at, placed AS sent_at
			FROM g_orders
			UNION ALL
			SELECT cid, oid || '/ty/nps', oid || '/ty', 'thank-you-nps', 'ty-v1', 'nps', 'email', 'marketing',
				CASE WHEN email_ok THEN 'sent' ELSE 'skipped' END, CASE WHEN email_ok THEN '' ELSE 'consent' END,
				placed + interval '5 days', placed + interval '3 days', CASE WHEN email_ok THEN placed + interval '5 days' END
			FROM g_orders WHERE NOT cancelled
			UNION ALL
			SELECT cid, oid || '/wb/30', oid || '/wb', 'win-back', 'wb-v1', 'day-30', 'email', 'marketing',
				CASE WHEN holdout OR NOT email_ok THEN 'skipped' ELSE 'sent' END,
				CASE WHEN holdout THEN 'holdout' WHEN NOT email_ok THEN 'consent' ELSE '' END,
				placed + interval '30 days', placed + interval '30 days', CASE WHEN NOT holdout AND email_ok THEN placed + interval '30 days' END
			FROM g_orders WHERE next_placed IS NULL OR next_placed > placed + interval '30 days'
			UNION ALL
			SELECT cid, oid || '/rp/remind', oid || '/rp', 'replenishment', 'rp-v1', 'remind', 'sms', 'marketing',
				CASE WHEN holdout THEN 'skipped' ELSE 'sent' END, CASE WHEN holdout THEN 'holdout' ELSE '' END,
				placed + interval '25 days', placed + interval '25 days', CASE WHEN NOT holdout THEN placed + interval '25 days' END
			FROM g_orders WHERE replenish AND (next_placed IS NULL OR next_placed > placed + interval '25 days')
			) m`},
		{"vacuum analyze", `VACUUM ANALYZE customers, orders, events, journeys, messages, flow_versions`},
	}
}
