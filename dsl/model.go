// Package dsl reads a workspace (settings, flows, templates, the customer attribute schema) into
// checked, compiled flows, reporting every problem with its file, line and column.
package dsl

import (
	"time"

	"github.com/afterglowhq/afterglow/dsl/content"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/message"
)

// Flow is a compiled flow. Steps keep their ids; a journey records the id it waits at.
type Flow struct {
	ID          string
	Name        string
	Description string
	Status      string // active | paused | draft
	Tags        []string
	Trigger     Trigger
	Entry       Entry
	Exits       []*ExitRule
	Goal        *Goal
	Holdout     float64 // fraction of customers held out, 0..1
	Priority    Priority
	Policies    *Policies
	Steps       []*Step
	Index       map[string]*Step
	File        string
	IDLine      int // where the id is written, for diagnostics that concern the whole flow
	IDCol       int
	Source      []byte
	// Templates are the template files the flow's steps name, as they were when it was read: a
	// journey renders with the templates of the version it entered with.
	Templates map[string]*Template
	Version   string // hash of Source and of its Templates: a journey stays on the version it entered with
}

// Runs reports whether the engine runs the flow at all (drafts are only validated).
func (f *Flow) Runs() bool { return f.Status != "draft" }

// Enters reports whether new customers may enter (paused flows only finish journeys in flight).
func (f *Flow) Enters() bool { return f.Status == "active" || f.Status == "" }

// Priority orders flows' marketing messages when a frequency limit is full: a message takes the
// place of a waiting one of lower priority. Greater goes first; the zero value is normal.
type Priority int

const (
	PriorityLow    Priority = -1
	PriorityNormal Priority = 0
	PriorityHigh   Priority = 1
)

// ParsePriority reads high, normal or low; ok is false for anything else.
func ParsePriority(s string) (p Priority, ok bool) {
	switch s {
	case "high":
		return PriorityHigh, true
	case "normal":
		return PriorityNormal, true
	case "low":
		return PriorityLow, true
	}
	return PriorityNormal, false
}

func (p Priority) String() string {
	switch {
	case p > PriorityNormal:
		return "high"
	case p < PriorityNormal:
		return "low"
	}
	return "normal"
}

// TriggerKind is the form of a trigger.
type TriggerKind string

const (
	TriggerEvent    TriggerKind = "event"
	TriggerSchedule TriggerKind = "schedule"
	TriggerDate     TriggerKind = "date"
)

// Trigger starts journeys.
type Trigger struct {
	Kind  TriggerKind
	Event string         // event: the type
	When  *exprs.Program // optional filter

	// schedule
	At       time.Time      // a single moment, or zero
	Cron     *timespec.Cron // a repeating one, or nil
	Location *time.Location // where the cron's wall clock is
	Audience *exprs.Program // who enters

	// date
	Date   *exprs.Program // the customer's date (birthday, created_at, ...)
	Offset time.Duration  // moved by this much (-3d: three days before)
	AtTime *timespec.TimeOfDay
}

// Repeat is the entry rule.
type Repeat string

const (
	RepeatAlways  Repeat = "always"
	RepeatNever   Repeat = "never"
	RepeatRestart Repeat = "restart"
	RepeatAfter   Repeat = "after" // a duration: a new journey only that long after the last entry
)

// Entry says when a trigger starts a journey.
type Entry struct {
	Key    *exprs.Program // nil: one key per customer
	Repeat Repeat
	After  time.Duration // for RepeatAfter
}

// ExitRule ends a journey when an event (optionally matching When) arrives, or when When holds.
type ExitRule struct {
	Event string
	When  *exprs.Program
}

// Goal is the conversion tracked for reporting.
type Goal struct {
	Event  string
	When   *exprs.Program
	Within time.Duration // zero: for as long as the journey is active
	Exit   bool
}

// Step is one step. Next is where the journey goes after it (nil: the journey completes); for
// if and split, Next is where the branches rejoin.
type Step struct {
	ID          string
	Kind        StepKind
	Line        int
	Description string
	Next        *Step
	Parent      *Step // the if or split whose branch holds this step, or nil

	Send      *Send
	Wait      time.Duration
	WaitUntil *WaitUntil
	WaitFor   *WaitFor
	If        *exprs.Program
	Then      []*Step
	Else      []*Step
	Split     *Split
	Update    *Update
	Emit      *Emit
	Exit      string // the reason

	outputs *exprs.Type // what it leaves in steps.ID, when its kind's outputs are not enough (a wait_for's typed event)
}

// Send hands a message to the outbox.
type Send struct {
	Channel  string
	Template string           // a template's name, or "" with Content
	Content  *content.Content // inline content
	Category string           // transactional | marketing
	Data     []NamedExpr
}

// NamedExpr is one `name: expression` entry, kept in file order.
type NamedExpr struct {
	Name string
	Expr *exprs.Program
}

// WaitUntil pauses until a moment.
type WaitUntil struct {
	Time   *exprs.Program
	Offset time.Duration
	At     *timespec.TimeOfDay
	Days   []time.Weekday
}

// WaitFor pauses until an event of the customer, or the timeout.
type WaitFor struct {
	Event         string
	When          *exprs.Program
	Timeout       time.Duration
	ExitOnTimeout bool
}

// Split is a random A/B split, stable per customer.
type Split struct {
	Variants []*Variant
}

// Variant is one branch of a split.
type Variant struct {
	Name   string
	Weight int
	Steps  []*Step
}

// Update changes customer attributes.
type Update struct {
	Set []NamedExpr
	Add []NamedExpr
}

// Emit sends an event for the same customer.
type Emit struct {
	Event string
	Data  []NamedExpr
}

// Policies are contact rules: global in the settings, overridable per flow.
type Policies struct {
	Frequency    []FrequencyLimit
	FrequencySet bool // the flow sets frequency (an empty list then means no limit)
	QuietHours   *QuietHours
	QuietSet     bool
	OverLimit    string // defer | skip; "" when a flow leaves it to the settings
	// LateEvents is how old an event may be when it arrives and still start journeys (settings
	// only: lateness is the event's, not a flow's).
	LateEvents time.Duration
}

// DefaultLateEvents is policies.late_events when the settings do not say.
const DefaultLateEvents = 24 * time.Hour

// FrequencyLimit allows at most Max messages of the categories (and channels, when given) per Per.
type FrequencyLimit struct {
	Max        int
	Per        time.Duration
	Categories []string
	Channels   []string
}

// QuietHours hold messages on the channels between From and To in the customer's time zone.
type QuietHours struct {
	From, To timespec.TimeOfDay
	Channels []string
}

// Merge returns the policies for a flow: its own settings override the global ones key by key.
func (p *Policies) Merge(flow *Policies) *Policies {
	out := *p
	if flow == nil {
		return &out
	}
	if flow.FrequencySet {
		out.Frequency = flow.Frequency
	}
	if flow.QuietSet {
		out.QuietHours = flow.QuietHours
	}
	if flow.OverLimit != "" {
		out.OverLimit = flow.OverLimit
	}
	return &out
}

// Channel is a named way out: a connector and the content shape it carries.
type Channel struct {
	Name      string
	Connector string
	Shape     message.Shape
	With      map[string]any // raw: ${VAR} references are expanded when the engine starts
	RateLimit float64        // messages per second; 0 means unlimited
	Line      int
	Col       int
}
