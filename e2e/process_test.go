package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a running `afterglow run`.
type proc struct {
	t    *testing.T
	name string
	base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	logs *logLines

	exited chan struct{}
	state  *os.ProcessState
}

// launch starts `afterglow run --config config` with exactly env (plus PATH and HOME), without
// waiting for it to be ready.
func launch(t *testing.T, name, config, base string, env map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(binary, "run", "--config", config)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	p := &proc{t: t, name: name, base: base, cmd: cmd, logs: &logLines{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting afterglow run: %v", err)
	}
	readDone := make(chan struct{})
	go func() {
		p.logs.read(stderr)
		close(readDone)
	}()
	go func() {
		<-readDone // Wait closes the pipe: every line must be read first
		_ = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.exited)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = cmd.Process.Kill()
			<-p.exited
		}
		// Under -race the binary is built with the race detector, which reports on stderr.
		if log := p.logs.tail(1 << 20); strings.Contains(log, "WARNING: DATA RACE") {
			t.Errorf("afterglow run %s has a data race:\n%s", name, log)
		}
		if t.Failed() {
			t.Logf("log of afterglow run %s (last lines):\n%s", name, p.logs.tail(60))
		}
	})
	return p
}

// start launches the process and waits until GET /readyz answers 200.
func start(t *testing.T, name, config, base string, env map[string]string) *proc {
	t.Helper()
	p := launch(t, name, config, base, env)
	p.waitReady()
	return p
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) waitReady() {
	p.t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	eventually(p.t, 30*time.Second, func() (bool, string) {
		if !p.running() {
			p.t.Fatalf("afterglow run %s exited with %v before it was ready; its log:\n%s", p.name, p.state, p.logs.tail(40))
		}
		resp, err := client.Get(p.base + "/readyz")
		if err != nil {
			return false, "GET /readyz: " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK, fmt.Sprintf("GET /readyz: %d %s", resp.StatusCode, b)
	})
}

// wait waits for the process to exit and returns its exit code (-1 when a signal ended it).
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.state.ExitCode()
	case <-time.After(timeout):
		p.t.Fatalf("afterglow run %s still running %s after it was told to stop; its log:\n%s", p.name, timeout, p.logs.tail(40))
		return 0
	}
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v to afterglow run %s: %v", sig, p.name, err)
	}
}

// kill ends the process at once, as a crash or an OOM kill would.
func (p *proc) kill() {
	p.t.Helper()
	p.signal(syscall.SIGKILL)
	<-p.exited
}

// logLines collects the process's stderr, one JSON object a line.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		l.mu.Unlock()
	}
}

func (l *logLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *logLines) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

func (l *logLines) tail(n int) string {
	all := l.all()
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return strings.Join(all, "\n")
}

// entries decodes the lines from index from on; a line that is not JSON fails the test, since
// the log of a process whose stderr is not a terminal must be JSON lines.
func (l *logLines) entries(t *testing.T, from int) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range l.all() {
		if i < from {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %d is not JSON: %q", i+1, line)
		}
		out = append(out, m)
	}
	return out
}

// freePort finds a port nobody listens on; the process binds it soon after.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runToExit runs `afterglow run` that is expected to stop at start-up, and returns its exit
// code and stderr.
func runToExit(t *testing.T, config string, env map[string]string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "--config", config)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		if ctx.Err() != nil {
			t.Fatalf("afterglow run did not stop at start-up within 30s; its log:\n%s", stderr.String())
		}
		return ee.ExitCode(), stderr.String()
	default:
		t.Fatalf("running afterglow run: %v", err)
		return 0, ""
	}
}
