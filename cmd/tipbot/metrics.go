package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tipbot/tipbot/bot"
)

// metrics are tipbot's Prometheus metrics, on a registry of their own.
type metrics struct {
	registry   *prometheus.Registry
	events     *prometheus.CounterVec
	ack        *prometheus.HistogramVec
	commit     prometheus.Histogram
	batch      prometheus.Histogram
	rateWaits  *prometheus.CounterVec
	rateWaited *prometheus.CounterVec
	recovered  *prometheus.CounterVec
}

// newMetrics registers the metrics; totals of tips and votes are read from
// the store's counters at scrape time.
func newMetrics(st bot.Store) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipbot_events_total", Help: "Events handled, by platform, kind and result (ok or error).",
		}, []string{"platform", "kind", "result"}),
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tipbot_event_ack_seconds", Help: "Time from receiving an event to its commit, after which it is acknowledged.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"platform"}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tipbot_store_commit_seconds", Help: "Duration of store commits (group commit, fsync included).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tipbot_store_batch_size", Help: "Updates committed together in one store transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		rateWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipbot_rate_limit_waits_total", Help: "Times an outbound call waited for a platform rate limit.",
		}, []string{"platform"}),
		rateWaited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipbot_rate_limit_wait_seconds_total", Help: "Time spent waiting for platform rate limits.",
		}, []string{"platform"}),
		recovered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipbot_recovered_total", Help: "What recovery after downtime caught up on, by kind (tips, edits, deletions, votes_added, votes_removed).",
		}, []string{"kind"}),
	}
	m.registry.MustRegister(m.events, m.ack, m.commit, m.batch, m.rateWaits, m.rateWaited, m.recovered,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tipbot_tips", Help: "Tips stored, all workspaces.",
	}, func() float64 { return m.total(st, tipCounters...) }))
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tipbot_useful_votes", Help: "Useful votes counted, all workspaces.",
	}, func() float64 { return m.total(st, "votes:all") }))
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tipbot_outbox_pending", Help: "Messages owed (posts, reactions, private messages) not yet delivered, all workspaces.",
	}, func() float64 { return m.total(st, bot.CounterOutboxPending) }))
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "tipbot_outbox_failed_total", Help: "Messages the platforms refused for good (channel gone, bot not in the channel), all workspaces.",
	}, func() float64 { return m.total(st, bot.CounterOutboxFailed) }))
	return m
}

// tipCounters are the all-time capture counters of every source.
var tipCounters = func() []string {
	var names []string
	for _, src := range bot.Sources {
		names = append(names, "tips:all:"+string(src))
	}
	return names
}()

// total sums counters over every workspace.
func (m *metrics) total(st bot.Store, names ...string) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	wss, err := st.Workspaces(ctx)
	if err != nil {
		return 0
	}
	var sum int64
	for _, ws := range wss {
		_ = st.View(ctx, ws, func(tx bot.ReadTx) error {
			for _, name := range names {
				n, err := tx.Counter(name)
				if err != nil {
					return err
				}
				sum += n
			}
			return nil
		})
	}
	return float64(sum)
}

// EventHandled implements bot.Metrics.
func (m *metrics) EventHandled(p bot.Platform, kind string, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.events.WithLabelValues(string(p), kind, result).Inc()
	m.ack.WithLabelValues(string(p)).Observe(took.Seconds())
}

// Recovered implements bot.RecoveryMetrics.
func (m *metrics) Recovered(kind string, n int) { m.recovered.WithLabelValues(kind).Add(float64(n)) }

// committed records one store commit.
func (m *metrics) committed(batch int, took time.Duration) {
	m.batch.Observe(float64(batch))
	m.commit.Observe(took.Seconds())
}

// rateLimited records a wait for a platform's rate limit.
func (m *metrics) rateLimited(p bot.Platform, wait time.Duration) {
	m.rateWaits.WithLabelValues(string(p)).Inc()
	m.rateWaited.WithLabelValues(string(p)).Add(wait.Seconds())
}
