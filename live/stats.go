package live

import "github.com/prometheus/client_golang/prometheus"

// Stats are the engine's Prometheus collectors.
type Stats struct {
	subscriptions prometheus.Gauge
	pollers       prometheus.Gauge
	polls         *prometheus.CounterVec
	events        *prometheus.CounterVec
}

func newStats() *Stats {
	return &Stats{
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "weda_gateway_live_subscriptions",
			Help: "Active subscriptions in this process."}),
		pollers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "weda_gateway_live_pollers",
			Help: "Pollers in this process, one per (environment, viewer, topic)."}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weda_gateway_live_polls_total",
			Help: "Polls of WeDa for subscriptions, by topic and outcome (ok, error, over_budget)."}, []string{"topic", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weda_gateway_live_events_total",
			Help: "Changed snapshots delivered to subscribers, by topic."}, []string{"topic"}),
	}
}

// Collectors are the metrics to register.
func (s *Stats) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.subscriptions, s.pollers, s.polls, s.events}
}
