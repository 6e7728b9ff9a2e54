package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"time"
	"unsafe"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/jackc/pgx/v5/pgtype"
)

// Every method below is one statement or one batch (one round trip), whatever the number of rows:
// rows travel as typed arrays and unnest on the server.

const insertEvents = `INSERT INTO events (customer_id, id, source, type, time, specversion, datacontenttype, data, depth)
SELECT u.customer_id, u.id, u.source, u.type, u.time, u.specversion, u.datacontenttype, u.data::jsonb, u.depth
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::int[])
	AS u(customer_id, id, source, type, time, specversion, datacontenttype, data, depth)
ON CONFLICT DO NOTHING
RETURNING customer_id, id`

func (t *txn) InsertEvents(ctx context.Context, evs []store.StoredEvent) ([]bool, error) {
	fresh := make([]bool, len(evs))
	if len(evs) == 0 {
		return fresh, nil
	}
	// Inserted in key order: two batches carrying the same redelivered events then wait for each
	// other in one order, and cannot deadlock.
	order := make([]int, len(evs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := &evs[order[a]], &evs[order[b]]
		if x.Subject != y.Subject {
			return x.Subject < y.Subject
		}
		return x.ID < y.ID
	})
	n := len(evs)
	subj, ids, src, typ, spec, dct := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	times := make([]time.Time, n)
	data := make([]pgtype.Text, n)
	depth := make([]int32, n)
	for k, i := range order {
		ev := &evs[i]
		subj[k], ids[k], src[k], typ[k], spec[k], dct[k] = ev.Subject, ev.ID, ev.Source, ev.Type, ev.SpecVersion, ev.DataContentType
		times[k], depth[k] = ev.Time, int32(ev.Depth)
		var err error
		if ev.Data == nil {
			continue
		}
		var doc string
		if doc, err = encodeJSON(ev.Data); err != nil {
			return nil, fmt.Errorf("event %s of %s: data: %w", ev.ID, ev.Subject, err)
		}
		data[k] = pgtype.Text{String: doc, Valid: true}
	}
	rows, err := t.tx.Query(ctx, insertEvents, subj, ids, src, typ, times, spec, dct, data, depth)
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	inserted := make(map[[2]string]bool, n)
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insert events: %w", err)
		}
		inserted[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	// Of two copies in one batch the first is the fresh one.
	for i := range evs {
		k := [2]string{evs[i].Subject, evs[i].ID}
		if inserted[k] {
			fresh[i] = true
			delete(inserted, k)
		}
	}
	return fresh, nil
}

func (t *txn) LockCustomers(ctx context.Context, ids []string, now time.Time) ([]*store.Customer, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	// Two statements, so that the second one's snapshot sees the rows that other transactions
	// committed while the first waited for them. Inserts and locks both go in id order. A row the
	// first inserted is locked by it and holds only defaults, so the second reads the others only.
	rows, err := t.tx.Query(ctx, `INSERT INTO customers (id, created_at) SELECT id, $2 FROM unnest($1::text[]) AS u(id)
		ON CONFLICT DO NOTHING RETURNING id`, ids, now)
	if err != nil {
		return nil, fmt.Errorf("create customers: %w", err)
	}
	created := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("create customers: %w", err)
		}
		created[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("create customers: %w", err)
	}
	cs := make([]*store.Customer, 0, len(ids))
	others := make([]string, 0, len(ids)-len(created))
	at := now.UTC().Truncate(time.Microsecond) // as the column keeps it
	for _, id := range ids {
		if created[id] {
			cs = append(cs, &store.Customer{ID: id, Attrs: map[string]any{}, CreatedAt: at, New: true})
		} else {
			others = append(others, id)
		}
	}
	if len(others) > 0 {
		// A join with the list rather than "id = ANY($1)": on a young table whose statistics still
		// say it is tiny, the planner filters a sequential scan by the whole array, row by row.
		locked, err := collectCustomers(t.tx.Query(ctx, `SELECT `+customerCols+` FROM unnest($1::text[]) AS u(uid)
			JOIN customers ON id = uid COLLATE "C" ORDER BY id FOR UPDATE OF customers`, others))
		if err != nil {
			return nil, fmt.Errorf("lock customers: %w", err)
		}
		cs = append(cs, locked...)
		sortByID(cs)
	}
	if len(created) > 0 {
		if t.created == nil {
			t.created = make(map[string]bool, len(created))
		}
		for id := range created {
			t.created[id] = true
		}
	}
	return cs, nil
}

