// Package inspect reads what the engine stored about a customer or a flow and explains it: a
// customer's attributes, consent, orders, events, journeys and messages, why each of their trigger
// events of a flow did or did not start a journey, and where a flow's journeys wait.
//
// The views are JSON-tagged for `afterglow inspect --format json` and the dashboard's /api/: their
// keys are a contract (more may be added, none renamed). Times are UTC; an unset time is omitted.
package inspect

import (
	"time"

	"github.com/afterglowhq/afterglow/dsl/exprs"
)

// CustomerView is everything the engine keeps about one customer, and with a flow, why their
// trigger events of it did or did not start a journey.
type CustomerView struct {
	ID         string         `json:"id"`
	CreatedAt  *time.Time     `json:"created_at,omitempty"`
	Attributes map[string]any `json:"attributes"`
	// Consent is one entry per channel the customer answered on, by channel name.
	Consent  []ConsentView  `json:"consent"`
	Orders   OrderMetrics   `json:"orders"`
	Events   []EventView    `json:"events"` // the latest ones, oldest first
	Journeys []JourneyView  `json:"journeys"`
	Messages []MessageView  `json:"messages"`
	Flow     *FlowDecisions `json:"flow,omitempty"` // only when a flow was asked about
}

// Consent statuses: only granted lets marketing through.
const (
	ConsentGranted   = "granted"
	ConsentWithdrawn = "withdrawn"
	ConsentUnknown   = "unknown" // never asked (null): not consent either
)

// ConsentView is a customer's answer on one channel and the event that gave it.
type ConsentView struct {
	Channel   string     `json:"channel"`
	Status    string     `json:"status"` // granted, withdrawn or unknown
	At        *time.Time `json:"at,omitempty"`
	EventID   string     `json:"event_id,omitempty"` // empty when it predates the record of where consent came from
	EventType string     `json:"event_type,omitempty"`
}

// OrderMetrics are the customer's counted orders (placed and not cancelled), as expressions see
// them, and every order the ledger holds.
type OrderMetrics struct {
	OrdersCount  int         `json:"orders_count"`
	TotalSpent   string      `json:"total_spent"` // a decimal: the counted orders' totals less refunds
	FirstOrderAt *time.Time  `json:"first_order_at,omitempty"`
	LastOrderAt  *time.Time  `json:"last_order_at,omitempty"`
	List         []OrderView `json:"list"`
}

// OrderView is one order of the ledger.
type OrderView struct {
	OrderID     string     `json:"order_id"`
	PlacedAt    *time.Time `json:"placed_at,omitempty"` // unset until its order.placed arrives
	Total       string     `json:"total"`
	Refunded    string     `json:"refunded"`
	Currency    string     `json:"currency,omitempty"`
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
	Counted     bool       `json:"counted"` // placed and not cancelled: it counts in orders_count and total_spent
}

// EventView is one stored event of the customer.
type EventView struct {
	ID     string         `json:"id"`
	Type   string         `json:"type"`
	Time   time.Time      `json:"time"`
	Source string         `json:"source,omitempty"`
	Data   map[string]any `json:"data,omitempty"`
}

// Holdout arms of a journey.
const (
	ArmTreatment = "treatment"
	ArmHoldout   = "holdout" // tracked, sends nothing
)

