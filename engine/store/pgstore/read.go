package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

func (s *Store) Customer(ctx context.Context, id string) (*store.Customer, error) {
	c, err := scanCustomer(s.pool.QueryRow(ctx, `SELECT `+customerCols+` FROM customers WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err)
	}
	return c, nil
}

// where builds the conditions of a filter whose empty fields match all.
func where(pairs ...string) (string, []any) {
	var conds []string
	var args []any
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			args = append(args, pairs[i+1])
			conds = append(conds, fmt.Sprintf("%s = $%d", pairs[i], len(args)))
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (s *Store) Journeys(ctx context.Context, f store.JourneyFilter) ([]*store.Journey, error) {
	w, args := where("customer_id", f.CustomerID, "flow_id", f.FlowID, "status", f.Status)
	js, err := collectJourneys(s.pool.Query(ctx, `SELECT `+journeyCols+` FROM journeys`+w+` ORDER BY customer_id, entered_at, id`, args...))
	if err != nil {
		return nil, fmt.Errorf("read journeys: %w", err)
	}
	return js, nil
}

func (s *Store) Messages(ctx context.Context, f store.MessageFilter) ([]*store.Message, error) {
	w, args := where("customer_id", f.CustomerID, "flow_id", f.FlowID, "status", f.Status)
	ms, err := collectMessages(s.pool.Query(ctx, `SELECT `+messageCols+` FROM messages`+w+` ORDER BY send_at, id`, args...))
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	return ms, nil
}

func (s *Store) Attempts(ctx context.Context, messageID string) ([]store.Attempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT customer_id, message_id, n, at, outcome, provider_id, error FROM attempts
		WHERE message_id = $1 ORDER BY n`, messageID)
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	defer rows.Close()
	var out []store.Attempt
	for rows.Next() {
		var a store.Attempt
		if err := rows.Scan(&a.CustomerID, &a.MessageID, &a.N, &a.At, &a.Outcome, &a.ProviderID, &a.Error); err != nil {
			return nil, fmt.Errorf("read attempts: %w", err)
		}
		a.At = a.At.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	return out, nil
}

func (s *Store) FlowVersion(ctx context.Context, version string) (*store.FlowVersion, error) {
	return scanFlowVersion(s.pool.QueryRow(ctx, flowVersionQuery, version))
}

const flowVersionQuery = `SELECT version, flow_id, source, file, templates FROM flow_versions WHERE version = $1`

func scanFlowVersion(row pgx.Row) (*store.FlowVersion, error) {
	var v store.FlowVersion
	var templates []byte
	if err := row.Scan(&v.Version, &v.FlowID, &v.Source, &v.File, &templates); err != nil {
		return nil, notFound(err)
	}
	if templates != nil {
		if err := json.Unmarshal(templates, &v.Templates); err != nil {
			return nil, fmt.Errorf("flow version %s: its templates: %w", v.Version, err)
		}
		if v.Templates == nil {
			v.Templates = []store.TemplateSource{}
		}
	}
	return &v, nil
}

func (s *Store) LastWorkspace(ctx context.Context) (*store.Workspace, error) {
	var w store.Workspace
	var events []byte
	err := s.pool.QueryRow(ctx, `SELECT saved_at, dir, settings_file, settings, schema_file, schema, events, catalog_file, catalog, versions
		FROM last_workspace`).
		Scan(&w.SavedAt, &w.Dir, &w.SettingsFile, &w.Settings, &w.SchemaFile, &w.Schema, &events, &w.CatalogFile, &w.Catalog, &w.Versions)
	if err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal(events, &w.Events); err != nil {
		return nil, fmt.Errorf("the last workspace's event types: %w", err)
	}
	if len(w.Events) == 0 {
		w.Events = nil
	}
	return &w, nil
}

func (s *Store) Event(ctx context.Context, customerID, id string) (*store.StoredEvent, error) {
	e, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE customer_id = $1 AND id = $2`, customerID, id))
	if err != nil {
		return nil, notFound(err)
	}
	return e, nil
}

func (s *Store) Schedules(ctx context.Context) ([]store.Schedule, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+scheduleCols+` FROM schedules ORDER BY flow_id`)
	if err != nil {
		return nil, fmt.Errorf("read schedules: %w", err)
	}
	defer rows.Close()
	var out []store.Schedule
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("read schedules: %w", err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schedules: %w", err)
	}
	return out, nil
}

func (s *Store) NextWake(ctx context.Context) (time.Time, bool, error) {
	var t pgtype.Timestamptz
	if err := s.pool.QueryRow(ctx, `SELECT min(next_wake_at) FROM customers`).Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("read the next wake time: %w", err)
	}
	return fromNull(t), t.Valid, nil
}

// Stats counts every event and message: exact, as the in-memory store's, and so a full scan of
// those tables on each call.
func (s *Store) Stats(ctx context.Context, now time.Time) (*store.Stats, error) {
	st := &store.Stats{ActiveJourneys: map[string]int64{}, Messages: map[[2]string]int64{}}
	b := &pgx.Batch{}
	b.Queue(`SELECT flow_id, count(*) FROM journeys WHERE status = 'active' GROUP BY flow_id`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var flow string
			var n int64
			if err := rows.Scan(&flow, &n); err != nil {
				return err
			}
			st.ActiveJourneys[flow] = n
		}
		return rows.Err()
	})
	b.Queue(`SELECT channel, status, count(*) FROM messages GROUP BY channel, status`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k [2]string
			var n int64
			if err := rows.Scan(&k[0], &k[1], &n); err != nil {
				return err
			}
			st.Messages[k] = n
		}
		return rows.Err()
	})
	b.Queue(`SELECT min(next_wake_at) FROM customers WHERE next_wake_at <= $1`, now).QueryRow(func(r pgx.Row) error {
		var t pgtype.Timestamptz
		err := r.Scan(&t)
		st.OldestDueTimer = fromNull(t)
		return err
	})
	b.Queue(`SELECT min(send_at) FROM messages WHERE status IN ('pending', 'sending') AND status = 'pending' AND send_at <= $1`, now).QueryRow(func(r pgx.Row) error {
		var t pgtype.Timestamptz
		err := r.Scan(&t)
		st.OldestDueMessage = fromNull(t)
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("read stats: %w", err)
	}
	return st, nil
}

// CustomerOfOrder finds the customer of an order through its order.placed event. Should several
// carry the order id, the earliest wins (then the lowest customer id).
func (s *Store) CustomerOfOrder(ctx context.Context, source, orderID string) (string, bool, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT customer_id FROM events
		WHERE type = 'order.placed' AND source = $1 AND data ->> 'order_id' = $2
		ORDER BY time, customer_id LIMIT 1`, source, orderID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find the customer of order %s from %s: %w", orderID, source, err)
	}
	return id, true, nil
}

// FlowVersion reads a flow version on the transaction's own connection: a process whose
// connections are all inside transactions must still be able to read one.
func (t *txn) FlowVersion(ctx context.Context, version string) (*store.FlowVersion, error) {
	return scanFlowVersion(t.tx.QueryRow(ctx, flowVersionQuery, version))
}

func (s *Store) Events(ctx context.Context, f store.EventFilter) ([]*store.StoredEvent, error) {
	q := `SELECT ` + eventCols + ` FROM events WHERE customer_id = $1 AND ($2::text = '' OR type = $2) ORDER BY time DESC, id DESC`
	args := []any{f.CustomerID, f.Type}
	if f.Limit > 0 {
		q += ` LIMIT $3`
		args = append(args, f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []*store.StoredEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	// Read newest first so that the limit keeps the latest; given back oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (s *Store) FindCustomers(ctx context.Context, q string, limit int) ([]*store.Customer, error) {
	if q == "" || limit <= 0 {
		return nil, nil
	}
	prefix := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	rows, err := s.pool.Query(ctx, `SELECT `+customerCols+` FROM customers WHERE id IN (
		SELECT id FROM customers WHERE attrs ? 'email' AND lower(attrs->>'email') = lower($1)
		UNION SELECT id FROM customers WHERE id LIKE $2
		ORDER BY id LIMIT $3) ORDER BY id`, q, prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	defer rows.Close()
	var out []*store.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, fmt.Errorf("find customers: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	return out, nil
}
