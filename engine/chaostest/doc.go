// Package chaostest runs the engine on PostgreSQL the way production does, and worse: several
// engines sharing one database, racing timers against events, and a process killed at random
// moments and restarted. Each customer's end state is computed from its events alone, so the tests
// can say exactly which journey, message or total came out wrong.
//
// The tests need a PostgreSQL: AFTERGLOW_TEST_DATABASE_URL, or a local server with trust
// authentication. They fail, never skip, when there is none.
package chaostest
