package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// received counts events handed to the engine by source and type, before they are committed.
type received struct{ m sync.Map }

func (r *received) add(source, typ string) {
	k := source + "\x00" + typ
	v, _ := r.m.LoadOrStore(k, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// statsCache keeps the outbox counts for a few seconds. Counting messages by status reads the
// whole outbox, so scrapes by several Prometheus servers, or by one every second, must not each
// pay for it.
type statsCache struct {
	ttl time.Duration // 0 means statsTTL
	mu  sync.Mutex
	at  time.Time
	val *store.Stats
}

// statsTTL is how long the counts are reused, and so how old the lags may be: far below any
// sensible alert on them.
const statsTTL = 15 * time.Second

func (c *statsCache) get(ctx context.Context, st store.Store, now time.Time) (*store.Stats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ttl := c.ttl
	if ttl == 0 {
		ttl = statsTTL
	}
	if c.val != nil && time.Since(c.at) < ttl {
		return c.val, nil
	}
	v, err := st.Stats(ctx, now)
	if err != nil {
		return nil, err
	}
	c.val, c.at = v, time.Now()
	return v, nil
}

// metrics writes the Prometheus text exposition format by hand: a handful of series does not
// need a client library.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	now := s.eng.Now()
	var b strings.Builder
	series := func(name, help, typ string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}

	series("afterglow_events_received_total", "Events handed to the engine, by source and type.", "counter")
	var rec []string
	s.received.m.Range(func(k, v any) bool {
		src, typ, _ := strings.Cut(k.(string), "\x00")
		rec = append(rec, fmt.Sprintf("afterglow_events_received_total{source=%q,type=%q} %d\n", src, typ, v.(*atomic.Int64).Load()))
		return true
	})
	sort.Strings(rec)
	b.WriteString(strings.Join(rec, ""))

	series("afterglow_events_processed_total", "Events stored and processed, by type.", "counter")
	byType := s.eng.Stats.ByType()
	for _, t := range sortedKeys(byType) {
		fmt.Fprintf(&b, "afterglow_events_processed_total{type=%q} %d\n", t, byType[t])
	}
	series("afterglow_events_duplicate_total", "Events dropped because their id was seen before.", "counter")
	fmt.Fprintf(&b, "afterglow_events_duplicate_total %d\n", s.eng.Stats.EventsDuplicate())
	series("afterglow_auth_failures_total", "Requests refused for a missing or wrong signature or token, by source.", "counter")
	for _, src := range sortedKeys(s.refused) {
		fmt.Fprintf(&b, "afterglow_auth_failures_total{source=%q} %d\n", src, s.refused[src].Total())
	}
	series("afterglow_events_late_total", "Events that arrived later than policies.late_events after their time: they updated customers and journeys under way, and started no journey.", "counter")
	fmt.Fprintf(&b, "afterglow_events_late_total %d\n", s.eng.Stats.EventsLate())

	series("afterglow_journeys_total", "Journeys entered and ended by this process, by flow and outcome.", "counter")
	js := s.eng.Stats.Journeys()
	var jk []string
	for k := range js {
		jk = append(jk, k[0]+"\x00"+k[1])
	}
	sort.Strings(jk)
	for _, k := range jk {
		flow, kind, _ := strings.Cut(k, "\x00")
		fmt.Fprintf(&b, "afterglow_journeys_total{flow=%q,outcome=%q} %d\n", flow, kind, js[[2]string{flow, kind}])
	}

	for _, c := range []struct {
		name, help string
		get        map[string]int64
	}{
		{"afterglow_messages_sent_total", "Messages delivered by this process, by channel.", s.disp.Sent.Snapshot()},
		{"afterglow_messages_failed_total", "Messages that failed for good in this process, by channel.", s.disp.Failed.Snapshot()},
		{"afterglow_messages_retried_total", "Transient delivery failures that will be retried, by channel.", s.disp.Retried.Snapshot()},
	} {
		series(c.name, c.help, "counter")
		for _, ch := range sortedKeys(c.get) {
			fmt.Fprintf(&b, "%s{channel=%q} %d\n", c.name, ch, c.get[ch])
		}
	}

	if st, err := s.stats.get(ctx, s.store, now); err == nil {
		series("afterglow_journeys_active", "Active journeys, by flow.", "gauge")
		for _, f := range sortedKeys(st.ActiveJourneys) {
			fmt.Fprintf(&b, "afterglow_journeys_active{flow=%q} %d\n", f, st.ActiveJourneys[f])
		}
		series("afterglow_messages", "Messages in the outbox, by channel and status.", "gauge")
		var mk [][2]string
		for k := range st.Messages {
			mk = append(mk, k)
		}
		sort.Slice(mk, func(i, j int) bool { return mk[i][0]+mk[i][1] < mk[j][0]+mk[j][1] })
		for _, k := range mk {
			fmt.Fprintf(&b, "afterglow_messages{channel=%q,status=%q} %d\n", k[0], k[1], st.Messages[k])
		}
		series("afterglow_timer_lag_seconds", "How long the oldest due timer (a wait, a date) has waited to be run.", "gauge")
		fmt.Fprintf(&b, "afterglow_timer_lag_seconds %g\n", lag(now, st.OldestDueTimer))
		series("afterglow_message_lag_seconds", "How long the oldest due message has waited to be sent.", "gauge")
		fmt.Fprintf(&b, "afterglow_message_lag_seconds %g\n", lag(now, st.OldestDueMessage))
		series("afterglow_up", "1 when the database answered this scrape.", "gauge")
		b.WriteString("afterglow_up 1\n")
	} else {
		series("afterglow_up", "1 when the database answered this scrape.", "gauge")
		b.WriteString("afterglow_up 0\n")
		s.log.Warn().Err(err).Msg("metrics: the database did not answer")
	}

	rs := s.reloader.Status()
	series("afterglow_reload_success", "1 when the last reload of the workspace succeeded.", "gauge")
	fmt.Fprintf(&b, "afterglow_reload_success %d\n", boolInt(rs.LastOK))
	series("afterglow_reload_timestamp_seconds", "When the workspace was last reloaded (Unix time).", "gauge")
	fmt.Fprintf(&b, "afterglow_reload_timestamp_seconds %d\n", rs.LastAt.Unix())
	series("afterglow_reloads_total", "Reloads of the workspace, by result.", "counter")
	fmt.Fprintf(&b, "afterglow_reloads_total{result=\"success\"} %d\nafterglow_reloads_total{result=\"failure\"} %d\n", rs.Successes, rs.Failures)

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = io.WriteString(w, b.String())
}

func lag(now, oldest time.Time) float64 {
	if oldest.IsZero() || oldest.After(now) {
		return 0
	}
	return now.Sub(oldest).Seconds()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
