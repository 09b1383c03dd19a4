package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/failpoint"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// Headers set on dead letters.
const (
	HeaderError          = "Coalition-Error"
	HeaderOriginalSubj   = "Coalition-Original-Subject"
	HeaderOriginalSeq    = "Coalition-Original-Seq"
	HeaderOriginalStream = "Coalition-Original-Stream"
)

// Sink stores batches of events. InsertEvents must be atomic for a batch or
// safe to repeat: the consumer retries a failed batch whole.
type Sink interface {
	InsertEvents(ctx context.Context, rows []clickhouse.Row) error
}

var _ Sink = (*clickhouse.Store)(nil)

// Defaults of Config. A batch of 5,000 keeps ClickHouse's INSERTs large
// (it takes rows several times faster in batches of thousands than of
// hundreds); MaxWait bounds how long light traffic waits for a batch to
// fill, and so the latency from publish to queryable (docs/performance.md).
const (
	DefaultBatch   = 5000
	DefaultMaxWait = 100 * time.Millisecond
)

// Config configures a Consumer.
type Config struct {
	Durable string        // durable consumer name; default "clickhouse-writer"
	Batch   int           // messages per fetch and per INSERT; default DefaultBatch
	MaxWait time.Duration // longest wait for a batch to fill; default DefaultMaxWait
	AckWait time.Duration // redelivery after this without an ack; default 60s
	// Drain bounds how long a stopping consumer keeps trying to store the
	// batch in flight before it gives the messages back (nak). Default 30s.
	Drain time.Duration
	// PoisonAttempts is how many times ClickHouse may refuse a batch before
	// it is split to find the event it refuses, which is then
	// dead-lettered. Default 3.
	PoisonAttempts int
	Logger         *slog.Logger
	Metrics        *Metrics // may be nil
}

// Consumer moves events from JetStream to a Sink. Run it once; Stats and
// Bound are safe to call concurrently with Run.
type Consumer struct {
	js    jetstream.JetStream
	sink  Sink
	cfg   Config
	log   *slog.Logger
	m     *Metrics
	bound atomic.Bool
	stats struct {
		stored, deadLettered, batches, insertErrors atomic.Uint64
		lastSeq                                     atomic.Uint64
	}
}

// New returns a Consumer. It does not contact the server until Run.
func New(nc *nats.Conn, sink Sink, cfg Config) (*Consumer, error) {
	if cfg.Durable == "" {
		cfg.Durable = "clickhouse-writer"
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 60 * time.Second
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 30 * time.Second
	}
	if cfg.PoisonAttempts <= 0 {
		cfg.PoisonAttempts = 3
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &Consumer{js: js, sink: sink, cfg: cfg, log: cfg.Logger, m: cfg.Metrics}, nil
}

// Stats are running totals of a Consumer.
type Stats struct {
	Stored       uint64 `json:"stored"`        // messages written to the sink (redeliveries included)
	DeadLettered uint64 `json:"dead_lettered"` // messages sent to the dead-letter stream
	Batches      uint64 `json:"batches"`
	InsertErrors uint64 `json:"insert_errors"` // failed INSERT attempts (each retried)
	LastSeq      uint64 `json:"last_seq"`      // stream sequence of the last acked message
}

// Stats returns the running totals.
func (c *Consumer) Stats() Stats {
	return Stats{
		Stored: c.stats.stored.Load(), DeadLettered: c.stats.deadLettered.Load(),
		Batches: c.stats.batches.Load(), InsertErrors: c.stats.insertErrors.Load(),
		LastSeq: c.stats.lastSeq.Load(),
	}
}

// Bound reports whether the consumer is attached to its durable consumer.
func (c *Consumer) Bound() bool { return c.bound.Load() }

// consumerConfig is the durable pull consumer all Consumer processes share.
func (c *Consumer) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       c.cfg.Durable,
		Description:   "Coalition: writes events to ClickHouse",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		FilterSubject: schema.StreamSubjects,
		// Above the batch size, or a fetch returns less than a batch and
		// waits out MaxWait (see docs/performance.md).
		MaxAckPending: max(4*c.cfg.Batch, 4096),
		MaxWaiting:    512,
	}
}

