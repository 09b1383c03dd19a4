package consumers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the consumer's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	events       *prometheus.CounterVec
	batchSeconds prometheus.Histogram
	insertErrors prometheus.Counter
	overLimit    prometheus.Counter
}

// NewMetrics registers the consumer's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coalition_consumer_events_total",
			Help: "Messages handled by the consumer, by result (stored, dead_lettered).",
		}, []string{"result"}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "coalition_consumer_batch_seconds",
			Help:    "Time from fetch to ack of a stored batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		insertErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "coalition_consumer_insert_errors_total",
			Help: "Failed ClickHouse INSERT attempts (each is retried).",
		}),
		overLimit: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "coalition_consumer_delivery_limit_total",
			Help: "Messages dead-lettered because JetStream delivered them more than --max-deliveries times without their being stored (counted in coalition_consumer_events_total{result=\"dead_lettered\"} too).",
		}),
	}
	reg.MustRegister(m.events, m.batchSeconds, m.insertErrors, m.overLimit)
	return m
}

func (m *Metrics) observeBatch(n int, d time.Duration) {
	if m == nil {
		return
	}
	m.events.WithLabelValues("stored").Add(float64(n))
	m.batchSeconds.Observe(d.Seconds())
}

func (m *Metrics) deadLetter() {
	if m != nil {
		m.events.WithLabelValues("dead_lettered").Inc()
	}
}

func (m *Metrics) insertError() {
	if m != nil {
		m.insertErrors.Inc()
	}
}

func (m *Metrics) deliveryLimit() {
	if m != nil {
		m.overLimit.Inc()
	}
}