func sortByID(cs []*store.Customer) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
}

func (t *txn) ClaimDue(ctx context.Context, now time.Time, limit int) ([]*store.Customer, error) {
	cs, err := collectCustomers(t.tx.Query(ctx, `SELECT `+customerCols+` FROM customers
		WHERE next_wake_at <= $1 ORDER BY next_wake_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit))
	if err != nil {
		return nil, fmt.Errorf("claim due customers: %w", err)
	}
	sortByID(cs)
	return cs, nil
}

// ClaimStaleDates takes stale customers in (dates_version, id) order: the versions before the
// current one, then those after it, each an index range scan that stops at limit. A condition
// "dates_version <> $1" could not use the index and would read every customer each time.
func (t *txn) ClaimStaleDates(ctx context.Context, version string, limit int) ([]*store.Customer, error) {
	cs, err := collectCustomers(t.tx.Query(ctx, `SELECT `+customerCols+` FROM customers
		WHERE dates_version < $1 ORDER BY dates_version, id LIMIT $2 FOR UPDATE SKIP LOCKED`, version, limit))
	if err != nil {
		return nil, fmt.Errorf("claim customers with stale dates: %w", err)
	}
	if len(cs) < limit {
		more, err := collectCustomers(t.tx.Query(ctx, `SELECT `+customerCols+` FROM customers
			WHERE dates_version > $1 ORDER BY dates_version, id LIMIT $2 FOR UPDATE SKIP LOCKED`, version, limit-len(cs)))
		if err != nil {
			return nil, fmt.Errorf("claim customers with stale dates: %w", err)
		}
		cs = append(cs, more...)
	}
	sortByID(cs)
	return cs, nil
}

func (t *txn) LockCustomersAfter(ctx context.Context, after string, limit int) ([]*store.Customer, string, error) {
	cs, err := collectCustomers(t.tx.Query(ctx, `SELECT `+customerCols+` FROM customers
		WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE`, after, limit))
	if err != nil {
		return nil, "", fmt.Errorf("lock customers after %q: %w", after, err)
	}
	last := after
	if len(cs) > 0 {
		last = cs[len(cs)-1].ID
	}
	return cs, last, nil
}

func (t *txn) OpenJourneys(ctx context.Context, customerIDs []string, now time.Time) ([]*store.Journey, error) {
	t.noteOpen(customerIDs, now)
	// A customer this transaction created has no journeys but those it saved.
	if len(t.created) > 0 {
		known := make([]string, 0, len(customerIDs))
		for _, id := range customerIDs {
			if !t.created[id] || t.savedJourneys[id] {
				known = append(known, id)
			}
		}
		customerIDs = known
	}
	if len(customerIDs) == 0 {
		return nil, nil
	}
	// The first condition implies the predicate of journeys_open and the second reads
	// messages_held, so that neither reads the journeys that ended long ago.
	js, err := collectJourneys(t.tx.Query(ctx, `SELECT `+journeyCols+` FROM journeys
		WHERE customer_id = ANY($1::text[]) AND (status = 'active' OR (goal_until > $2 AND converted_at IS NULL))
	UNION ALL
	SELECT `+journeyCols+` FROM journeys
		WHERE (customer_id, id) IN (SELECT customer_id, journey_id FROM messages
			WHERE customer_id = ANY($1::text[]) AND status = 'pending' AND send_at > $2)
		AND status <> 'active' AND (goal_until IS NULL OR goal_until <= $2 OR converted_at IS NOT NULL)
	ORDER BY customer_id, entered_at, id`, customerIDs, now))
	if err != nil {
		return nil, fmt.Errorf("read open journeys: %w", err)
	}
	if t.triggers == nil {
		t.triggers = make(map[[2]string]event.Event, len(js))
	}
	for _, j := range js {
		t.triggers[[2]string{j.CustomerID, j.ID}] = j.Trigger
	}
	return js, nil
}

func (t *txn) Entries(ctx context.Context, customerIDs, flowIDs []string) ([]*store.Entry, error) {
	if len(customerIDs) == 0 || len(flowIDs) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, `SELECT customer_id, flow_id, entry_key, last_entered_at FROM entries
		WHERE customer_id = ANY($1::text[]) AND flow_id = ANY($2::text[]) ORDER BY customer_id, flow_id, entry_key`, customerIDs, flowIDs)
	if err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	defer rows.Close()
	var out []*store.Entry
	for rows.Next() {
		var e store.Entry
		if err := rows.Scan(&e.CustomerID, &e.FlowID, &e.Key, &e.LastEnteredAt); err != nil {
			return nil, fmt.Errorf("read entries: %w", err)
		}
		e.LastEnteredAt = e.LastEnteredAt.UTC()
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	return out, nil
}

const saveCustomers = `INSERT INTO customers (id, attrs, consent, created_at, orders_count, total_spent, first_order_at, last_order_at,
	sends, dates, dates_version, next_wake_at)
SELECT u.id, u.attrs::jsonb, u.consent::json, u.created_at, u.orders_count, u.total_spent::numeric, u.first_order_at, u.last_order_at,
	u.sends::json, u.dates::json, u.dates_version, u.next_wake_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::timestamptz[], $8::timestamptz[],
	$9::text[], $10::text[], $11::text[], $12::timestamptz[])
	AS u(id, attrs, consent, created_at, orders_count, total_spent, first_order_at, last_order_at, sends, dates, dates_version, next_wake_at)
ON CONFLICT (id) DO UPDATE SET attrs = excluded.attrs, consent = excluded.consent, created_at = excluded.created_at,
	orders_count = excluded.orders_count, total_spent = excluded.total_spent, first_order_at = excluded.first_order_at,
	last_order_at = excluded.last_order_at, sends = excluded.sends, dates = excluded.dates, dates_version = excluded.dates_version,
	next_wake_at = excluded.next_wake_at`

func (t *txn) SaveCustomers(ctx context.Context, cs []*store.Customer) error {
	cs = lastByKey(cs, func(c *store.Customer) string { return c.ID })
	if len(cs) == 0 {
		return nil
	}
	n := len(cs)
	ids, attrs, totals, versions := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	consent, sends, dates := make([]pgtype.Text, n), make([]pgtype.Text, n), make([]pgtype.Text, n)
	created := make([]time.Time, n)
	first, last, wake := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	counts := make([]int32, n)
	for i, c := range cs {
		a := c.Attrs
		if a == nil {
			a = map[string]any{}
		}
		var err error
		if attrs[i], err = encodeJSON(a); err != nil {
			return fmt.Errorf("customer %s: attributes: %w", c.ID, err)
		}
		if len(c.Consent) > 0 {
			if consent[i].String, err = encodeConsent(c.Consent); err != nil {
				return fmt.Errorf("customer %s: consent: %w", c.ID, err)
			}
			consent[i].Valid = true
		}
		if len(c.Sends) > 0 {
			if sends[i].String, err = encodeSends(c.Sends); err != nil {
				return fmt.Errorf("customer %s: sends: %w", c.ID, err)
			}
			sends[i].Valid = true
		}
		if c.Dates != nil {
			if dates[i].String, err = encodeDates(c.Dates); err != nil {
				return fmt.Errorf("customer %s: dates: %w", c.ID, err)
			}
			dates[i].Valid = true
		}
		ids[i], totals[i], versions[i] = c.ID, c.TotalSpent.String(), c.DatesVersion
		created[i], counts[i] = c.CreatedAt, int32(c.OrdersCount)
		first[i], last[i], wake[i] = nullTime(c.FirstOrderAt), nullTime(c.LastOrderAt), nullTime(c.NextWakeAt)
	}
	if _, err := t.tx.Exec(ctx, saveCustomers, ids, attrs, consent, created, counts, totals, first, last, sends, dates, versions, wake); err != nil {
		return fmt.Errorf("save customers: %w", err)
	}
	return nil
}

// Journeys are written in two ways. A new one is appended with COPY, which writes a page of rows
// at a time where INSERT writes each row (and its WAL record) on its own, and needs no conflict
// check; an existing one is updated in place, its trigger sent again only if it changed (a
// trigger never changes once the journey entered). Whether a journey exists is known for those
// this transaction read; for the others it is asked, in one statement. All of a customer's
// journeys are written under its lock, so no one can insert one in between.

const updateJourneys = `UPDATE journeys AS j SET flow_id = u.flow_id, flow_version = u.flow_version, key = u.key,
	status = u.status, step_id = u.step_id, wake_at = u.wake_at, wait_event = u.wait_event,
	entered_at = u.entered_at, ended_at = u.ended_at, reason = u.reason, holdout = u.holdout,
	depth = u.depth, trigger = coalesce(u.trigger::json, j.trigger), outputs = u.outputs::json,
	goal_until = u.goal_until, converted_at = u.converted_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[],
	$10::timestamptz[], $11::timestamptz[], $12::text[], $13::bool[], $14::int[], $15::text[], $16::text[], $17::timestamptz[], $18::timestamptz[])
	AS u(customer_id, id, flow_id, flow_version, key, status, step_id, wake_at, wait_event,
	entered_at, ended_at, reason, holdout, depth, trigger, outputs, goal_until, converted_at)
WHERE j.customer_id = u.customer_id AND j.id = u.id`

var journeyColumns = columnList(journeyCols)

// triggerKey is an event's identity as a map key. Data is compared by reference: a journey's
// trigger is never changed in place, so the same map means the same data.
type triggerKey struct {
	spec, id, source, typ, subject, contentType string
	unixNano                                    int64
	loc                                         *time.Location
	data                                        unsafe.Pointer
}

func keyOf(ev *event.Event) triggerKey {
	var data unsafe.Pointer
	if ev.Data != nil {
		data = reflect.ValueOf(ev.Data).UnsafePointer()
	}
	return triggerKey{ev.SpecVersion, ev.ID, ev.Source, ev.Type, ev.Subject, ev.DataContentType, ev.Time.UnixNano(), ev.Time.Location(), data}
}

func (t *txn) SaveJourneys(ctx context.Context, js []*store.Journey) error {
	js = lastByKey(js, func(j *store.Journey) string { return j.CustomerID + "\x00" + j.ID })
	if len(js) == 0 {
		return nil
	}
	var old, unknown, fresh []*store.Journey
	for _, j := range js {
		if _, ok := t.triggers[[2]string{j.CustomerID, j.ID}]; ok {
			old = append(old, j)
		} else if t.created[j.CustomerID] {
			fresh = append(fresh, j) // a customer this transaction created has no journey stored
		} else {
			unknown = append(unknown, j)
		}
	}
	if len(unknown) > 0 {
		exists, err := existing(ctx, t.tx, "journeys", "id", unknown, func(j *store.Journey) [2]string { return [2]string{j.CustomerID, j.ID} })
		if err != nil {
			return fmt.Errorf("save journeys: %w", err)
		}
		for _, j := range unknown {
			if exists[[2]string{j.CustomerID, j.ID}] {
				old = append(old, j)
			} else {
				fresh = append(fresh, j)
			}
		}
	}
	if len(old) > 0 {
		if err := t.updateJourneys(ctx, old); err != nil {
			return err
		}
	}
	if len(fresh) > 0 {
		if err := t.copyJourneys(ctx, fresh); err != nil {
			return err
		}
		// Saved again in this transaction, they are updated.
		if t.triggers == nil {
			t.triggers = make(map[[2]string]event.Event, len(fresh))
		}
		for _, j := range fresh {
			t.triggers[[2]string{j.CustomerID, j.ID}] = j.Trigger
			if t.created[j.CustomerID] {
				if t.savedJourneys == nil {
					t.savedJourneys = map[string]bool{}
				}
				t.savedJourneys[j.CustomerID] = true
			}
		}
	}
	return nil
}

func (t *txn) updateJourneys(ctx context.Context, js []*store.Journey) error {
	n := len(js)
	cids, ids, flows, versions, keys, statuses, steps, waits, reasons :=
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	triggers, outputs := make([]pgtype.Text, n), make([]pgtype.Text, n)
	wake, ended, goal, converted := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	entered := make([]time.Time, n)
	holdout := make([]bool, n)
	depth := make([]int32, n)
	for i, j := range js {
		var err error
		if stored, ok := t.triggers[[2]string{j.CustomerID, j.ID}]; !ok || keyOf(&stored) != keyOf(&j.Trigger) {
			if triggers[i].String, err = encodeTrigger(j.Trigger); err != nil {
				return fmt.Errorf("journey %s: trigger: %w", j.ID, err)
			}
			triggers[i].Valid = true
		}
		if j.Outputs != nil {
			if outputs[i].String, err = encodeOutputs(j.Outputs); err != nil {
				return fmt.Errorf("journey %s: outputs: %w", j.ID, err)
			}
			outputs[i].Valid = true
		}
		cids[i], ids[i], flows[i], versions[i], keys[i] = j.CustomerID, j.ID, j.FlowID, j.FlowVersion, j.Key
		statuses[i], steps[i], waits[i], reasons[i] = j.Status, j.StepID, j.WaitEvent, j.Reason
		wake[i], ended[i], goal[i], converted[i] = nullTime(j.WakeAt), nullTime(j.EndedAt), nullTime(j.GoalUntil), nullTime(j.ConvertedAt)
		entered[i], holdout[i], depth[i] = j.EnteredAt, j.Holdout, int32(j.Depth)
	}
	if _, err := t.tx.Exec(ctx, updateJourneys, cids, ids, flows, versions, keys, statuses, steps, wake, waits,
		entered, ended, reasons, holdout, depth, triggers, outputs, goal, converted); err != nil {
		return fmt.Errorf("save journeys: %w", err)
	}
	return nil
}

// copyJourneys appends new journeys. Journeys started by one event share its trigger, encoded once.
func (t *txn) copyJourneys(ctx context.Context, js []*store.Journey) error {
	docs := map[triggerKey]string{}
	b := newBinaryCopy(len(js) * 600)
	for _, j := range js {
		k := keyOf(&j.Trigger)
		doc, ok := docs[k]
		if !ok {
			var err error
			if doc, err = encodeTrigger(j.Trigger); err != nil {
				return fmt.Errorf("journey %s: trigger: %w", j.ID, err)
			}
			docs[k] = doc
		}
		var outputs string
		if j.Outputs != nil {
			var err error
			if outputs, err = encodeOutputs(j.Outputs); err != nil {
				return fmt.Errorf("journey %s: outputs: %w", j.ID, err)
			}
		}
		// In the order of journeyCols.
		b.row(len(journeyColumns))
		b.texts(j.CustomerID, j.ID, j.FlowID, j.FlowVersion, j.Key, j.Status, j.StepID)
		b.nullTime(j.WakeAt)
		b.text(j.WaitEvent)
		b.time(j.EnteredAt)
		b.nullTime(j.EndedAt)
		b.text(j.Reason)
		b.boolean(j.Holdout)
		b.int4(int32(j.Depth))
		b.text(doc)
		b.nullText(outputs, j.Outputs != nil)
		b.nullTime(j.GoalUntil)
		b.nullTime(j.ConvertedAt)
	}
	if err := b.send(ctx, t.tx, "journeys", journeyColumns); err != nil {
		return fmt.Errorf("save journeys: %w", err)
	}
	return nil
}

func (t *txn) SaveEntries(ctx context.Context, es []*store.Entry) error {
	es = lastByKey(es, func(e *store.Entry) string { return e.CustomerID + "\x00" + e.FlowID + "\x00" + e.Key })
	if len(es) == 0 {
		return nil
	}
	n := len(es)
	cids, flows, keys := make([]string, n), make([]string, n), make([]string, n)
	at := make([]time.Time, n)
	for i, e := range es {
		cids[i], flows[i], keys[i], at[i] = e.CustomerID, e.FlowID, e.Key, e.LastEnteredAt
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO entries (customer_id, flow_id, entry_key, last_entered_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
		ON CONFLICT (customer_id, flow_id, entry_key) DO UPDATE SET last_entered_at = excluded.last_entered_at`,
		cids, flows, keys, at); err != nil {
		return fmt.Errorf("save entries: %w", err)
	}
	return nil
}

