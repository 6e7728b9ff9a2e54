// Package storetest is the conformance suite every store.Store passes: the in-memory store and
// the PostgreSQL store run the same tests, so that a scenario gives the same result on both.
//
// Stores whose transactions run side by side (PostgreSQL) also run the tests of what one
// transaction sees of another's locks: a store says so by implementing Concurrent. The in-memory
// store runs one transaction at a time, so a second transaction could never start while the first
// holds a lock.
package storetest

import (
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// Concurrent is implemented by stores that run transactions at the same time.
type Concurrent interface {
	ConcurrentTransactions() bool
}

func concurrent(st store.Store) bool {
	c, ok := st.(Concurrent)
	return ok && c.ConcurrentTransactions()
}

// t0 is the suite's "now": whole seconds in UTC, so records built from it compare exactly.
var t0 = time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)

// test is one conformance test: it gets an empty store of its own.
type test struct {
	name string
	fn   func(t *testing.T, st store.Store)
}

// suite holds every test; each file of the package registers the tests of its concern (events,
// customers, timers, journeys, messages, schedules...), so that a new concern is a new file.
var suite []test

func register(name string, fn func(t *testing.T, st store.Store)) {
	suite = append(suite, test{name, fn})
}

// registerConcurrent registers a test of what one transaction sees of another's locks, run only
// on stores that implement Concurrent.
func registerConcurrent(name string, fn func(t *testing.T, st store.Store)) {
	register(name, needsConcurrency(fn))
}

// Run runs every test of the suite; newStore returns an empty store for each, closed by the suite.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	seen := map[string]bool{}
	for _, tc := range suite {
		if seen[tc.name] {
			t.Fatalf("two conformance tests are named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			// A cleanup, not a defer: it must run after those of transactions a failed test left
			// open, or closing would wait for them forever.
			t.Cleanup(st.Close)
			tc.fn(t, st)
		})
	}
}

func needsConcurrency(fn func(t *testing.T, st store.Store)) func(t *testing.T, st store.Store) {
	return func(t *testing.T, st store.Store) {
		if !concurrent(st) {
			t.Skip("the store runs one transaction at a time")
		}
		fn(t, st)
	}
}
