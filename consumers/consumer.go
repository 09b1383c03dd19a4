package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
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
	DefaultBatch         = 5000
	DefaultMaxWait       = 100 * time.Millisecond
	DefaultMaxDeliveries = 5
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
	// MaxDeliveries is how many times JetStream may deliver a message that
	// is never stored before the consumer dead-letters it: a message that
	// makes the consumer process crash or hang (ClickHouse refusing one is
	// PoisonAttempts' business). Redelivered messages are stored in smaller
	// and smaller chunks, one at a time by the MaxDeliveries-th delivery
	// (see chunkSize), so that the messages fetched with such a message are
	// stored around it instead of sharing its fate. Messages a stopping
	// consumer gives back (the batch fetched ahead, a batch it could not
	// store within Drain) count as delivered too.
	// Default DefaultMaxDeliveries; at least 2.
	MaxDeliveries int
	// Replicas is the replica count of TrialsBucket (as the streams'; 3 on
	// a NATS cluster). Default 1.
	Replicas int
	Logger   *slog.Logger
	Metrics  *Metrics // may be nil
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
	// trials notes the messages stored alone past the delivery limit
	// (TrialsBucket); nil if the server refused the bucket.
	trials jetstream.KeyValue
	stats  struct {
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
	if cfg.MaxDeliveries <= 0 {
		cfg.MaxDeliveries = DefaultMaxDeliveries
	}
	cfg.MaxDeliveries = max(cfg.MaxDeliveries, 2)
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
		// Deliveries are counted by the consumer, which dead-letters a
		// message past MaxDeliveries; JetStream's own limit would drop it
		// without a trace.
		MaxDeliver:    -1,
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
	c.openTrials(ctx)
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

// handle dead-letters what a fetched batch holds that is invalid and stores
// the rest, in one INSERT unless the batch was delivered several times
// (see chunkSize), each chunk retried until it succeeds or the drain time
// runs out, then acked.
//
// A message delivered more than MaxDeliveries times without being stored
// has most likely brought down the consumer that held it each time. Such
// messages come back with the messages fetched with them, which were lost
// with them as often, so the count alone does not tell the culprit from
// its batch-mates (nor does the order, with several writers sharing the
// messages out). From the MaxDeliveries-th delivery on, a message is stored
// alone, with a note in TrialsBucket while it is: a note still there when
// the message comes back means a consumer died storing it by itself, and
// the message is dead-lettered with the reason. A batch-mate has no note
// (its consumer died on the culprit first, or stored it) and is stored.
func (c *Consumer) handle(ctx context.Context, p *prepared) {
	for _, b := range p.bad {
		c.deadLetter(ctx, b.msg, b.seq, b.err)
	}
	size := c.chunkSize(p.mostDelivered)
	if size < len(p.rows) {
		// Chunked: the chunks waiting their turn are in progress too, or a
		// batch stored one message at a time could outlast the ack wait
		// and be redelivered to another writer meanwhile.
		stop := c.keepInProgress(p.good)
		defer stop()
	}
	limit := uint64(c.cfg.MaxDeliveries)
	for lo := 0; lo < len(p.rows); lo += size {
		hi := min(lo+size, len(p.rows))
		n, seq := p.delivered[lo], p.rows[lo].StreamSeq
		alone := size == 1 && n >= limit // chunkSize is 1 from the limit on
		if alone && n > limit && c.diedAlone(ctx, seq, n) {
			c.deliveryLimit(ctx, p.good[lo], p.rows[lo], n)
			c.clearTrial(ctx, seq)
			continue
		}
		if alone {
			c.noteTrial(ctx, seq)
		}
		if !c.storeChunk(ctx, p.rows[lo:hi], p.good[lo:hi], p.fetched, p.mostDelivered > 1) {
			c.giveBack(p.good[hi:]) // not tried
			return
		}
		if alone {
			c.clearTrial(ctx, seq)
		}
	}
}

// keepInProgress tells JetStream every third of the ack wait that msgs are
// in progress, until the returned stop is called. Signals for messages
// already acked are refused by the server and ignored.
func (c *Consumer) keepInProgress(msgs []jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(c.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, m := range msgs {
					if err := m.InProgress(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
						// At worst the message is redelivered, stored
						// again and read once.
						c.log.Debug("in-progress signal failed", "stream_seq", streamSeq(m), "err", err)
					}
				}
			}
		}
	}()
	return func() { close(done) }
}

