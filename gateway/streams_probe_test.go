package gateway_test

import (
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// What the stream tests measure in this process: goroutines and file descriptors, which must
// come back to where they were once the clients have left, and the heap, whose peak under a
// flood must stay inside a budget. The heap is sampled at events the test drives (each message
// sent or read), never on a clock.

// resources are the goroutines and open file descriptors of the process.
type resources struct{ goroutines, fds int }

func measureResources(t *testing.T) resources {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return resources{goroutines: runtime.NumGoroutine(), fds: len(fds)}
}

// slack allows for what a test's own clients keep between requests (an idle keep-alive
// connection, its reader and writer goroutines).
const slack = 8

// waitBack waits until the process holds no more goroutines and descriptors than base (and the
// slack). The bound only ends a broken test: nothing is assumed about how fast that happens.
func (base resources) waitBack(t *testing.T, closeIdle ...func()) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, c := range closeIdle {
			c()
		}
		now := measureResources(t)
		if now.goroutines <= base.goroutines+slack && now.fds <= base.fds+slack {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines %d → %d, descriptors %d → %d; goroutines:\n%s", base.goroutines, now.goroutines,
				base.fds, now.fds, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// closeIdle closes the keep-alive connections a harness holds when it is idle: the test client's
// to the gateway and the gateway's to the sandbox. What is left after that is what was leaked.
func (h *harness) closeIdle() {
	h.srv.Client().CloseIdleConnections()
	if c, ok := h.calls.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// heapProbe follows the peak of the heap's objects (live and not yet collected).
type heapProbe struct {
	mu     sync.Mutex
	sample []metrics.Sample
	base   uint64
	peak   uint64
}

const heapObjects = "/memory/classes/heap/objects:bytes"

func newHeapProbe() *heapProbe {
	runtime.GC()
	p := &heapProbe{sample: []metrics.Sample{{Name: heapObjects}}}
	metrics.Read(p.sample)
	p.base = p.sample[0].Value.Uint64()
	p.peak = p.base
	return p
}

// take samples the heap now.
func (p *heapProbe) take() {
	p.mu.Lock()
	defer p.mu.Unlock()
	metrics.Read(p.sample)
	if v := p.sample[0].Value.Uint64(); v > p.peak {
		p.peak = v
	}
}

// grew is how far the peak rose above the heap at the start, in MiB.
func (p *heapProbe) grew() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return float64(p.peak-p.base) / (1 << 20)
}
