package producers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// Result is the outcome of publishing one event.
type Result struct {
	ID        string // event id
	Subject   string
	Seq       uint64 // stream sequence from the PubAck
	Duplicate bool   // JetStream already had this id within its window
	Attempts  int
	Err       error // nil when the PubAck was received
}

// Publisher publishes events to JetStream. It is safe for concurrent use.
// A publish is acknowledged only when JetStream returned a PubAck: the event
// is then stored (replicated, for R3 streams) and will reach the consumer.
type Publisher struct {
	js         jetstream.JetStream
	source     string
	maxPending int
	attempts   int
	backoff    time.Duration
	ackTimeout time.Duration
	now        func() time.Time
	log        *slog.Logger
}

// Option configures a Publisher.
type Option func(*Publisher)

// WithSource sets the CloudEvents source of published events, such as
// /producers/cli. Default /producers/coalition.
func WithSource(s string) Option { return func(p *Publisher) { p.source = s } }

// WithMaxPending bounds the asynchronous publishes in flight; PublishBatch
// blocks while the bound is reached. Default 4096.
func WithMaxPending(n int) Option { return func(p *Publisher) { p.maxPending = n } }

// WithRetries sets how many times a publish is attempted in all (default 6)
// and the first backoff (default 100ms, doubling, at most 5s).
func WithRetries(attempts int, backoff time.Duration) Option {
	return func(p *Publisher) { p.attempts, p.backoff = attempts, backoff }
}

// WithAckTimeout sets how long a publish waits for its PubAck before it
// counts as failed and is retried (default 5s).
func WithAckTimeout(d time.Duration) Option { return func(p *Publisher) { p.ackTimeout = d } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(p *Publisher) { p.log = l } }

// WithClock sets the clock used for a missing reported_at (tests).
func WithClock(now func() time.Time) Option { return func(p *Publisher) { p.now = now } }

// NewPublisher returns a Publisher over a NATS connection.
func NewPublisher(nc *nats.Conn, opts ...Option) (*Publisher, error) {
	p := &Publisher{source: "/producers/coalition", maxPending: 4096, attempts: 6, backoff: 100 * time.Millisecond,
		ackTimeout: 5 * time.Second, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(p)
	}
	// The ack timeout makes a PubAck lost without a disconnect an error
	// (retried with the same message id) instead of a wait forever.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(p.maxPending), jetstream.WithPublishAsyncTimeout(p.ackTimeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	p.js = js
	return p, nil
}

// Prepare fills an event's missing id and reported_at and validates it,
// returning the wire message. Events are prepared before publishing so that
// retries reuse the same id.
func (p *Publisher) Prepare(ev *schema.Event) (schema.Message, error) {
	if err := ev.Normalize(p.now()); err != nil {
		return schema.Message{}, err
	}
	if err := schema.CheckTimes(ev, p.now()); err != nil {
		return schema.Message{}, err
	}
	return schema.Encode(ev, p.source)
}

// Publish publishes one event and waits for its PubAck, retrying transient
// failures with the same message id.
func (p *Publisher) Publish(ctx context.Context, ev *schema.Event) Result {
	rs := p.PublishBatch(ctx, []*schema.Event{ev})
	return rs[0]
}

// PublishBatch publishes events asynchronously, at most the configured
// number in flight, and waits for every PubAck. Failed publishes are retried
// with backoff, keeping their message id, up to the configured attempts. It
// returns one Result per event, in order; events that are invalid fail
// without being sent. The returned Results always have the same length as
// evs. Events are modified in place by Prepare (id, reported_at).
func (p *Publisher) PublishBatch(ctx context.Context, evs []*schema.Event) []Result {
	results := make([]Result, len(evs))
	msgs := make([]*nats.Msg, len(evs))
	var todo []int
	for i, ev := range evs {
		m, err := p.Prepare(ev)
		results[i].ID = ev.ID.String()
		if err != nil {
			results[i].Err = err
			continue
		}
		results[i].Subject = m.Subject
		msg := nats.NewMsg(m.Subject)
		msg.Data = m.Data
		for k, v := range m.Header {
			msg.Header.Set(k, v)
		}
		msgs[i] = msg
		todo = append(todo, i)
	}
	backoff := p.backoff
	for attempt := 1; len(todo) > 0; attempt++ {
		futures := make([]jetstream.PubAckFuture, len(todo))
		for j, i := range todo {
			results[i].Attempts = attempt
			f, err := p.js.PublishMsgAsync(msgs[i], jetstream.WithMsgID(msgs[i].Header.Get(schema.HeaderMsgID)))
			if err != nil {
				results[i].Err = fmt.Errorf("publish event %s: %w", results[i].ID, err)
				continue
			}
			futures[j] = f
		}
		var again []int
		for j, i := range todo {
			f := futures[j]
			if f == nil {
				again = append(again, i)
				continue
			}
			select {
			case ack := <-f.Ok():
				results[i].Err = nil
				results[i].Seq, results[i].Duplicate = ack.Sequence, ack.Duplicate
			case err := <-f.Err():
				results[i].Err = fmt.Errorf("publish event %s to %s: %w", results[i].ID, results[i].Subject, err)
				again = append(again, i)
			case <-ctx.Done():
				results[i].Err = fmt.Errorf("publish event %s: %w", results[i].ID, ctx.Err())
			}
		}
		if ctx.Err() != nil {
			for _, i := range todo {
				if results[i].Err == nil && results[i].Seq == 0 {
					results[i].Err = fmt.Errorf("publish event %s: %w", results[i].ID, ctx.Err())
				}
			}
			return results
		}
		todo = todo[:0]
		for _, i := range again {
			if attempt < p.attempts && natsjs.IsRetryable(results[i].Err) {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			break
		}
		p.log.Warn("retrying publishes", "count", len(todo), "attempt", attempt+1, "backoff", backoff, "err", results[todo[0]].Err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			for _, i := range todo {
				results[i].Err = fmt.Errorf("publish event %s: %w (after %v)", results[i].ID, ctx.Err(), results[i].Err)
			}
			return results
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	return results
}