// JourneyView is one journey of the customer.
type JourneyView struct {
	ID        string     `json:"id"`
	Flow      string     `json:"flow"`
	Version   string     `json:"version"`
	Key       string     `json:"key,omitempty"`
	Status    string     `json:"status"` // active, completed, exited or converted
	Step      string     `json:"step"`   // where it waits (active) or the last step it ran
	WakesAt   *time.Time `json:"wakes_at,omitempty"`
	WaitsFor  string     `json:"waits_for,omitempty"` // the event type a wait_for step waits for
	Arm       string     `json:"arm"`                 // treatment or holdout
	EnteredAt time.Time  `json:"entered_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Reason    string     `json:"reason,omitempty"` // why it exited
	Trigger   string     `json:"trigger_event_id"` // the event that started it
	Converted *time.Time `json:"converted_at,omitempty"`
}

// MessageView is one message of the outbox, with its delivery attempts.
type MessageView struct {
	ID          string        `json:"id"`
	JourneyID   string        `json:"journey_id"`
	Flow        string        `json:"flow"`
	Step        string        `json:"step"`
	Channel     string        `json:"channel"`
	Category    string        `json:"category"`
	Status      string        `json:"status"` // pending, sending, sent, failed or skipped
	Reason      string        `json:"reason,omitempty"`
	Why         string        `json:"why,omitempty"` // the reason in words
	ScheduledAt time.Time     `json:"scheduled_at"`  // when it leaves (or left, or was due)
	CreatedAt   time.Time     `json:"created_at"`
	SentAt      *time.Time    `json:"sent_at,omitempty"`
	Attempts    []AttemptView `json:"attempts"`
	LastError   string        `json:"last_error,omitempty"`
}

// AttemptView is one try at delivering a message.
type AttemptView struct {
	N       int       `json:"n"`
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"` // sent, transient or permanent
	Error   string    `json:"error,omitempty"`
}

// FlowDecisions explains, for each of the customer's events of a flow's trigger type, whether the
// trigger's when held and what the entry rule decided.
type FlowDecisions struct {
	Flow    string  `json:"flow"`
	Version string  `json:"version"`
	Trigger string  `json:"trigger"` // the trigger's event type; empty for a schedule or date trigger
	When    string  `json:"when,omitempty"`
	Repeat  string  `json:"repeat"`
	Key     string  `json:"key,omitempty"`
	Holdout float64 `json:"holdout,omitempty"`
	// Note says what the explanations cannot know (customer attributes are as they are now).
	Note      string     `json:"note,omitempty"`
	Decisions []Decision `json:"decisions"`
	// Audience is, for a schedule trigger, whether its audience holds for the customer now, with
	// the values it read: a customer outside it is not entered when the schedule fires.
	Audience *Condition `json:"audience,omitempty"`
}

// Decision is what became of one trigger event.
type Decision struct {
	EventID string    `json:"event_id"`
	Time    time.Time `json:"time"`
	// When is the trigger's condition, what it read and whether it held; nil without a when.
	When *Condition `json:"when,omitempty"`
	// Outcome is entered, restarted, or why not: when_false, when_error, key_error, active, once,
	// window, paused, late, too_deep; not_entered when the rules allow a journey but none was
	// started (the event arrived late, or as history).
	Outcome string `json:"outcome"`
	Entered bool   `json:"entered"`
	Reason  string `json:"reason"`
	Key     string `json:"key,omitempty"`
	// The journey it started, its arm and its messages.
	JourneyID string        `json:"journey_id,omitempty"`
	Arm       string        `json:"arm,omitempty"`
	Messages  []MessageView `json:"messages,omitempty"`
}

// Condition is an expression's result with the values it read.
type Condition struct {
	Source string       `json:"source"`
	Held   bool         `json:"held"`
	Error  string       `json:"error,omitempty"`
	Reads  []exprs.Read `json:"reads"`
}

// FlowView is where a flow's journeys are: by version, status and the step they wait at.
type FlowView struct {
	Flow     string         `json:"flow"`
	Current  string         `json:"current_version,omitempty"` // the version new entries take
	Versions []VersionView  `json:"versions"`
	Messages map[string]int `json:"messages"` // by status
	Skipped  map[string]int `json:"skipped"`  // skipped messages by reason
}

// VersionView is one version's journeys.
type VersionView struct {
	Version  string         `json:"version"`
	Journeys map[string]int `json:"journeys"` // by status
	Holdout  int            `json:"holdout"`  // journeys in the holdout arm, whatever their status
	Waiting  []StepWaiting  `json:"waiting"`  // active journeys by the step they wait at
}

// StepWaiting is how many active journeys wait at a step, and the earliest of them to wake.
type StepWaiting struct {
	Step     string     `json:"step"`
	Count    int        `json:"count"`
	NextWake *time.Time `json:"next_wake,omitempty"`
	WaitsFor string     `json:"waits_for,omitempty"`
}