var messageColumns = columnList(messageCols)

// InsertMessages appends with COPY the messages that do not exist yet (see SaveJourneys): a
// customer's messages are written under its lock, and message ids are derived from what they are,
// so a message already there is the same message.
func (t *txn) InsertMessages(ctx context.Context, ms []*store.Message) error {
	ms = firstByKey(ms, func(m *store.Message) [2]string { return [2]string{m.CustomerID, m.ID} })
	if len(ms) == 0 {
		return nil
	}
	// The messages of a customer this transaction created can only be those it wrote itself.
	var unknown, fresh []*store.Message
	for _, m := range ms {
		k := [2]string{m.CustomerID, m.ID}
		switch {
		case t.created[m.CustomerID] && t.messagesWritten[k]:
		case t.created[m.CustomerID]:
			fresh = append(fresh, m)
		default:
			unknown = append(unknown, m)
		}
	}
	if len(unknown) > 0 {
		exists, err := existing(ctx, t.tx, "messages", "id", unknown, func(m *store.Message) [2]string { return [2]string{m.CustomerID, m.ID} })
		if err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
		for _, m := range unknown {
			if !exists[[2]string{m.CustomerID, m.ID}] {
				fresh = append(fresh, m)
			}
		}
	}
	if ms = fresh; len(ms) == 0 {
		return nil
	}
	for _, m := range ms {
		t.noteHeld(m)
		if t.created[m.CustomerID] {
			if t.messagesWritten == nil {
				t.messagesWritten = map[[2]string]bool{}
			}
			t.messagesWritten[[2]string{m.CustomerID, m.ID}] = true
		}
	}
	b := newBinaryCopy(len(ms) * 1200)
	for _, m := range ms {
		to, err := encodeRecipient(m.To)
		if err != nil {
			return fmt.Errorf("message %s: recipient: %w", m.ID, err)
		}
		content, err := encodeContent(m.Content)
		if err != nil {
			return fmt.Errorf("message %s: content: %w", m.ID, err)
		}
		// In the order of messageCols.
		b.row(len(messageColumns))
		b.texts(m.CustomerID, m.ID, m.JourneyID, m.FlowID, m.FlowVersion, m.StepID, m.Channel, string(m.Shape), m.Category,
			m.IdempotencyKey, m.Status, m.Reason)
		b.time(m.SendAt)
		b.time(m.CreatedAt)
		b.texts(m.Locale, to, content, m.UnsubscribeURL)
		b.int4(int32(m.Attempts))
		b.nullTime(m.LeaseUntil)
		b.text(m.ProviderID)
		b.nullTime(m.SentAt)
		b.text(m.LastError)
		b.int2(int16(m.Priority))
	}
	if err := b.send(ctx, t.tx, "messages", messageColumns); err != nil {
		return fmt.Errorf("insert messages: %w", err)
	}
	return nil
}

