package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

var (
	// binary is the afterglow command built for this run.
	binary string
	// adminURL reaches a database in which new databases can be created.
	adminURL string
	// moduleRoot is where go build runs.
	moduleRoot string
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	adminURL = pgtest.ConfiguredURL()
	// Without PostgreSQL the end-to-end tests prove nothing; they fail rather than skip, so that a
	// CI run without the database is red, not silently green.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: e2e: PostgreSQL is not reachable at %s: %v\n"+
			"Start PostgreSQL or point AFTERGLOW_TEST_DATABASE_URL at one (a user that may CREATE DATABASE).\n", redact(adminURL), err)
		return 1
	}

	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: e2e:", err)
		return 1
	}
	moduleRoot = root
	dir, err := os.MkdirTemp("", "afterglow-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "afterglow")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		// The server's own goroutines are checked too when the tests run under the race detector.
		args = append(args, "-race")
	}
	args = append(args, "./cmd/afterglow")
	build := exec.Command(goTool(), args...)
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: e2e: go build ./cmd/afterglow: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// goTool is the go command that runs these tests (the go command puts its own folder first on
// the PATH of the tests it runs), so that the binary is built by the same toolchain.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}
