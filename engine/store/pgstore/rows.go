package pgstore

import (
	"fmt"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Column lists and their scanners, one per record type, shared by the transactions and readers.

const customerCols = `id, attrs, consent, created_at, orders_count, total_spent::text, first_order_at, last_order_at,
	sends, dates, dates_version, next_wake_at`

func scanCustomer(row pgx.Row) (*store.Customer, error) {
	var (
		c                   store.Customer
		attrs, consent      []byte
		sends, dates        []byte
		total               string
		created             time.Time
		first, last, wakeAt pgtype.Timestamptz
	)
	if err := row.Scan(&c.ID, &attrs, &consent, &created, &c.OrdersCount, &total, &first, &last, &sends, &dates, &c.DatesVersion, &wakeAt); err != nil {
		return nil, err
	}
	c.CreatedAt, c.FirstOrderAt, c.LastOrderAt, c.NextWakeAt = created.UTC(), fromNull(first), fromNull(last), fromNull(wakeAt)
	var err error
	if c.TotalSpent, err = parseDecimal(total); err != nil {
		return nil, fmt.Errorf("customer %s: %w", c.ID, err)
	}
	if c.Attrs, err = parseObject(attrs); err != nil {
		return nil, fmt.Errorf("customer %s: attrs: %w", c.ID, err)
	}
	if c.Attrs == nil {
		c.Attrs = map[string]any{}
	}
	if c.Consent, err = decodeConsent(consent); err != nil {
		return nil, fmt.Errorf("customer %s: consent: %w", c.ID, err)
	}
	if c.Sends, err = decodeSends(sends); err != nil {
		return nil, fmt.Errorf("customer %s: sends: %w", c.ID, err)
	}
	if c.Dates, err = decodeDates(dates); err != nil {
		return nil, fmt.Errorf("customer %s: dates: %w", c.ID, err)
	}
	return &c, nil
}

func collectCustomers(rows pgx.Rows, err error) ([]*store.Customer, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const journeyCols = `customer_id, id, flow_id, flow_version, key, status, step_id, wake_at, wait_event,
	entered_at, ended_at, reason, holdout, depth, trigger, outputs, goal_until, converted_at`

// scanJourney reads a journey. Journeys an event started carry the same trigger: seen holds
// those decoded already, so that each is decoded once and shared, as the journeys were when the
// event started them (a trigger is never changed in place).
func scanJourney(row pgx.Row, seen map[string]event.Event) (*store.Journey, error) {
	var (
		j                          store.Journey
		trigger, outputs           []byte
		entered                    time.Time
		wake, ended, goal, convert pgtype.Timestamptz
	)
	if err := row.Scan(&j.CustomerID, &j.ID, &j.FlowID, &j.FlowVersion, &j.Key, &j.Status, &j.StepID, &wake, &j.WaitEvent,
		&entered, &ended, &j.Reason, &j.Holdout, &j.Depth, &trigger, &outputs, &goal, &convert); err != nil {
		return nil, err
	}
	j.EnteredAt, j.WakeAt, j.EndedAt, j.GoalUntil, j.ConvertedAt = entered.UTC(), fromNull(wake), fromNull(ended), fromNull(goal), fromNull(convert)
	var err error
	if ev, ok := seen[string(trigger)]; ok {
		j.Trigger = ev
	} else if j.Trigger, err = decodeTrigger(trigger); err != nil {
		return nil, fmt.Errorf("journey %s: trigger: %w", j.ID, err)
	} else {
		seen[string(trigger)] = j.Trigger
	}
	if j.Outputs, err = decodeOutputs(outputs); err != nil {
		return nil, fmt.Errorf("journey %s: outputs: %w", j.ID, err)
	}
	return &j, nil
}

func collectJourneys(rows pgx.Rows, err error) ([]*store.Journey, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Journey
	seen := map[string]event.Event{}
	for rows.Next() {
		j, err := scanJourney(rows, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

const messageCols = `customer_id, id, journey_id, flow_id, flow_version, step_id, channel, shape, category,
	idempotency_key, status, reason, send_at, created_at, locale, recipient, content, unsubscribe_url,
	attempts, lease_until, provider_id, sent_at, last_error, priority`

func scanMessage(row pgx.Row) (*store.Message, error) {
	var (
		m               store.Message
		shape           string
		to, content     []byte
		sendAt, created time.Time
		lease, sent     pgtype.Timestamptz
		priority        int16
	)
	if err := row.Scan(&m.CustomerID, &m.ID, &m.JourneyID, &m.FlowID, &m.FlowVersion, &m.StepID, &m.Channel, &shape, &m.Category,
		&m.IdempotencyKey, &m.Status, &m.Reason, &sendAt, &created, &m.Locale, &to, &content, &m.UnsubscribeURL,
		&m.Attempts, &lease, &m.ProviderID, &sent, &m.LastError, &priority); err != nil {
		return nil, err
	}
	m.Shape, m.Priority = message.Shape(shape), int(priority)
	m.SendAt, m.CreatedAt, m.LeaseUntil, m.SentAt = sendAt.UTC(), created.UTC(), fromNull(lease), fromNull(sent)
	var err error
	if m.To, err = decodeRecipient(to); err != nil {
		return nil, fmt.Errorf("message %s: recipient: %w", m.ID, err)
	}
	if m.Content, err = decodeContent(content); err != nil {
		return nil, fmt.Errorf("message %s: content: %w", m.ID, err)
	}
	return &m, nil
}

func collectMessages(rows pgx.Rows, err error) ([]*store.Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

const scheduleCols = `flow_id, spec, fire_at, cursor_id, last_fired`

func scanSchedule(row pgx.Row) (store.Schedule, error) {
	var (
		s          store.Schedule
		fire, last pgtype.Timestamptz
	)
	err := row.Scan(&s.FlowID, &s.Spec, &fire, &s.Cursor, &last)
	s.FireAt, s.LastFired = fromNull(fire), fromNull(last)
	return s, err
}

const eventCols = `customer_id, id, source, type, time, specversion, datacontenttype, data, depth`

func scanEvent(row pgx.Row) (*store.StoredEvent, error) {
	var (
		e    store.StoredEvent
		at   time.Time
		data []byte
	)
	if err := row.Scan(&e.Subject, &e.ID, &e.Source, &e.Type, &at, &e.SpecVersion, &e.DataContentType, &data, &e.Depth); err != nil {
		return nil, err
	}
	e.Time = at.UTC()
	var err error
	if e.Data, err = parseObject(data); err != nil {
		return nil, fmt.Errorf("event %s: data: %w", e.ID, err)
	}
	return &e, nil
}
