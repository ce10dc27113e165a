package live

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkIdleSubscriptions measures what idle subscriptions cost in one process, none of
// which has anything to send: each on a key of its own (1,000 viewers × 10 topics: a poller
// each, the worst case), or 10,000 sharing 10 keys. Reported: heap and stack bytes and
// goroutines per subscription (the engine's part; a WebSocket connection adds gqlgen's own).
func BenchmarkIdleSubscriptions(b *testing.B) {
	for _, c := range []struct {
		n, keys int
	}{{1, 1}, {10_000, 10_000}, {10_000, 10}} {
		n := c.n
		b.Run(fmt.Sprintf("subs=%d/keys=%d", c.n, c.keys), func(b *testing.B) {
			for b.Loop() {
				e := New(Config{Interval: time.Hour, MaxPerViewer: n, MaxTotal: n}, Local(), nil)
				src := func(context.Context) ([]byte, error) { return []byte(`{}`), nil }
				ctx, cancel := context.WithCancel(context.Background())
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				goroutines := runtime.NumGoroutine()
				for i := range n {
					k := i % c.keys
					ch, err := e.Subscribe(ctx, Key{"prod", fmt.Sprint("viewer", k/10), fmt.Sprint("topic", k%10)}, src)
					if err != nil {
						b.Fatal(err)
					}
					<-ch // its first snapshot: from now on it is idle
				}
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				used := float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)
				b.ReportMetric(used/float64(n), "bytes/sub")
				b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/float64(n), "goroutines/sub")
				cancel()
				e.Close()
			}
		})
	}
}