// Run consumes until ctx is cancelled. On cancellation it stops fetching,
// finishes storing and acking the batch in flight (for at most Drain), gives
// back a batch fetched but not yet stored, and returns nil (also when it is
// stopped before it could bind). Errors from NATS and ClickHouse are retried
// with backoff and logged.
//
// Fetching and decoding run one batch ahead of storing (see fetchLoop), so
// that JetStream, the decoder and ClickHouse work at the same time.
func (c *Consumer) Run(ctx context.Context) error {
	cons, err := c.bind(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it was bound: a clean stop
		}
		return err
	}
	defer c.bound.Store(false)
	batches := make(chan *prepared)
	fetched := make(chan error, 1)
	go func() { fetched <- c.fetchLoop(ctx, cons, batches) }()
	for p := range batches {
		c.handle(ctx, p)
	}
	return <-fetched
}

// lostConsumer reports whether a fetch error means the durable consumer
// must be bound again.
func lostConsumer(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoHeartbeat) ||
		errors.Is(err, jetstream.ErrStreamNotFound)
}

func (c *Consumer) bind(ctx context.Context) (jetstream.Consumer, error) {
	backoff := newBackoff()
	for {
		cons, err := c.js.CreateOrUpdateConsumer(ctx, natsjs.EventStream, c.consumerConfig())
		if err == nil {
			c.bound.Store(true)
			c.log.Info("consumer bound", "stream", natsjs.EventStream, "durable", c.cfg.Durable)
			return cons, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("bind consumer %s on %s: %w", c.cfg.Durable, natsjs.EventStream, err)
		}
		c.log.Warn("bind consumer failed, retrying", "durable", c.cfg.Durable, "err", err)
		backoff.wait(ctx)
	}
}

// handle dead-letters what a fetched batch holds that is invalid, stores
// the rest in one INSERT (retried until it succeeds or the drain time runs
// out) and acks.
func (c *Consumer) handle(ctx context.Context, p *prepared) {
	start := p.fetched
	for _, b := range p.bad {
		c.deadLetter(ctx, b.msg, b.seq, b.err)
	}
	rows, good := p.rows, p.good
	if len(rows) == 0 {
		return
	}
	failpoint.Hit(failpoint.BeforeInsert)
	fetched := good
	rows, good, ok := c.store(ctx, rows, good)
	if !ok {
		// Given up (stopping, drain time over): hand back what was not
		// stored. (Messages dead-lettered meanwhile are acked already.)
		for _, msg := range fetched {
			if err := msg.Nak(); err != nil {
				c.log.Warn("nak failed; the message will be redelivered after the ack wait", "stream_seq", streamSeq(msg), "err", err)
			}
		}
		return
	}
	failpoint.Hit(failpoint.AfterInsert)
	for _, msg := range good {
		if err := msg.Ack(); err != nil {
			// Stored but not acked: it will be redelivered and stored again,
			// which readers de-duplicate by event id.
			c.log.Warn("ack failed", "stream_seq", streamSeq(msg), "err", err)
		}
	}
	failpoint.Hit(failpoint.AfterAck)
	if len(good) == 0 {
		return
	}
	last := streamSeq(good[len(good)-1])
	c.stats.stored.Add(uint64(len(rows)))
	c.stats.batches.Add(1)
	c.stats.lastSeq.Store(last)
	c.m.observeBatch(len(rows), time.Since(start))
	c.log.Debug("stored batch", "events", len(rows), "stream_seq", last)
}

// store inserts rows, retrying with backoff, and returns the rows and
// messages it stored, and false if it gave up because ctx ended and the
// drain time ran out (the caller then gives the messages back).
//
// Failures that may pass (ClickHouse unreachable, a timeout) are retried
// for as long as it takes. A batch that ClickHouse itself refuses
// (an exception: a data problem) PoisonAttempts times is split in two and
// each half stored on its own, down to the single row, which is then
// dead-lettered with ClickHouse's reason: one poison event cannot block the
// stream, and no good event is lost with it.
//
// While it retries it tells JetStream the messages are in progress, so
// they are not redelivered to another consumer.
func (c *Consumer) store(ctx context.Context, rows []clickhouse.Row, msgs []jetstream.Msg) ([]clickhouse.Row, []jetstream.Msg, bool) {
	drainCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(c.cfg.Drain, cancel)
		context.AfterFunc(drainCtx, func() { t.Stop() })
	})
	defer stop()
	// Tell JetStream the batch is in progress every third of the ack wait,
	// so that a slow or retried INSERT is not redelivered elsewhere.
	progressDone := make(chan struct{})
	defer close(progressDone)
	go func() {
		t := time.NewTicker(c.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-progressDone:
				return
			case <-t.C:
				for _, m := range msgs {
					if err := m.InProgress(); err != nil {
						// At worst the batch is redelivered, stored again
						// and read once.
						c.log.Debug("in-progress signal failed", "stream_seq", streamSeq(m), "err", err)
					}
				}
			}
		}
	}()
	var storedRows []clickhouse.Row
	var storedMsgs []jetstream.Msg
	ok := c.storePart(ctx, drainCtx, rows, msgs, &storedRows, &storedMsgs)
	return storedRows, storedMsgs, ok
}