// chunkSize is how many messages of a fetched batch go into one INSERT
// when the most delivered of them is on its n-th delivery. A first
// delivery, and a second (after one crash or a clean stop), use the whole
// batch; from the third on the chunks shrink geometrically, to one message
// at the MaxDeliveries-th delivery and after. A message that crashes the
// consumer takes down only its chunk (and the chunks after it), so it is
// cornered over the deliveries the way a refused one is by halving.
func (c *Consumer) chunkSize(n uint64) int {
	limit := uint64(c.cfg.MaxDeliveries)
	switch {
	case n >= limit:
		return 1
	case n <= 2:
		return c.cfg.Batch
	}
	// 3 <= n < limit, so limit >= 4.
	exp := float64(limit-n) / float64(limit-2)
	return max(1, int(math.Ceil(math.Pow(float64(c.cfg.Batch), exp))))
}

// deliveryLimit dead-letters a message delivered n times, more than
// MaxDeliveries, without being stored.
func (c *Consumer) deliveryLimit(ctx context.Context, msg jetstream.Msg, row clickhouse.Row, n uint64) {
	c.log.Error("message delivered past the limit without being stored: dead-lettering it",
		"event_id", row.Event.ID.String(), "stream_seq", row.StreamSeq, "deliveries", n, "max_deliveries", c.cfg.MaxDeliveries)
	c.m.deliveryLimit()
	c.deadLetter(ctx, msg, row.StreamSeq, fmt.Errorf("delivered %d times without being stored (the limit is %d): it may crash or stall the consumer", n, c.cfg.MaxDeliveries))
}

// storeChunk stores rows (retrying until it succeeds or the drain time
// runs out) and acks their messages. If it gives up it hands the messages
// back (nak) and returns false.
//
// The acks of a redelivered batch's chunk must have reached the server
// before the next chunk is tried, or a next chunk that kills the process
// would take them along and the messages stored would come back as if
// they had never been. So the chunk's last ack waits for the server's
// reply, which comes after the server has taken the acks before it (it
// takes a consumer's acks in the order they arrive).
func (c *Consumer) storeChunk(ctx context.Context, rows []clickhouse.Row, msgs []jetstream.Msg, start time.Time, redelivered bool) bool {
	if failpoint.Matched(failpoint.StoreEvent) {
		for i := range rows {
			failpoint.HitValue(failpoint.StoreEvent, rows[i].Event.ID.String())
		}
	}
	failpoint.Hit(failpoint.BeforeInsert)
	rows, good, ok := c.store(ctx, rows, msgs)
	if !ok {
		// Given up (stopping, drain time over): hand back what was not
		// stored. (Messages dead-lettered meanwhile are acked already.)
		c.giveBack(msgs)
		return false
	}
	failpoint.Hit(failpoint.AfterInsert)
	for i, msg := range good {
		if err := c.ack(ctx, msg, redelivered && i == len(good)-1); err != nil {
			// Stored but not acked: it will be redelivered and stored again,
			// which readers de-duplicate by event id.
			c.log.Warn("ack failed", "stream_seq", streamSeq(msg), "err", err)
		}
	}
	failpoint.Hit(failpoint.AfterAck)
	if len(good) == 0 {
		return true
	}
	last := streamSeq(good[len(good)-1])
	c.stats.stored.Add(uint64(len(rows)))
	c.stats.batches.Add(1)
	c.stats.lastSeq.Store(last)
	c.m.observeBatch(len(rows), time.Since(start))
	c.log.Debug("stored batch", "events", len(rows), "stream_seq", last)
	return true
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
	// The batch is in progress while it is stored, so that a slow or
	// retried INSERT is not redelivered elsewhere.
	defer c.keepInProgress(msgs)()
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

// ack acks msg; with wait, it waits for the server to confirm it.
func (c *Consumer) ack(ctx context.Context, msg jetstream.Msg, wait bool) error {
	if !wait {
		return msg.Ack()
	}
	ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return msg.DoubleAck(ackCtx)
}

// deadLetter publishes a message that cannot be accepted to the dead-letter
// stream with the reason, then acks it and waits for the server to confirm
// the ack. If the dead letter cannot be published, the message is not
// acked and will come back.
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
	// Confirmed: a dead letter is rare, and it is often followed by a
	// message that kills the process (see handle).
	if err := c.ack(ctx, msg, true); err != nil {
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
