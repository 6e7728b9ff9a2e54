// Package e2e tests `afterglow run` from the outside: it builds the binary, runs it as a real
// process against a fresh PostgreSQL database, posts real Shopify and WooCommerce webhooks and
// canonical events to it, and checks what reaches a local webhook receiver, what the database
// holds, what /metrics reports, and how the process behaves when it is reloaded, signalled,
// killed, or run twice against one database.
//
// The tests read AFTERGLOW_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) and fail when it cannot be reached.
package e2e
