package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by lookups of something that does not exist.
var ErrNotFound = errors.New("not found")

// Store keeps the engine's state.
type Store interface {
	// InTx runs fn in one transaction, committed when fn returns nil and rolled back otherwise.
	InTx(ctx context.Context, fn func(Tx) error) error
	// ReserveSend takes the next moment a message may leave on a channel that sends one message
	// every `every`, in bursts of up to burst, counted for every process that shares the store.
	// It returns how long to wait for that moment; when the wait would pass within, it takes
	// nothing and returns ok false.
	ReserveSend(ctx context.Context, channel string, every time.Duration, burst int, within time.Duration) (wait time.Duration, ok bool, err error)
	Reader
	Close()
}

// Tx is the work of one transaction. Slices of ids given to it are sorted and distinct.
type Tx interface {
	// InsertEvents stores the events whose (subject, id) is new, and reports which were.
	InsertEvents(ctx context.Context, evs []StoredEvent) (fresh []bool, err error)

	// LockCustomers locks the customers, creating those that do not exist (with New set),
	// waiting for other transactions that hold them. Returned in id order.
	LockCustomers(ctx context.Context, ids []string, now time.Time) ([]*Customer, error)
	// ClaimDue locks up to limit customers whose NextWakeAt has come, skipping locked ones: the
	// earliest first (then by id), returned in id order. A claimed customer stays due until saved
	// with another NextWakeAt.
	ClaimDue(ctx context.Context, now time.Time, limit int) ([]*Customer, error)
	// ClaimStaleDates locks up to limit customers whose DatesVersion is not version, skipping
	// locked ones, taken in (DatesVersion, id) order and returned in id order.
	ClaimStaleDates(ctx context.Context, version string, limit int) ([]*Customer, error)
	// LockCustomersAfter locks up to limit customers with an id after the given one, in id order,
	// waiting for other holders (ids in order, as event processing takes them, cannot deadlock).
	LockCustomersAfter(ctx context.Context, after string, limit int) (locked []*Customer, last string, err error)

	// OpenJourneys returns the customers' journeys that are active, whose goal can still be
	// reached, or that ended with a message still waiting to leave after now (held by a limit or
	// quiet hours), ordered by customer, entry time and id.
	OpenJourneys(ctx context.Context, customerIDs []string, now time.Time) ([]*Journey, error)
	// Entries returns the customers' entry records for the given flows.
	Entries(ctx context.Context, customerIDs, flowIDs []string) ([]*Entry, error)
	// Orders returns the customers' orders, by customer and order id: one read for a batch of
	// customers, whatever the number of their orders.
	Orders(ctx context.Context, customerIDs []string) ([]*Order, error)

	SaveCustomers(ctx context.Context, cs []*Customer) error
	SaveJourneys(ctx context.Context, js []*Journey) error
	SaveEntries(ctx context.Context, es []*Entry) error
	// SaveOrders writes orders of customers the transaction locked, creating those that are new
	// and replacing those that exist (by customer and order id).
	SaveOrders(ctx context.Context, os []*Order) error
	// InsertMessages writes new messages; one whose id exists is left as it is.
	InsertMessages(ctx context.Context, ms []*Message) error
	// CancelPending marks as skipped, with the reason, a customer's messages that have not left:
	// pending ones (not those a dispatcher holds) due after c.After, of the journeys named, and
	// marketing ones on the channels named. It returns the messages it cancelled.
	CancelPending(ctx context.Context, c Cancel) ([]*Message, error)
	// WaitingMessages returns the customer's marketing messages that wait in the outbox and were
	// never tried: pending, with no attempt, due after the given moment; by SendAt, then id. A
	// message of higher priority may take their place, so they stay locked until the transaction
	// ends: no dispatcher leases them meanwhile. A message a dispatcher holds is not among them.
	WaitingMessages(ctx context.Context, customerID string, after time.Time) ([]*Message, error)
	// MoveWaiting applies the moves to the customer's messages that WaitingMessages returned in
	// this transaction. A message that is no longer pending is an error: it may have left.
	MoveWaiting(ctx context.Context, customerID string, moves []Move) error

	// LockSchedule locks a schedule's state, creating it; nil when another transaction holds it.
	LockSchedule(ctx context.Context, flowID string) (*Schedule, error)
	// SaveSchedule writes the state of a schedule the transaction locked with LockSchedule.
	SaveSchedule(ctx context.Context, s *Schedule) error
	SaveFlowVersions(ctx context.Context, vs []FlowVersion) error
	// SaveWorkspace records the workspace the engine runs now, in place of the one before; its
	// flow versions are saved in the same transaction.
	SaveWorkspace(ctx context.Context, w *Workspace) error

	// ClaimMessages leases up to limit messages that are due (pending with SendAt passed, or
	// sending with an expired lease), skipping those other dispatchers hold, and marks them sending.
	// They are taken and returned by SendAt, then id. (A sending message's SendAt has passed: it
	// was due when it was leased.)
	ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*Message, error)
	// FinishAttempts records attempts and their messages' new state (status, attempts, next
	// SendAt, provider id, error), in order: of two for one message, the later state stays. An
	// attempt's MessageID and CustomerID are its message's; an attempt whose number N was already
	// recorded for the message is not recorded again. A message that does not exist is an error.
	FinishAttempts(ctx context.Context, fs []Finish) error
	// ReleaseMessages gives back claimed messages that were not tried (the dispatcher was told to
	// stop first): pending again and claimable at once, attempts unchanged. A message is given
	// back only while it holds the lease of the claim that returned it (its LeaseUntil); one whose
	// lease ran out and that another dispatcher claimed since is left alone.
	ReleaseMessages(ctx context.Context, ms []*Message) error
}