// storePart stores rows (retrying, bisecting on refusals) and appends what
// it stored to the outputs. It reports false if it gave up (drain over).
func (c *Consumer) storePart(ctx, drainCtx context.Context, rows []clickhouse.Row, msgs []jetstream.Msg, outRows *[]clickhouse.Row, outMsgs *[]jetstream.Msg) bool {
	backoff := newBackoff()
	refusals := 0
	for attempt := 1; ; attempt++ {
		insCtx, insCancel := context.WithTimeout(drainCtx, c.cfg.AckWait/2)
		err := c.sink.InsertEvents(insCtx, rows)
		insCancel()
		if err == nil {
			*outRows = append(*outRows, rows...)
			*outMsgs = append(*outMsgs, msgs...)
			return true
		}
		c.stats.insertErrors.Add(1)
		c.m.insertError()
		c.log.Warn("insert failed, retrying", "events", len(rows), "attempt", attempt, "err", err,
			"first_stream_seq", rows[0].StreamSeq)
		if clickhouse.IsRefusal(err) {
			if refusals++; refusals >= c.cfg.PoisonAttempts {
				if len(rows) == 1 {
					c.deadLetter(ctx, msgs[0], rows[0].StreamSeq, fmt.Errorf("ClickHouse refused the event %d times: %w", refusals, err))
					return true
				}
				half := len(rows) / 2
				return c.storePart(ctx, drainCtx, rows[:half], msgs[:half], outRows, outMsgs) &&
					c.storePart(ctx, drainCtx, rows[half:], msgs[half:], outRows, outMsgs)
			}
		}
		if drainCtx.Err() != nil {
			return false
		}
		if !backoff.wait(drainCtx) {
			return false
		}
	}
}

// deadLetter publishes a message that cannot be accepted to the dead-letter
// stream with the reason, then acks it. If the dead letter cannot be
// published, the message is not acked and will come back.
func (c *Consumer) deadLetter(ctx context.Context, msg jetstream.Msg, seq uint64, reason error) {
	dl := nats.NewMsg(natsjs.DeadLetterSubject)
	dl.Data = msg.Data()
	for k, vs := range msg.Headers() {
		// Keep the CloudEvents attributes and the content type; drop
		// JetStream's own headers (Nats-Msg-Id, Nats-Expected-*), which
		// would make the dead-letter publish fail or be de-duplicated.
		if !strings.HasPrefix(strings.ToLower(k), "ce-") && !strings.EqualFold(k, schema.HeaderContentType) {
			continue
		}
		for _, v := range vs {
			dl.Header.Add(k, v)
		}
	}
	dl.Header.Set(HeaderError, truncate(reason.Error(), 4000))
	dl.Header.Set(HeaderOriginalSubj, msg.Subject())
	dl.Header.Set(HeaderOriginalSeq, strconv.FormatUint(seq, 10))
	dl.Header.Set(HeaderOriginalStream, natsjs.EventStream)
	pubCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	id := fmt.Sprintf("dlq-%s-%d", natsjs.EventStream, seq)
	if _, err := c.js.PublishMsg(pubCtx, dl, jetstream.WithMsgID(id)); err != nil {
		c.log.Error("dead-letter publish failed; message left unacked for redelivery", "stream_seq", seq, "err", err)
		_ = msg.NakWithDelay(5 * time.Second)
		return
	}
	if err := msg.Ack(); err != nil {
		c.log.Warn("ack of dead-lettered message failed", "stream_seq", seq, "err", err)
	}
	c.stats.deadLettered.Add(1)
	c.m.deadLetter()
	c.log.Warn("dead-lettered message", "stream_seq", seq, "subject", msg.Subject(), "reason", reason)
}

func streamSeq(msg jetstream.Msg) uint64 {
	md, err := msg.Metadata()
	if err != nil {
		return 0
	}
	return md.Sequence.Stream
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// backoff waits 100ms, doubling to at most 5s.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{d: 100 * time.Millisecond} }

func (b *backoff) reset() { b.d = 100 * time.Millisecond }

// wait sleeps for the current delay and doubles it; false if ctx ended.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.d)
	defer t.Stop()
	b.d = min(2*b.d, 5*time.Second)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
