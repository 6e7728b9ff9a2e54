package chaostest

import (
	"os"
	"testing"
)

// TestMain runs the binary as the crash test's engine process when it was started as one.
func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) != "" {
		os.Exit(runWorker())
	}
	os.Exit(m.Run())
}
