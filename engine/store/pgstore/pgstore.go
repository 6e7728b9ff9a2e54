// Package pgstore keeps the engine's state in PostgreSQL.
//
// Every Tx method works on a whole slice in one statement (arrays unnested on the server), so a
// batch of a thousand events costs a handful of round trips whatever its size. Locks follow the
// rules of package store: customers are locked waiting, in id order, by event processing and
// schedule fan-outs, and with SKIP LOCKED by timers, date refreshes and dispatchers, so several
// processes share one database without waiting on each other's due work.
package pgstore

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configure a connection.
type Options struct {
	// Schema is the PostgreSQL schema the tables live in, used as the search_path of every
	// connection; empty means the server's default. Migrate creates it. Tests give each run a
	// schema of its own.
	Schema string
	// MaxConns bounds the pool; zero means the URL's pool_max_conns, else four per CPU, at least
	// eight.
	MaxConns int32
}

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Connect opens a pool on url configured by opts, without looking at the schema (Migrate and
// CheckSchema take such a pool).
func Connect(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w (expected postgres://user:password@host:5432/dbname)", err)
	}
	// Every statement takes its rows as arrays. A generic plan is made once per connection and
	// kept until the table is next analyzed: made on a young table, it scans the whole table for
	// every batch long after the table has grown (seen: 260,000 journeys read to find 40). A custom
	// plan sees the array's length and the table's current size each time, for a planning cost
	// far below any batch's work. With the default random_page_cost, made for spinning disks, that
	// custom plan would hash a whole table to find 500 rows; 1.1 says what is true of a store
	// whose pages are cached or on SSD, and keyed probes win again.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	cfg.ConnConfig.RuntimeParams["random_page_cost"] = "1.1"
	if opts.Schema != "" {
		if !identifier.MatchString(opts.Schema) {
			return nil, fmt.Errorf("schema %q: use lowercase letters, digits and underscores, starting with a letter", opts.Schema)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	// The URL's pool_max_conns, when it has one, is the operator's; pgx's own default (the number
	// of CPUs, at least four) is too few for the workers, timer loops and dispatchers of a process.
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to the database at %s: %w", redact(cfg), err)
	}
	return pool, nil
}

// redact names the server without the password.
func redact(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// Open connects and checks that the database schema is the one this binary knows.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	pool, err := Connect(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if err := CheckSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, owned: true}, nil
}

// Store is the PostgreSQL store.
type Store struct {
	pool  *pgxpool.Pool
	owned bool
}

// Pool is the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool if Open made it.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

// ConcurrentTransactions tells the conformance suite that transactions run side by side here,
// so that what one holds can be seen skipped or waited for by another.
func (s *Store) ConcurrentTransactions() bool { return true }

// InTx runs fn in a READ COMMITTED transaction: every row fn changes is one it locked first.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(r)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(&txn{tx: tx}); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type txn struct {
	tx pgx.Tx
	// triggers are the triggers of the journeys OpenJourneys returned, as they are stored: saving
	// such a journey with the same trigger need not send it again.
	triggers map[[2]string]event.Event
	// created are the customers this transaction created: they have no journey, message or order
	// but those it writes, so no statement need ask which of theirs exist. ordersRead are those
	// whose orders it read, and ordersHeld the orders it knows to exist (see SaveOrders).
	created, ordersRead map[string]bool
	ordersHeld          map[[2]string]bool
	// messagesWritten are the messages of created customers this transaction wrote, and
	// savedJourneys the created customers it saved journeys of.
	messagesWritten map[[2]string]bool
	savedJourneys   map[string]bool
	// openAt are the customers whose open journeys this transaction read, with the moment it read
	// them at; held are their messages still to leave after that moment, read at the first
	// cancel and kept up to date by the messages it inserts (see CancelPending).
	openAt map[string]time.Time
	held   map[string][]heldMessage
}

var _ store.Store = (*Store)(nil)
