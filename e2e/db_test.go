package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// database is a fresh PostgreSQL database of one test, dropped when the test ends.
type database struct {
	name string
	url  string
	pool *pgxpool.Pool
}

// newDatabase creates an empty database, and runs `afterglow migrate` on it when migrate is set.
func newDatabase(t *testing.T, migrate bool) *database {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "afterglow_e2e_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("connecting to %s: %v", redact(adminURL), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("CREATE DATABASE %s: %v", name, err)
	}
	db := &database{name: name, url: withDatabase(t, adminURL, name)}
	t.Cleanup(func() {
		if db.pool != nil {
			db.pool.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			t.Errorf("dropping %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		// FORCE ends the sessions of a process that was killed and whose connections linger.
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("DROP DATABASE %s: %v", name, err)
		}
	})
	if migrate {
		out, err := exec.Command(binary, "migrate", "--db", db.url).CombinedOutput()
		if err != nil {
			t.Fatalf("afterglow migrate: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "schema is now at version") {
			t.Fatalf("afterglow migrate on a new database says %q; want it to report the schema version it created", out)
		}
	}
	cfg, err := pgxpool.ParseConfig(db.url)
	if err != nil {
		t.Fatal(err)
	}
	// The tests' own connections are told apart from the process's, which a test may cut.
	cfg.ConnConfig.RuntimeParams["application_name"] = testApplication
	db.pool, err = pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connecting to %s: %v", name, err)
	}
	return db
}

// testApplication is the application_name of the tests' own connections.
const testApplication = "afterglow-e2e"

// withDatabase returns u naming another database.
func withDatabase(t *testing.T, u, name string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("AFTERGLOW_TEST_DATABASE_URL is not a URL: %v", err)
	}
	p.Path = "/" + name
	return p.String()
}

// redact hides a password in a URL shown in a message.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(the database URL)"
	}
	return p.Redacted()
}

// count runs a query that returns one integer.
func (db *database) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	if err := db.pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// texts runs a query that returns one text column.
func (db *database) texts(t *testing.T, query string, args ...any) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// storedMessage is a row of the outbox.
type storedMessage struct {
	CustomerID, ID, FlowID, FlowVersion, StepID, Channel, Category, Key, Status, Reason string
	Attempts                                                                            int
}

func (db *database) messages(t *testing.T, where string, args ...any) []storedMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q := `SELECT customer_id, id, flow_id, flow_version, step_id, channel, category, idempotency_key, status, reason, attempts
		FROM messages`
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := db.pool.Query(ctx, q+" ORDER BY created_at, id", args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storedMessage, error) {
		var m storedMessage
		err := r.Scan(&m.CustomerID, &m.ID, &m.FlowID, &m.FlowVersion, &m.StepID, &m.Channel, &m.Category, &m.Key, &m.Status, &m.Reason, &m.Attempts)
		return m, err
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}
