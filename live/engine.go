// Package live turns WeDa's pull into push. WeDa has no push API, so one poller per (environment,
// viewer, topic) serves every subscription of that key in the process; it emits a snapshot only
// when it changed, slows down when WeDa fails or rate-limits, and is charged to a per-viewer
// budget. A Coordinator shares pollers across replicas: with Redis, one replica holds each key's
// lease and publishes its snapshots to the others, so N replicas × M clients of one viewer still
// poll WeDa once per interval. The package knows no GraphQL: a snapshot is canonical JSON bytes.
package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config bounds the engine.
type Config struct {
	Interval     time.Duration // how often a key is polled; default 5s (operators: at least MinInterval)
	Jitter       float64       // ± fraction of the interval, so pollers do not move in step; default 0.1
	MaxBackoff   time.Duration // the longest wait after failures; default 2m
	MaxPerViewer int           // subscriptions one viewer may hold in this process; default 50
	MaxTotal     int           // subscriptions in this process; default 10000
	// ViewerPollsPerMinute is each viewer's upstream budget for polls, all topics together;
	// default 120. A poll over budget waits for the next interval.
	ViewerPollsPerMinute int
	PollTimeout          time.Duration // one poll's limit; default 10s
}

// MinInterval is the shortest poll interval an operator may set.
const MinInterval = time.Second

// Key names what a poller watches.
type Key struct{ Env, Viewer, Topic string }

func (k Key) String() string { return k.Env + "/" + k.Viewer + "/" + k.Topic }

// Source reads the current snapshot of a key: canonical JSON, equal bytes meaning no change.
type Source func(ctx context.Context) ([]byte, error)

// Errors a subscriber can branch on.
var (
	ErrTooManyForViewer = errors.New("live: too many subscriptions for this viewer")
	ErrTooMany          = errors.New("live: too many subscriptions on this gateway")
	ErrClosed           = errors.New("live: the engine is closed")
)

// Engine runs the pollers of one process.
type Engine struct {
	cfg   Config
	coord Coordinator
	log   *slog.Logger
	stats *Stats

	mu       sync.Mutex
	closed   bool
	pollers  map[Key]*poller
	perUser  map[string]int
	total    int
	budgets  map[string]*rate.Limiter
	wg       sync.WaitGroup
	stopping chan struct{}
}

