// Package store defines what the engine keeps and the transactions it keeps it with. Two
// implementations exist, PostgreSQL (pgstore) and memory (memstore); storetest holds the
// conformance suite both pass.
//
// Locking: the customer row is the one lock of a customer. Every change to a customer's journeys,
// messages and entry records happens in a transaction that holds it. Event processing takes it
// waiting, in customer-id order (so two batches never deadlock); timers and schedules take it with
// SKIP LOCKED (so they never wait, and several processes share due work).
//
// Times: a store keeps the times of its records (not those inside JSON values such as a journey's
// trigger) to the microsecond and gives them back in UTC, as PostgreSQL keeps them; the in-memory
// store does the same, so that a test gives the same results on both. JSON values keep numbers as
// json.Number.
package store

import (
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
	"github.com/shopspring/decimal"
)

// Customer is a shop's customer as Afterglow knows it.
type Customer struct {
	ID           string
	Attrs        map[string]any     // every attribute but the computed ones and consent: email, first_name, tags, the shop's own...
	Consent      map[string]Consent // by channel (email, sms, whatsapp, push)
	CreatedAt    time.Time
	OrdersCount  int
	TotalSpent   decimal.Decimal
	FirstOrderAt time.Time // zero when unset
	LastOrderAt  time.Time
	Sends        []SendMark           // recent marketing sends, for frequency limits
	Dates        map[string]time.Time // date-trigger flow id -> next occurrence
	DatesVersion string               // which set of date flows Dates was computed for
	NextWakeAt   time.Time            // earliest due work: a journey's timer or a date trigger; zero when none
	New          bool                 // created in this transaction
}

// Consent is a customer's answer on one channel with where it came from. Consent is decided by
// event time, so the moment it was given or withdrawn is kept with it, and the event that said so.
type Consent struct {
	Granted   *bool     // nil: null, the customer was never asked, which is not consent either
	At        time.Time // the time of the event that set it (never later than when it arrived)
	EventID   string    // empty when it predates the record of where consent came from
	EventType string
}

// Value is the consent as expressions see it: true, false or nil.
func (c Consent) Value() any {
	if c.Granted == nil {
		return nil
	}
	return *c.Granted
}

// SendMark is a message counted by frequency limits: when it leaves, on which channel, of which
// category, and the priority of its flow (0 is normal, more goes first), which says without a
// look at the outbox whether a message about to be held could take its place.
type SendMark struct {
	At       time.Time `json:"at"`
	Channel  string    `json:"ch"`
	Category string    `json:"cat"`
	Priority int       `json:"pr,omitempty"`
}

// Journey statuses: active until it ends as completed, exited or converted.
const (
	Active    = "active"
	Completed = "completed"
	Exited    = "exited"
	Converted = "converted"
)

// Journey is one customer's path through one flow version.
type Journey struct {
	ID          string
	CustomerID  string
	FlowID      string
	FlowVersion string
	Key         string
	Status      string
	StepID      string    // the step it waits at (active), or the last one it ran
	WakeAt      time.Time // when its timer fires; zero when it waits for no time
	WaitEvent   string    // the event type a wait_for step waits for
	EnteredAt   time.Time
	EndedAt     time.Time
	Reason      string // why it exited
	Holdout     bool
	Depth       int // emit depth of the event that started it
	Trigger     event.Event
	Outputs     map[string]StepOutput // what earlier steps produced, by step id
	GoalUntil   time.Time             // the goal counts until then (zero: while active)
	ConvertedAt time.Time
}

// Open reports whether the journey still needs to see the customer's events: it is active, or
// its goal can still be reached.
func (j *Journey) Open(now time.Time) bool {
	return j.Status == Active || (j.ConvertedAt.IsZero() && !j.GoalUntil.IsZero() && now.Before(j.GoalUntil))
}

// StepOutput is what a step leaves for later steps: a wait_for's event or timeout, a split's variant.
type StepOutput struct {
	Event    *event.Event `json:"event,omitempty"`
	TimedOut bool         `json:"timed_out,omitempty"`
	Variant  string       `json:"variant,omitempty"`
}

