package smtp

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/message"
)

// keyed is the test email with its own idempotency key.
func keyed(i int) message.Message {
	m := email()
	m.IdempotencyKey = fmt.Sprintf("journey-%d/thanks", i)
	return m
}

func TestSessionsAreReused(t *testing.T) {
	s := newFakeServer(t, false, withAuth)
	c := newConnector(t, s, creds)
	for i := range 5 {
		if _, err := c.Send(context.Background(), keyed(i)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if got := len(s.transactions()); got != 5 {
		t.Fatalf("server accepted %d messages, want 5", got)
	}
	if conns, _ := s.counts(); conns != 1 {
		t.Errorf("5 messages in a row took %d connections; want 1, reused", conns)
	}
	if tried := s.authTried(); len(tried) != 1 {
		t.Errorf("authenticated %d times; want once per session", len(tried))
	}
	for i, r := range s.transactions() {
		if !r.tls || r.user != "shop" {
			t.Errorf("message %d: tls %v, user %q", i, r.tls, r.user)
		}
	}
	// Close ends the kept session politely.
	if err := c.(io.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a QUIT for the kept session", func() bool { _, quits := s.counts(); return quits == 1 })
}

func TestNoReuseWithoutIdleConnections(t *testing.T) {
	s := newFakeServer(t, false, withAuth)
	c := newConnector(t, s, map[string]any{"username": "shop", "password": "pä55 word", "idle_connections": 0})
	for i := range 3 {
		if _, err := c.Send(context.Background(), keyed(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three sessions each ended with QUIT", func() bool { conns, quits := s.counts(); return conns == 3 && quits == 3 })
}

func TestConcurrentSendsShareTheIdleSessions(t *testing.T) {
	s := newFakeServer(t, false, withAuth)
	c := newConnector(t, s, map[string]any{"username": "shop", "password": "pä55 word", "idle_connections": 4})
	const workers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := c.Send(context.Background(), keyed(w*each+i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(s.transactions()); got != workers*each {
		t.Errorf("server accepted %d messages, want %d", got, workers*each)
	}
	// At most one session per message in flight; the rest reused.
	if conns, _ := s.counts(); conns > workers {
		t.Errorf("%d messages from %d senders took %d connections; want at most %d", workers*each, workers, conns, workers)
	}
}

func TestAClosedSessionIsReplaced(t *testing.T) {
	for _, with421 := range []bool{false, true} {
		t.Run(fmt.Sprintf("421=%v", with421), func(t *testing.T) {
			s := newFakeServer(t, false, func(s *fakeServer) { withAuth(s); s.closeAfter, s.closeWith421 = 1, with421 })
			c := newConnector(t, s, creds)
			for i := range 3 {
				if _, err := c.Send(context.Background(), keyed(i)); err != nil {
					t.Fatalf("message %d after the server dropped the session: %v", i, err)
				}
			}
			if got := len(s.transactions()); got != 3 {
				t.Errorf("server accepted %d messages, want 3 (each once)", got)
			}
			if conns, _ := s.counts(); conns != 3 {
				t.Errorf("%d connections; want 3, a new one after each drop", conns)
			}
		})
	}
}

func TestSessionLimits(t *testing.T) {
	s := newFakeServer(t, false, withAuth)
	c := newConnector(t, s, map[string]any{"username": "shop", "password": "pä55 word", "messages_per_connection": 2})
	for i := range 5 {
		if _, err := c.Send(context.Background(), keyed(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "3 sessions, the two full ones ended with QUIT", func() bool { conns, quits := s.counts(); return conns == 3 && quits == 2 })

	s = newFakeServer(t, false, withAuth)
	c = newConnector(t, s, map[string]any{"username": "shop", "password": "pä55 word", "idle_timeout": "50ms"})
	for i := range 2 {
		if _, err := c.Send(context.Background(), keyed(i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if conns, _ := s.counts(); conns != 2 {
		t.Errorf("a session idle past idle_timeout was reused: %d connections, want 2", conns)
	}
}

// A kept session must get a fresh deadline for each message, or the second message on a session
// older than the timeout would fail at once.
func TestEachMessageGetsItsOwnDeadline(t *testing.T) {
	s := newFakeServer(t, false, withAuth)
	c := newConnector(t, s, map[string]any{"username": "shop", "password": "pä55 word", "timeout": "300ms"})
	for i := range 2 {
		if _, err := c.Send(context.Background(), keyed(i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
	}
	if conns, _ := s.counts(); conns != 1 {
		t.Errorf("%d connections; want the session kept past one timeout reused", conns)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("still not so after 5s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
