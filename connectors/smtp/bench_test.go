package smtp

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkSend measures messages per second to a local server over STARTTLS with AUTH PLAIN,
// with sessions reused (the default) and with a new session for every message.
//
//	go test -run '^$' -bench Send -benchtime 3s ./connectors/smtp/
func BenchmarkSend(b *testing.B) {
	for _, c := range []struct {
		name string
		idle int
	}{{"reused", DefaultIdleConnections}, {"new-session-each", 0}} {
		for _, p := range []int{1, 4} {
			senders := p * runtime.GOMAXPROCS(0)
			b.Run(c.name+"/senders="+strconv.Itoa(senders), func(b *testing.B) {
				s := newFakeServer(b, false, withAuth)
				conn := newConnector(b, s, map[string]any{"username": "shop", "password": "pä55 word", "idle_connections": c.idle})
				var n atomic.Int64
				b.SetParallelism(p)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := conn.Send(context.Background(), keyed(int(n.Add(1)))); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
				conns, _ := s.counts()
				b.ReportMetric(float64(conns)/float64(b.N), "conns/msg")
			})
		}
	}
}
