package server

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

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

// Latency buckets, in seconds. A batch of events commits in milliseconds; a provider answers in
// tens of milliseconds to seconds (up to the send timeout); a timer is late by the poll interval
// when all is well and by minutes or hours when the engine falls behind.
var (
	ingestBuckets = prometheus.ExponentialBuckets(0.001, 2, 14) // 1 ms to 8 s
	sendBuckets   = prometheus.ExponentialBuckets(0.005, 2, 14) // 5 ms to 41 s
	lagBuckets    = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600}
)

// instruments are the histograms the engine's parts report to while they work.
type instruments struct {
	ingest  prometheus.Histogram
	send    *prometheus.HistogramVec
	wakeLag prometheus.Histogram
}

func newInstruments() *instruments {
	return &instruments{
		ingest: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "afterglow_ingest_batch_seconds",
			Help:    "How long a batch of events took to commit (stored, customers updated, journeys run), or to fail.",
			Buckets: ingestBuckets,
		}),
		send: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "afterglow_send_seconds",
			Help:    "How long a connector took to send a message, by connector, channel and outcome (sent, retry, failed).",
			Buckets: sendBuckets,
		}, []string{"connector", "channel", "outcome"}),
		wakeLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "afterglow_due_journey_lag_seconds",
			Help:    "How late each customer's due journeys (waits, timeouts, dates) were when the engine woke them.",
			Buckets: lagBuckets,
		}),
	}
}

// registry gathers the Go runtime and process metrics, the histograms, and the engine's counters
// and gauges, read when scraped.
func (s *Server) registry(in *instruments) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		in.ingest, in.send, in.wakeLag,
		engineCollector{s},
	)
	return reg
}

// engineCollector reads the engine's counters and the outbox's counts at each scrape. It declares
// no descriptors in advance (an unchecked collector), since the series depend on the flows and
// channels of the moment.
type engineCollector struct{ s *Server }

func (engineCollector) Describe(chan<- *prometheus.Desc) {}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	emit := func(name, help string, typ prometheus.ValueType, v float64, labels ...string) {
		var names, values []string
		for i := 0; i+1 < len(labels); i += 2 {
			names, values = append(names, labels[i]), append(values, labels[i+1])
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, help, names, nil), typ, v, values...)
	}
	counter, gauge := prometheus.CounterValue, prometheus.GaugeValue

	s.received.m.Range(func(k, v any) bool {
		src, typ, _ := strings.Cut(k.(string), "\x00")
		emit("afterglow_events_received_total", "Events handed to the engine, by source and type.", counter,
			float64(v.(*atomic.Int64).Load()), "source", src, "type", typ)
		return true
	})
	for t, n := range s.eng.Stats.ByType() {
		emit("afterglow_events_processed_total", "Events stored and processed, by type.", counter, float64(n), "type", t)
	}
	emit("afterglow_events_duplicate_total", "Events dropped because their id was seen before.", counter, float64(s.eng.Stats.EventsDuplicate()))
	for src, a := range s.refused {
		emit("afterglow_auth_failures_total", "Requests refused for a missing or wrong signature or token, by source.", counter,
			float64(a.Total()), "source", src)
	}
	emit("afterglow_events_late_total", "Events that arrived later than policies.late_events after their time: they updated customers and journeys under way, and started no journey.",
		counter, float64(s.eng.Stats.EventsLate()))
	for k, n := range s.eng.Stats.Journeys() {
		emit("afterglow_journeys_total", "Journeys entered and ended by this process, by flow and outcome.", counter, float64(n), "flow", k[0], "outcome", k[1])
	}
	for f, n := range s.eng.Stats.Unrunnable() {
		emit("afterglow_journeys_unrunnable_total", "Journeys ended (exited) by this process because their flow version could not run any more, by flow: the reason is on each journey.",
			counter, float64(n), "flow", f)
	}
	for _, m := range []struct {
		name, help string
		counts     map[string]int64
	}{
		{"afterglow_messages_sent_total", "Messages delivered by this process, by channel.", s.disp.Sent.Snapshot()},
		{"afterglow_messages_failed_total", "Messages that failed for good in this process, by channel.", s.disp.Failed.Snapshot()},
		{"afterglow_messages_retried_total", "Transient delivery failures that will be retried, by channel.", s.disp.Retried.Snapshot()},
	} {
		for chName, n := range m.counts {
			emit(m.name, m.help, counter, float64(n), "channel", chName)
		}
	}
	emit("afterglow_due_journey_oldest_lag_seconds", "How late the oldest due journey was when the engine last looked for due journeys; 0 when none was due.",
		gauge, s.eng.Stats.DueLag().Seconds())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := s.eng.Now()
	up := 1.0
	if st, err := s.stats.get(ctx, s.store, now); err == nil {
		for f, n := range st.ActiveJourneys {
			emit("afterglow_journeys_active", "Active journeys, by flow.", gauge, float64(n), "flow", f)
		}
		for k, n := range st.Messages {
			emit("afterglow_messages", "Messages in the outbox, by channel and status.", gauge, float64(n), "channel", k[0], "status", k[1])
		}
		emit("afterglow_timer_lag_seconds", "How long the oldest due timer (a wait, a date) has waited to be run.", gauge, lag(now, st.OldestDueTimer))
		emit("afterglow_message_lag_seconds", "How long the oldest due message has waited to be sent.", gauge, lag(now, st.OldestDueMessage))
	} else {
		up = 0
		s.log.Warn().Err(err).Msg("metrics: the database did not answer")
	}
	emit("afterglow_up", "1 when the database answered this scrape.", gauge, up)

	rs := s.reloader.Status()
	emit("afterglow_reload_success", "1 when the last reload of the workspace succeeded.", gauge, float64(boolInt(rs.LastOK)))
	emit("afterglow_reload_timestamp_seconds", "When the workspace was last reloaded (Unix time).", gauge, float64(rs.LastAt.Unix()))
	emit("afterglow_workspace_from_database", "1 while the engine runs the last valid workspace of the database because the files on disk had errors when it started; 0 once it runs the files.",
		gauge, float64(boolInt(s.fromDB.Load())))
	emit("afterglow_reloads_total", "Reloads of the workspace, by result.", counter, float64(rs.Successes), "result", "success")
	emit("afterglow_reloads_total", "Reloads of the workspace, by result.", counter, float64(rs.Failures), "result", "failure")
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