// Entry records when a customer last entered a flow with a key, for `repeat: never` and durations.
type Entry struct {
	CustomerID    string
	FlowID        string
	Key           string
	LastEnteredAt time.Time
}

// Message statuses.
const (
	Pending = "pending" // waits for its send_at, or for a retry
	Sending = "sending" // leased by a dispatcher
	Sent    = "sent"
	Failed  = "failed"
	Skipped = "skipped" // a policy or the holdout kept it back; it never leaves
)

// Message is a message in the outbox, rendered and with its moment decided.
type Message struct {
	ID             string
	CustomerID     string
	JourneyID      string
	FlowID         string
	FlowVersion    string
	StepID         string
	Channel        string
	Shape          message.Shape
	Category       string
	Priority       int // its flow's: 0 is normal, more goes first when a frequency limit is full
	IdempotencyKey string
	Status         string
	Reason         string // skip, deferral or failure reason
	SendAt         time.Time
	CreatedAt      time.Time
	Locale         string
	To             message.Recipient
	Content        message.Content
	UnsubscribeURL string
	Attempts       int
	LeaseUntil     time.Time
	ProviderID     string
	SentAt         time.Time
	LastError      string
}

// Attempt is one try at delivering a message.
type Attempt struct {
	MessageID  string
	CustomerID string
	N          int
	At         time.Time
	Outcome    string // sent | transient | permanent
	ProviderID string
	Error      string
}

// Finish is an attempt at a message and the message's state after it.
type Finish struct {
	Message *Message
	Attempt Attempt
}

// StoredEvent is an event with what the engine needs to process it.
type StoredEvent struct {
	event.Event
	Depth int // 0 for events from outside; n for events emitted by a flow at depth n-1
}

// FlowVersion is the source of a flow as it was when a journey entered it, with the template
// files it names.
type FlowVersion struct {
	Version string
	FlowID  string
	Source  []byte
	File    string
	// Templates is nil for a version stored before templates were kept with their flows.
	Templates []TemplateSource
}

// TemplateSource is a template file as a flow version named it.
type TemplateSource struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	Source string `json:"source"`
}

// Workspace is the last valid workspace an engine ran: its settings, its customer schema and its
// flow versions (which hold the flows' and templates' files). A process started while the files
// on disk have errors runs it.
type Workspace struct {
	SavedAt      time.Time
	Dir          string // the workspace's folder: the settings' paths are read against it
	SettingsFile string
	Settings     []byte
	SchemaFile   string // empty when the workspace declares no customer schema
	Schema       []byte
	Events       []SourceFile // the shop's own event types' files
	CatalogFile  string       // empty when the workspace has no product catalog
	Catalog      []byte
	Versions     []string // the flow versions it ran, sorted
}

// SourceFile is a file and its content.
type SourceFile struct {
	File   string `json:"file"`
	Source string `json:"source"`
}

// Schedule is the progress of a schedule trigger's fan-out.
type Schedule struct {
	FlowID    string
	Spec      string    // the trigger it was computed for; a changed trigger starts afresh
	FireAt    time.Time // the occurrence to fan out next; zero when there is none
	Cursor    string    // the last customer id handled in the occurrence under way
	LastFired time.Time // the last occurrence fanned out in full
}

// Cancel selects a customer's messages that must not leave any more: those of journeys that were
// exited, and marketing ones on channels whose consent was withdrawn.
type Cancel struct {
	CustomerID string
	JourneyIDs []string
	Channels   []string  // marketing messages on these channels
	After      time.Time // only messages due to leave after this moment: those due before it left then
	Reason     string
}

// Move gives a waiting message a new moment to leave (Status pending) or skips it (Status
// skipped): a message of higher priority took its place under a frequency limit.
type Move struct {
	MessageID string
	Status    string
	SendAt    time.Time
	Reason    string
}
