package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startChild runs the calling test again in a child process of this test binary, with env added
// to its environment, for a command that must take signals without taking the tests down. The
// child sees env and runs the command itself; its standard error is kept.
func startChild(t *testing.T, env string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), env)
	errs := &strings.Builder{}
	cmd.Stderr = errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, errs
}

// A reload asked for while the server starts must not end it. SIGHUP's default action is to
// terminate, so the server runs in a child process: the signal must not take the tests down.
func TestRunSIGHUPWhileStarting(t *testing.T) {
	if settings := os.Getenv("AFTERGLOW_TEST_RUN_SETTINGS"); settings != "" {
		os.Exit(dispatch([]string{"run", "--config", settings, "--log-format", "json"}, os.Stdout, os.Stderr))
	}
	// A database that accepts connections and does not answer holds the start-up in place.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	settings := filepath.Join(dir, "afterglow.yaml")
	if err := os.WriteFile(settings, []byte("database: postgres://afterglow@"+l.Addr().String()+"/afterglow?sslmode=disable\n"+
		"listen: 127.0.0.1:0\nchannels:\n  email: {connector: console}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"flows", "templates"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd, errs := startChild(t, "AFTERGLOW_TEST_RUN_SETTINGS="+settings)
	_ = l.(*net.TCPListener).SetDeadline(time.Now().Add(20 * time.Second))
	conn, err := l.Accept()
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the server never connected to the database: %v\n%s", err, errs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("afterglow run ended with %v after a SIGHUP during its start-up; want exit status 1 (the database hung up)\n%s", err, errs.String())
	}
	if !strings.Contains(errs.String(), "cannot start") {
		t.Errorf("the log does not say why the start-up failed:\n%s", errs.String())
	}
}
