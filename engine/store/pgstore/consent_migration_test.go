package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store/pgstore"
)

// Consent kept under attrs before it had a column of its own moves there on upgrade, every channel
// with its answer, counted from the upgrade, so that no event older than the upgrade can undo it.
func TestMigrateMovesConsentOutOfAttributes(t *testing.T) {
	ctx := context.Background()
	opts, url := unmigrated(t)
	pool, err := pgstore.Connect(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	first := pgstore.Migrations()[0]
	for _, q := range []string{
		`CREATE SCHEMA ` + opts.Schema,
		first.SQL,
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO schema_migrations (version, name) VALUES (1, 'init')`,
		`INSERT INTO customers (id, attrs, created_at) VALUES
			('ana', '{"email": "a@x.com", "consent": {"email": true, "sms": false, "push": null}}', now()),
			('bob', '{"email": "b@x.com", "consent": "yes"}', now()),
			('cid', '{"email": "c@x.com"}', now())`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before := time.Now().Add(-time.Minute)
	if _, err := pgstore.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ana, err := st.Customer(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ana.Attrs["consent"]; ok || ana.Attrs["email"] != "a@x.com" {
		t.Errorf("attributes after the upgrade: %v; want the email and no consent", ana.Attrs)
	}
	want := map[string]string{"email": "true", "sms": "false", "push": "null"}
	if len(ana.Consent) != len(want) {
		t.Errorf("consent after the upgrade: %+v; want %v", ana.Consent, want)
	}
	for ch, v := range want {
		c, ok := ana.Consent[ch]
		got := "missing"
		if ok {
			got = "null"
			if c.Granted != nil {
				got = map[bool]string{true: "true", false: "false"}[*c.Granted]
			}
		}
		if got != v || c.At.Before(before) || c.At.After(time.Now().Add(time.Minute)) {
			t.Errorf("consent %s after the upgrade: %s at %v; want %s at the moment of the upgrade", ch, got, c.At, v)
		}
	}
	for _, id := range []string{"bob", "cid"} {
		c, err := st.Customer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Attrs["consent"]; ok || c.Consent != nil {
			t.Errorf("%s after the upgrade: attributes %v, consent %v; want neither to hold consent", id, c.Attrs, c.Consent)
		}
	}
}
