package alerts

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/coalitiondev/coalition/natsjs"
)

// Metrics are the webhook deliveries' Prometheus metrics, labelled by
// subscriber (a name from the rules file, so the label values are few):
//
//   - coalition_alert_deliveries_total{subscriber,outcome}: attempts by
//     this process since it started, by outcome: delivered (a 2xx answer),
//     failed (an attempt without a 2xx answer, the last one included; all but the last are retried) and
//     dead_lettered (given up on after the last attempt);
//   - coalition_alert_delivery_last_success_timestamp_seconds{subscriber}:
//     when this process last delivered to the subscriber;
//   - coalition_alert_deliveries_pending{subscriber}: alerts on the
//     subscriber's durable consumer not yet delivered or dead-lettered
//     (waiting, in flight or waiting for a retry), read from NATS at each
//     scrape;
//   - coalition_alert_dead_letters{subscriber}: the subscriber's records
//     on COALITION_ALERTS_DLQ, read from NATS at each scrape.
//
// The last two are durable: every process that runs the deliveries shows
// the same values, before and after a restart. A nil *Metrics records
// nothing. One Metrics serves one Deliverer.
type Metrics struct {
	deliveries  *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	stored      storedCollector
}

// Outcomes of a delivery attempt, the outcome label of
// coalition_alert_deliveries_total.
const (
	OutcomeDelivered    = "delivered"
	OutcomeFailed       = "failed"
	OutcomeDeadLettered = "dead_lettered"
)

// NewMetrics registers the delivery metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coalition_alert_deliveries_total",
			Help: "Webhook delivery attempts by this process, by subscriber and outcome (delivered, failed, dead_lettered).",
		}, []string{"subscriber", "outcome"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "coalition_alert_delivery_last_success_timestamp_seconds",
			Help: "When this process last delivered an alert to the subscriber (Unix seconds).",
		}, []string{"subscriber"}),
		stored: storedCollector{
			pending: prometheus.NewDesc("coalition_alert_deliveries_pending",
				"Alerts on the subscriber's durable consumer not yet delivered or dead-lettered (read from NATS).", []string{"subscriber"}, nil),
			deadLetters: prometheus.NewDesc("coalition_alert_dead_letters",
				"Dead-letter records of the subscriber kept on COALITION_ALERTS_DLQ (read from NATS).", []string{"subscriber"}, nil),
		},
	}
	reg.MustRegister(m.deliveries, m.lastSuccess, &m.stored)
	return m
}

// attach makes the stored gauges read d's subscribers.
func (m *Metrics) attach(d *Deliverer) {
	if m != nil {
		m.stored.d.Store(d)
	}
}

// subscriberAdded starts the subscriber's counters at zero.
func (m *Metrics) subscriberAdded(name string) {
	if m == nil {
		return
	}
	for _, o := range []string{OutcomeDelivered, OutcomeFailed, OutcomeDeadLettered} {
		m.deliveries.WithLabelValues(name, o)
	}
}

// subscriberRemoved drops the series of a subscriber no longer delivered to.
func (m *Metrics) subscriberRemoved(name string) {
	if m == nil {
		return
	}
	m.deliveries.DeletePartialMatch(prometheus.Labels{"subscriber": name})
	m.lastSuccess.DeleteLabelValues(name)
}

func (m *Metrics) attempt(name, outcome string, at time.Time) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(name, outcome).Inc()
	if outcome == OutcomeDelivered {
		m.lastSuccess.WithLabelValues(name).Set(float64(at.UnixNano()) / 1e9)
	}
}

// storedCollector reads the durable delivery state from NATS when scraped.
type storedCollector struct {
	pending, deadLetters *prometheus.Desc
	d                    atomic.Pointer[Deliverer]
}

// scrapeTimeout bounds the NATS requests of one scrape.
const scrapeTimeout = 3 * time.Second

func (c *storedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.deadLetters
}

// Collect reports, for each subscriber delivered to, its durable
// consumer's pending alerts and its dead letters. What NATS does not
// answer within the scrape timeout is left out of the scrape.
func (c *storedCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.d.Load()
	if d == nil {
		return
	}
	names := d.subscriberNames()
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for _, name := range names {
		cons, err := d.js.Consumer(ctx, natsjs.AlertStream, WebhookConsumerPrefix+name)
		if err != nil {
			continue
		}
		info := cons.CachedInfo()
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(info.NumPending)+float64(info.NumAckPending), name)
	}
	str, err := d.js.Stream(ctx, natsjs.AlertDeadLetterStream)
	if err != nil {
		return
	}
	info, err := str.Info(ctx, jetstream.WithSubjectFilter(DeadLetterSubject("*")))
	if err != nil {
		return
	}
	counts := map[string]uint64{}
	for subject, n := range info.State.Subjects {
		counts[strings.TrimPrefix(subject, DeadLetterSubject(""))] = n
	}
	for _, name := range names {
		ch <- prometheus.MustNewConstMetric(c.deadLetters, prometheus.GaugeValue, float64(counts[name]), name)
	}
}