// LockSchedule never waits, and writes nothing when the schedule exists: a fan-out loop that
// finds nothing due commits without a WAL flush. The lock is a transaction-scoped advisory lock
// on the flow within this schema, tried without waiting; whoever holds it is the only one reading
// or writing the row (SaveSchedule is for the holder). The row is read by a second statement, so
// that its snapshot, taken after the lock was granted, sees what the previous holder committed.
func (t *txn) LockSchedule(ctx context.Context, flowID string) (*store.Schedule, error) {
	var ok bool
	if err := t.tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended('afterglow schedule ' || current_schema() || ' ' || $1, 0))`,
		flowID).Scan(&ok); err != nil {
		return nil, fmt.Errorf("lock schedule %s: %w", flowID, err)
	}
	if !ok {
		return nil, nil
	}
	s, err := scanSchedule(t.tx.QueryRow(ctx, `WITH found AS (
		SELECT `+scheduleCols+` FROM schedules WHERE flow_id = $1
	), created AS (
		INSERT INTO schedules (flow_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM found)
		ON CONFLICT DO NOTHING RETURNING `+scheduleCols+`
	)
	SELECT * FROM found UNION ALL SELECT * FROM created`, flowID))
	if err != nil {
		return nil, fmt.Errorf("lock schedule %s: %w", flowID, err)
	}
	return &s, nil
}

// SaveSchedule writes only a change: saving the state LockSchedule returned costs nothing.
func (t *txn) SaveSchedule(ctx context.Context, s *store.Schedule) error {
	if _, err := t.tx.Exec(ctx, `WITH changed AS (
		UPDATE schedules SET spec = $2, fire_at = $3, cursor_id = $4, last_fired = $5
		WHERE flow_id = $1 AND (spec, fire_at, cursor_id, last_fired) IS DISTINCT FROM ($2::text, $3::timestamptz, $4::text, $5::timestamptz)
		RETURNING 1
	)
	INSERT INTO schedules (`+scheduleCols+`) SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM schedules WHERE flow_id = $1)
	ON CONFLICT (flow_id) DO UPDATE SET spec = excluded.spec, fire_at = excluded.fire_at, cursor_id = excluded.cursor_id, last_fired = excluded.last_fired`,
		s.FlowID, s.Spec, nullTime(s.FireAt), s.Cursor, nullTime(s.LastFired)); err != nil {
		return fmt.Errorf("save schedule %s: %w", s.FlowID, err)
	}
	return nil
}

func (t *txn) SaveFlowVersions(ctx context.Context, vs []store.FlowVersion) error {
	if len(vs) == 0 {
		return nil
	}
	n := len(vs)
	versions, flows, files := make([]string, n), make([]string, n), make([]string, n)
	sources := make([][]byte, n)
	templates := make([]*string, n)
	for i, v := range vs {
		versions[i], flows[i], files[i], sources[i] = v.Version, v.FlowID, v.File, v.Source
		if sources[i] == nil {
			sources[i] = []byte{}
		}
		if v.Templates != nil {
			b, err := json.Marshal(v.Templates)
			if err != nil {
				return fmt.Errorf("save flow versions: %w", err)
			}
			s := string(b)
			templates[i] = &s
		}
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO flow_versions (version, flow_id, source, file, templates)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::json[]) ON CONFLICT DO NOTHING`,
		versions, flows, sources, files, templates); err != nil {
		return fmt.Errorf("save flow versions: %w", err)
	}
	return nil
}