// Reader answers questions outside the engine's transactions: reports, tests, metrics.
type Reader interface {
	Customer(ctx context.Context, id string) (*Customer, error)
	// FindCustomers returns, by id, up to limit customers whose email is q (ignoring case) or
	// whose id starts with q: what a person looking for one customer types.
	FindCustomers(ctx context.Context, q string, limit int) ([]*Customer, error)
	// CustomerOrders returns a customer's orders by order id (none for an unknown customer).
	CustomerOrders(ctx context.Context, customerID string) ([]*Order, error)
	Journeys(ctx context.Context, f JourneyFilter) ([]*Journey, error)
	Messages(ctx context.Context, f MessageFilter) ([]*Message, error)
	Attempts(ctx context.Context, messageID string) ([]Attempt, error)
	FlowVersion(ctx context.Context, version string) (*FlowVersion, error)
	// LastWorkspace is the workspace saved last, or ErrNotFound.
	LastWorkspace(ctx context.Context) (*Workspace, error)
	Event(ctx context.Context, customerID, id string) (*StoredEvent, error)
	// Events returns one customer's events by time, then id; with a Limit, only the latest that
	// many (still oldest first). It is for explaining a customer, not for scanning the history.
	Events(ctx context.Context, f EventFilter) ([]*StoredEvent, error)
	Schedules(ctx context.Context) ([]Schedule, error)
	// NextWake is the earliest NextWakeAt of any customer.
	NextWake(ctx context.Context) (time.Time, bool, error)
	Stats(ctx context.Context, now time.Time) (*Stats, error)
	// CustomerOfOrder returns the subject of the order.placed event with this source and
	// data.order_id (the earliest by time, then customer id, should there be several), and
	// found=false when there is none. Webhook sources use it for notices that do not name the
	// customer (sources.OrderCustomers).
	CustomerOfOrder(ctx context.Context, source, orderID string) (customerID string, found bool, err error)
}

// Journeys are listed by customer, entry time and id; messages by SendAt and id.

// JourneyFilter selects journeys; empty fields match all.
type JourneyFilter struct {
	CustomerID string
	FlowID     string
	Status     string
}

// MessageFilter selects messages; empty fields match all.
type MessageFilter struct {
	CustomerID string
	FlowID     string
	Status     string
}

// EventFilter selects one customer's events; an empty Type matches all, a zero Limit has none.
type EventFilter struct {
	CustomerID string
	Type       string
	Limit      int
}

// Stats are the figures the metrics endpoint reports.
type Stats struct {
	ActiveJourneys   map[string]int64    // by flow
	Messages         map[[2]string]int64 // by channel and status
	OldestDueTimer   time.Time           // zero when nothing is due
	OldestDueMessage time.Time
}
