package live

import (
	"context"
	"sync"
	"time"
)

// poller watches one key for every subscription of it in this process.
type poller struct {
	e      *Engine
	key    Key
	src    Source
	pokes  chan struct{}
	done   chan struct{}
	cancel context.CancelFunc

	mu   sync.Mutex
	subs map[*subscriber]struct{}
	last []byte
}

// startPoller runs a poller for key; the caller holds e.mu.
func (e *Engine) startPoller(key Key, src Source) *poller {
	ctx, cancel := context.WithCancel(context.Background())
	p := &poller{e: e, key: key, src: src, pokes: make(chan struct{}, 1), done: make(chan struct{}), cancel: cancel,
		subs: map[*subscriber]struct{}{}}
	e.pollers[key] = p
	e.stats.pollers.Inc()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(p.done)
		defer e.stats.pollers.Dec()
		stopListening := e.coord.Listen(key.String(), p.deliver, p.poke)
		defer stopListening()
		p.run(ctx)
		e.coord.Resign(context.Background(), key.String())
	}()
	return p
}

func (p *poller) add(s *subscriber) {
	p.mu.Lock()
	p.subs[s] = struct{}{}
	last := p.last
	p.mu.Unlock()
	if last != nil {
		s.send(last)
	}
}

// remove forgets s and reports how many subscribers are left.
func (p *poller) remove(s *subscriber) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.subs, s)
	return len(p.subs)
}

func (p *poller) stop() { p.cancel() }

func (p *poller) poke() {
	select {
	case p.pokes <- struct{}{}:
	default:
	}
}

// deliver hands a snapshot, polled here or by the replica holding the lease, to every
// subscriber, unless it is the one they have.
func (p *poller) deliver(snapshot []byte) {
	p.mu.Lock()
	if equal(p.last, snapshot) {
		p.mu.Unlock()
		return
	}
	p.last = snapshot
	subs := make([]*subscriber, 0, len(p.subs))
	for s := range p.subs {
		subs = append(subs, s)
	}
	p.mu.Unlock()
	p.e.stats.events.WithLabelValues(topicLabel(p.key.Topic)).Inc()
	for _, s := range subs {
		s.send(snapshot)
	}
}

// run polls while this replica leads the key; otherwise it keeps trying for the lease, so that
// another replica takes over within two intervals when the holder dies.
func (p *poller) run(ctx context.Context) {
	e, key := p.e, p.key.String()
	ttl := e.cfg.Interval * 3 / 2
	if last, ok := e.coord.Last(ctx, key); ok {
		p.deliver(last)
	}
	failures := 0
	wait := time.Duration(0) // the first look is at once
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.pokes:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		wait = e.cfg.Interval / 2 // a follower looks for the lease twice an interval
		if e.coord.Lead(ctx, key, ttl) {
			failures = p.poll(ctx, failures)
			wait = e.next(failures)
		}
		timer.Reset(wait)
	}
}

// poll reads the source once, if the viewer's budget allows, and publishes a changed snapshot.
func (p *poller) poll(ctx context.Context, failures int) int {
	e, topic := p.e, topicLabel(p.key.Topic)
	if !e.budget(p.key.Viewer).Allow() {
		e.stats.polls.WithLabelValues(topic, "over_budget").Inc()
		return failures
	}
	pctx, cancel := context.WithTimeout(ctx, e.cfg.PollTimeout)
	snapshot, err := p.src(pctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			e.stats.polls.WithLabelValues(topic, "error").Inc()
			e.log.Warn("live poll failed", "topic", topic, "failures", failures+1, "err", err)
		}
		return failures + 1
	}
	e.stats.polls.WithLabelValues(topic, "ok").Inc()
	p.mu.Lock()
	changed := !equal(p.last, snapshot)
	p.mu.Unlock()
	if changed {
		p.deliver(snapshot)
		e.coord.Publish(ctx, key(p), snapshot)
	}
	return 0
}

func key(p *poller) string { return p.key.String() }

// topicLabel keeps metric labels bounded: "instance:<id>" counts as "instance".
func topicLabel(topic string) string {
	for i := range len(topic) {
		if topic[i] == ':' {
			return topic[:i]
		}
	}
	return topic
}