func (t *txn) SaveWorkspace(ctx context.Context, w *store.Workspace) error {
	versions := w.Versions
	if versions == nil {
		versions = []string{}
	}
	settings := w.Settings
	if settings == nil {
		settings = []byte{}
	}
	events := w.Events
	if events == nil {
		events = []store.SourceFile{}
	}
	eventsJSON, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("save the workspace: %w", err)
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO last_workspace (saved_at, dir, settings_file, settings, schema_file, schema, events,
			catalog_file, catalog, versions)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (one) DO UPDATE SET saved_at = $1, dir = $2, settings_file = $3, settings = $4, schema_file = $5, schema = $6,
			events = $7, catalog_file = $8, catalog = $9, versions = $10`,
		w.SavedAt, w.Dir, w.SettingsFile, settings, w.SchemaFile, w.Schema, string(eventsJSON), w.CatalogFile, w.Catalog, versions); err != nil {
		return fmt.Errorf("save the workspace: %w", err)
	}
	return nil
}

// ClaimMessages leases due messages. A sending message was due when it was leased, so its
// send_at has passed too: "send_at <= now" bounds the index scan for both kinds, and messages
// scheduled for later are never read.
func (t *txn) ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*store.Message, error) {
	ms, err := collectMessages(t.tx.Query(ctx, `WITH due AS (
		SELECT customer_id, id FROM messages
		WHERE status IN ('pending', 'sending') AND send_at <= $1 AND (status = 'pending' OR lease_until IS NULL OR lease_until < $1)
		ORDER BY send_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
	)
	UPDATE messages m SET status = 'sending', lease_until = $2 FROM due
	WHERE m.customer_id = due.customer_id AND m.id = due.id
	RETURNING `+prefixed("m.", messageCols), now, leaseUntil, limit))
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	sortMessages(ms)
	return ms, nil
}

func sortMessages(ms []*store.Message) {
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].SendAt.Equal(ms[j].SendAt) {
			return ms[i].SendAt.Before(ms[j].SendAt)
		}
		return ms[i].ID < ms[j].ID
	})
}

func (t *txn) ReleaseMessages(ctx context.Context, ms []*store.Message) error {
	if len(ms) == 0 {
		return nil
	}
	cids, ids, leases := make([]string, len(ms)), make([]string, len(ms)), make([]time.Time, len(ms))
	for i, m := range ms {
		cids[i], ids[i], leases[i] = m.CustomerID, m.ID, m.LeaseUntil
	}
	if _, err := t.tx.Exec(ctx, `UPDATE messages AS m SET status = 'pending', lease_until = NULL
		FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(customer_id, id, lease_until)
		WHERE m.customer_id = u.customer_id AND m.id = u.id AND m.status = 'sending' AND m.lease_until = u.lease_until`,
		cids, ids, leases); err != nil {
		return fmt.Errorf("release messages: %w", err)
	}
	return nil
}

const finishMessages = `UPDATE messages AS m SET status = u.status, reason = u.reason, send_at = u.send_at,
	attempts = u.attempts, lease_until = u.lease_until, provider_id = u.provider_id, sent_at = u.sent_at, last_error = u.last_error
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[], $7::timestamptz[], $8::text[],
	$9::timestamptz[], $10::text[])
	AS u(customer_id, id, status, reason, send_at, attempts, lease_until, provider_id, sent_at, last_error)