// New returns an engine; coord is Local() for one replica.
func New(cfg Config, coord Coordinator, log *slog.Logger) *Engine {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.Jitter <= 0 || cfg.Jitter >= 1 {
		cfg.Jitter = 0.1
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 2 * time.Minute
	}
	if cfg.MaxPerViewer <= 0 {
		cfg.MaxPerViewer = 50
	}
	if cfg.MaxTotal <= 0 {
		cfg.MaxTotal = 10_000
	}
	if cfg.ViewerPollsPerMinute <= 0 {
		cfg.ViewerPollsPerMinute = 120
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 10 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{cfg: cfg, coord: coord, log: log, stats: newStats(), pollers: map[Key]*poller{},
		perUser: map[string]int{}, budgets: map[string]*rate.Limiter{}, stopping: make(chan struct{})}
}

// Stats are the engine's metrics.
func (e *Engine) Stats() *Stats { return e.stats }

// Subscribe returns the key's snapshots: the current one first, then each change, until ctx
// ends. Every subscription of a key shares one poller. A slow subscriber misses intermediate
// snapshots, never the latest.
func (e *Engine) Subscribe(ctx context.Context, key Key, src Source) (<-chan []byte, error) {
	e.mu.Lock()
	switch {
	case e.closed:
		e.mu.Unlock()
		return nil, ErrClosed
	case e.perUser[key.Viewer] >= e.cfg.MaxPerViewer:
		e.mu.Unlock()
		return nil, fmt.Errorf("%w (at most %d)", ErrTooManyForViewer, e.cfg.MaxPerViewer)
	case e.total >= e.cfg.MaxTotal:
		e.mu.Unlock()
		return nil, fmt.Errorf("%w (at most %d)", ErrTooMany, e.cfg.MaxTotal)
	}
	e.perUser[key.Viewer]++
	e.total++
	p := e.pollers[key]
	if p == nil {
		p = e.startPoller(key, src)
	}
	sub := &subscriber{ch: make(chan []byte, 1)}
	p.add(sub)
	e.mu.Unlock()
	e.stats.subscriptions.Inc()

	// No goroutine waits for the end: an idle subscription costs its channel and little else.
	context.AfterFunc(ctx, func() { e.unsubscribe(key, p, sub) })
	return sub.ch, nil
}

func (e *Engine) unsubscribe(key Key, p *poller, sub *subscriber) {
	e.mu.Lock()
	e.perUser[key.Viewer]--
	if e.perUser[key.Viewer] == 0 {
		delete(e.perUser, key.Viewer)
	}
	e.total--
	if p.remove(sub) == 0 && e.pollers[key] == p {
		delete(e.pollers, key)
		p.stop()
	}
	e.mu.Unlock()
	sub.close()
	e.stats.subscriptions.Dec()
}

// Watched reports whether any subscription may be listening: one in this process, or, with a
// shared coordinator, one on another replica. A write nobody watches needs no refresh.
func (e *Engine) Watched() bool {
	if _, alone := e.coord.(local); !alone {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pollers) > 0
}

// AnyViewer in a Refresh key stands for every viewer watching the topic.
const AnyViewer = "*"

// Refresh makes the key's poller (here, or on the replica holding its lease) poll now: a write
// through the gateway changed what it watches. With AnyViewer, every viewer's poller of the topic.
func (e *Engine) Refresh(ctx context.Context, key Key) {
	e.mu.Lock()
	for k, p := range e.pollers {
		if matches(key, k.String()) {
			p.poke()
		}
	}
	e.mu.Unlock()
	e.coord.Poke(ctx, key.String())
}

// matches reports whether the poller key k is one that the refresh key asks for.
func matches(refresh Key, k string) bool {
	if refresh.Viewer != AnyViewer {
		return refresh.String() == k
	}
	env, rest, ok := strings.Cut(k, "/")
	if !ok || env != refresh.Env {
		return false
	}
	_, topic, ok := strings.Cut(rest, "/")
	return ok && topic == refresh.Topic
}

// parseKey reads a Key back from its String form.
func parseKey(s string) Key {
	env, rest, _ := strings.Cut(s, "/")
	viewer, topic, _ := strings.Cut(rest, "/")
	return Key{Env: env, Viewer: viewer, Topic: topic}
}

// Close stops every poller and ends every subscription.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	close(e.stopping)
	for _, p := range e.pollers {
		p.stop()
		p.mu.Lock()
		for s := range p.subs {
			s.close() // its subscriber sees the end; its AfterFunc finds it closed
		}
		p.mu.Unlock()
	}
	e.mu.Unlock()
	e.wg.Wait()
}

// budget is the viewer's poll budget.
func (e *Engine) budget(viewer string) *rate.Limiter {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.budgets[viewer]
	if b == nil {
		per := rate.Limit(float64(e.cfg.ViewerPollsPerMinute) / 60)
		b = rate.NewLimiter(per, max(1, e.cfg.ViewerPollsPerMinute/6))
		e.budgets[viewer] = b
	}
	return b
}

// next is the wait before the next poll: the interval with jitter, doubled per failure in a row.
func (e *Engine) next(failures int) time.Duration {
	d := e.cfg.Interval
	for range min(failures, 16) {
		d *= 2
		if d >= e.cfg.MaxBackoff {
			d = e.cfg.MaxBackoff
			break
		}
	}
	spread := float64(d) * e.cfg.Jitter
	return d + time.Duration((rand.Float64()*2-1)*spread)
}

type subscriber struct {
	mu     sync.Mutex
	ch     chan []byte
	closed bool
}

// send hands the latest snapshot over, replacing one the subscriber has not read yet.
func (s *subscriber) send(v []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- v:
	default:
		select {
		case <-s.ch:
		default:
		}
		s.ch <- v
	}
}

func (s *subscriber) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

func equal(a, b []byte) bool { return a != nil && bytes.Equal(a, b) }
