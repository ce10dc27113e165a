package loader

// Fresh returns new loaders over the same client, limits and shared cache: for work that outlives
// the request that started it, such as a subscription's polls, each of which is a request of its
// own (its own memo, its own call ceiling).
func (l *Loaders) Fresh() *Loaders {
	return New(l.client, Config{MaxConcurrent: cap(l.sem), MaxCalls: int(l.max)}, l.shared)
}

// Renew makes the loaders fresh again: memo and call count start over. A subscription's event is
// resolved as a request of its own, on the loaders of the connection that carries it.
func (l *Loaders) Renew() {
	l.Forget()
	l.calls.Store(0)
}