WHERE m.customer_id = u.customer_id AND m.id = u.id`

// An attempt already recorded under its number stays as it was; of two in one group, the first.
const insertAttempts = `INSERT INTO attempts (customer_id, message_id, n, at, outcome, provider_id, error)
SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::text[], $6::text[], $7::text[])
ON CONFLICT DO NOTHING`

// FinishAttempts writes a group in two statements whatever its size: a dispatcher's recorder
// sent two per attempt before, and the database spent more on those round trips than on the rows.
// Only what an attempt changes is written: the content, rendered once, stays where it is.
func (t *txn) FinishAttempts(ctx context.Context, fs []store.Finish) error {
	if len(fs) == 0 {
		return nil
	}
	ms := make([]*store.Message, len(fs))
	for i, f := range fs {
		ms[i] = f.Message
	}
	ms = lastByKey(ms, func(m *store.Message) string { return m.CustomerID + "\x00" + m.ID })
	n := len(ms)
	cids, ids, statuses, reasons, providers, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	sendAt := make([]time.Time, n)
	attempts := make([]int32, n)
	lease, sent := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	for i, m := range ms {
		cids[i], ids[i], statuses[i], reasons[i], providers[i], errs[i] = m.CustomerID, m.ID, m.Status, m.Reason, m.ProviderID, m.LastError
		sendAt[i], attempts[i], lease[i], sent[i] = m.SendAt, int32(m.Attempts), nullTime(m.LeaseUntil), nullTime(m.SentAt)
	}
	tag, err := t.tx.Exec(ctx, finishMessages, cids, ids, statuses, reasons, sendAt, attempts, lease, providers, sent, errs)
	if err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	if int(tag.RowsAffected()) != n {
		return fmt.Errorf("record attempts: %d of %d messages found: no such message", tag.RowsAffected(), n)
	}
	k := len(fs)
	acids, aids, outcomes, aproviders, aerrs := make([]string, k), make([]string, k), make([]string, k), make([]string, k), make([]string, k)
	ns := make([]int32, k)
	at := make([]time.Time, k)
	for i, f := range fs {
		a := f.Attempt
		acids[i], aids[i], ns[i], at[i] = f.Message.CustomerID, f.Message.ID, int32(a.N), a.At
		outcomes[i], aproviders[i], aerrs[i] = a.Outcome, a.ProviderID, a.Error
	}
	if _, err := t.tx.Exec(ctx, insertAttempts, acids, aids, ns, at, outcomes, aproviders, aerrs); err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	return nil
}
