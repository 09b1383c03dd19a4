package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// Defaults of the engine.
const (
	// DefaultEvaluator is the durable consumer the engine reads events with.
	DefaultEvaluator = "alerts-evaluator"
	// DefaultBucket is the JetStream key-value bucket progress is kept in.
	DefaultBucket = "coalition_alerts"
)

// EngineConfig configures an Engine. Zero values take the defaults.
type EngineConfig struct {
	Durable string        // durable consumer on COALITION_EVENTS; default DefaultEvaluator
	Bucket  string        // key-value bucket for progress; default DefaultBucket
	Batch   int           // events per fetch; default 500
	MaxWait time.Duration // longest wait for a batch to fill; default 250ms
	AckWait time.Duration // redelivery after this without an ack; default 60s
	// UndeliveredEvery is how often undelivered rules are checked while
	// the engine is up to date with the stream; default 30s. They are also
	// checked after every batch that brings it up to date.
	UndeliveredEvery time.Duration
	// LeaseTTL is how long an engine that stopped without releasing its
	// lease (a crash) keeps a standby from taking over; default 10s.
	LeaseTTL time.Duration
	// StopGrace is how long the engine goes on trying to publish the
	// alerts of the batch in hand once it is told to stop (or loses its
	// lease); after that the batch is given back, to be evaluated again.
	// Default 10s.
	StopGrace time.Duration
	// Replicas of the key-value buckets; default 1.
	Replicas int
	// Clock is the engine's "now": raise times, cooldowns and undelivered
	// deadlines. Default time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
}

// EngineStats are running totals of an Engine.
type EngineStats struct {
	Events     uint64 `json:"events"`     // messages evaluated (redeliveries included)
	Invalid    uint64 `json:"invalid"`    // messages that are not valid events (skipped)
	Raised     uint64 `json:"raised"`     // alerts published (PubAck received)
	Duplicates uint64 `json:"duplicates"` // of those, alerts the stream already held (a second guard)
	Suppressed uint64 `json:"suppressed"` // occurrences dropped by a cooldown
	LastSeq    uint64 `json:"last_seq"`   // stream sequence of the last evaluated event
	Replayed   uint64 `json:"replayed"`   // events replayed silently at start
}

// Engine evaluates the alert rules against the event stream and publishes
// the alerts. Run it once; SetRules, Rules, Ready and Stats are safe to
// call concurrently with Run.
//
// Engines sharing a durable consumer (two serve processes with the same
// rules) take turns: one evaluates, holding a lease in the key-value
// bucket <Bucket>_lease, and the others stand by. The evaluating engine
// keeps every coalition's events in memory.
type Engine struct {
	js      jetstream.JetStream
	cfg     EngineConfig
	log     *slog.Logger
	rules   atomic.Pointer[RuleSet]
	ready   atomic.Bool // evaluating, its state rebuilt
	standby atomic.Bool // waiting for another engine's lease
	stats   struct {
		events, invalid, raised, duplicates, suppressed, lastSeq, replayed atomic.Uint64
	}

	// Owned by Run.
	st         *state
	seen       map[string]struct{}  // alert ids published (PubAck received), or dropped by a cooldown
	lastRaised map[string]time.Time // cooldown scope -> last raise time
	kv         jetstream.KeyValue
	saved      uint64    // the sequence last written to the bucket
	checkedAt  time.Time // when undelivered rules were last checked (wall clock)
}

// NewEngine returns an Engine with the given rules. It does not contact the
// server until Run.
func NewEngine(nc *nats.Conn, rules *RuleSet, cfg EngineConfig) (*Engine, error) {
	if rules == nil {
		return nil, errors.New("alerts: NewEngine needs rules")
	}
	if cfg.Durable == "" {
		cfg.Durable = DefaultEvaluator
	}
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 250 * time.Millisecond
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 60 * time.Second
	}
	if cfg.UndeliveredEvery <= 0 {
		cfg.UndeliveredEvery = 30 * time.Second
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 10 * time.Second
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 10 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	e := &Engine{js: js, cfg: cfg, log: cfg.Logger, st: newState(), seen: map[string]struct{}{}, lastRaised: map[string]time.Time{}}
	e.rules.Store(rules)
	return e, nil
}

// SetRules replaces the rules; the next batch is evaluated with them.
func (e *Engine) SetRules(rs *RuleSet) { e.rules.Store(rs) }

// Rules returns the rules in use.
func (e *Engine) Rules() *RuleSet { return e.rules.Load() }

// Ready reports whether the engine has rebuilt its state and is evaluating
// new events.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Standby reports whether the engine is waiting while another one holds
// the lease. A standby engine is healthy: it takes over when the other
// stops.
func (e *Engine) Standby() bool { return e.standby.Load() }

// Stats returns the running totals.
func (e *Engine) Stats() EngineStats {
	return EngineStats{
		Events: e.stats.events.Load(), Invalid: e.stats.invalid.Load(), Raised: e.stats.raised.Load(), Duplicates: e.stats.duplicates.Load(),
		Suppressed: e.stats.suppressed.Load(), LastSeq: e.stats.lastSeq.Load(), Replayed: e.stats.replayed.Load(),
	}
}

func (e *Engine) progressKey() string { return e.cfg.Durable + ".last_seq" }

func (e *Engine) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       e.cfg.Durable,
		Description:   "Coalition: evaluates the alert rules",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.cfg.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		FilterSubject: schema.StreamSubjects,
		MaxAckPending: max(4*e.cfg.Batch, 4096),
		MaxWaiting:    512,
	}
}

// Run evaluates events until ctx is cancelled, and returns nil then.
//
// Only the engine holding the lease (see EngineConfig.LeaseTTL) evaluates;
// others stand by and take over when it stops. On taking over, an engine
// reads the alerts already raised (from the alert stream: they are not
// raised again, and cooldowns resume), replays the event stream silently
// up to the last evaluated sequence (kept in the key-value bucket, or the
// durable consumer's ack floor if that is further), and then evaluates the
// rest, acking each batch once the alerts it raised are stored. NATS
// errors are retried with backoff.
func (e *Engine) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		l, err := e.acquire(ctx)
		if err != nil {
			return nil
		}
		lctx, cancel := context.WithCancel(ctx)
		kept := make(chan struct{})
		go func() {
			defer close(kept)
			l.keep(lctx, e.cfg.LeaseTTL, func(err error) {
				e.log.Error("alert engine: lease lost; stopping evaluation", "err", err)
				cancel()
			})
		}()
		e.lead(lctx)
		cancel()
		<-kept
		l.release()
	}
	return nil
}

// lead is the evaluating engine's loop, until ctx ends.
func (e *Engine) lead(ctx context.Context) {
	cons, err := e.start(ctx)
	if err != nil {
		return // only when ctx ended
	}
	defer e.ready.Store(false)
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	caughtUp := false
	for ctx.Err() == nil {
		batch, err := cons.Fetch(e.cfg.Batch, jetstream.FetchMaxWait(e.cfg.MaxWait))
		var msgs []jetstream.Msg
		if err == nil {
			for msg := range batch.Messages() {
				msgs = append(msgs, msg)
			}
			err = batch.Error()
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
				err = nil
			}
		}
		if len(msgs) > 0 {
			bo.reset()
			md, mdErr := msgs[len(msgs)-1].Metadata()
			caughtUp = mdErr == nil && md.NumPending == 0
			e.handle(ctx, msgs, caughtUp)
		} else if err == nil {
			caughtUp = true
		}
		if caughtUp && time.Since(e.checkedAt) >= e.cfg.UndeliveredEvery {
			e.checkUndelivered(ctx)
		}
		if err == nil {
			continue
		}
		e.log.Warn("alert engine: fetch failed", "err", err)
		if lostConsumer(err) {
			bo.wait(ctx)
			if cons, err = e.bind(ctx); err != nil {
				return // only when ctx ended
			}
			continue
		}
		bo.wait(ctx)
	}
}

// start rebuilds the state and binds the durable consumer.
func (e *Engine) start(ctx context.Context) (jetstream.Consumer, error) {
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		kv, err := e.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: e.cfg.Bucket, Description: "Coalition alert engine progress", History: 1, Replicas: e.cfg.Replicas,
		})
		if err == nil {
			e.kv = kv
			break
		}
		e.log.Warn("alert engine: key-value bucket unavailable, retrying", "bucket", e.cfg.Bucket, "err", err)
		if !bo.wait(ctx) {
			return nil, ctx.Err()
		}
	}
	saved, err := e.loadProgress(ctx)
	if err != nil {
		return nil, err
	}
	// What was known before (when the engine held the lease earlier in
	// this process) is forgotten: the alert stream says what was raised,
	// not the memory of alerts that may have failed to publish.
	e.seen, e.lastRaised = map[string]struct{}{}, map[string]time.Time{}
	if err := e.seedFromAlerts(ctx); err != nil {
		return nil, err
	}
	cons, err := e.bind(ctx)
	if err != nil {
		return nil, err
	}
	target := saved
	if info, err := cons.Info(ctx); err == nil && info.AckFloor.Stream > target {
		target = info.AckFloor.Stream
	}
	if err := e.replay(ctx, target); err != nil {
		return nil, err
	}
	e.saved = saved
	e.stats.lastSeq.Store(target)
	e.ready.Store(true)
	e.log.Info("alert engine ready", "durable", e.cfg.Durable, "replayed_to", target,
		"alerts_known", len(e.seen), "rules", len(e.rules.Load().Rules))
	return cons, nil
}

func (e *Engine) bind(ctx context.Context) (jetstream.Consumer, error) {
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		cons, err := e.js.CreateOrUpdateConsumer(ctx, natsjs.EventStream, e.consumerConfig())
		if err == nil {
			return cons, nil
		}
		e.log.Warn("alert engine: binding the durable consumer failed, retrying", "durable", e.cfg.Durable, "err", err)
		if !bo.wait(ctx) {
			return nil, fmt.Errorf("bind consumer %s on %s: %w", e.cfg.Durable, natsjs.EventStream, err)
		}
	}
}

// handle evaluates a fetched batch, publishes what it raised and acks it.
func (e *Engine) handle(ctx context.Context, msgs []jetstream.Msg, caughtUp bool) {
	rs := e.rules.Load()
	var cands []candidate
	var last uint64
	for _, msg := range msgs {
		md, err := msg.Metadata()
		if err == nil {
			last = max(last, md.Sequence.Stream)
		}
		e.stats.events.Add(1)
		ev, err := schema.Decode(msg.Subject(), msg.Headers().Get, msg.Data())
		if err != nil {
			// The ClickHouse writer dead-letters it; here it is skipped.
			e.stats.invalid.Add(1)
			e.log.Debug("alert engine: skipping an invalid event", "subject", msg.Subject(), "err", err)
			continue
		}
		if ch := e.st.apply(ev); ch != nil {
			cands = append(cands, changeCandidates(rs, ch)...)
		}
	}
	now, checked := e.cfg.Clock(), time.Now()
	if caughtUp {
		cands = append(cands, undeliveredCandidates(rs, e.st, now)...)
	}
	alerts := e.decide(cands, now, false)
	if !e.publish(ctx, alerts, msgs) {
		for _, msg := range msgs {
			_ = msg.Nak()
		}
		return
	}
	if caughtUp {
		e.checkedAt = checked
	}
	e.saveProgress(ctx, last)
	for _, msg := range msgs {
		if err := msg.Ack(); err != nil {
			// Redelivered later, it changes nothing and raises nothing.
			e.log.Warn("alert engine: ack failed", "subject", msg.Subject(), "err", err)
		}
	}
	e.stats.lastSeq.Store(max(e.stats.lastSeq.Load(), last))
}

// checkUndelivered raises the undelivered alerts due now. If they cannot
// be published (the engine is stopping), they are raised by the next
// check, or by the engine that takes over.
func (e *Engine) checkUndelivered(ctx context.Context) {
	now, checked := e.cfg.Clock(), time.Now()
	alerts := e.decide(undeliveredCandidates(e.rules.Load(), e.st, now), now, false)
	if !e.publish(ctx, alerts, nil) {
		return
	}
	e.checkedAt = checked
}

// cooldownScope is what a cooldown is counted per: the rule, the coalition
// and the alert's country (support_below is about the whole coalition).
func cooldownScope(rule string, kind schema.AlertKind, coalition, country string) string {
	if kind == schema.AlertSupportBelow {
		country = ""
	}
	return rule + "/" + coalition + "/" + country
}

// decide turns candidates into alerts: an occurrence already raised (or
// dropped by a cooldown) is skipped, a cooldown drops an occurrence within
// it, the rest get their id, raise time and subscribers. They count as
// raised once publish has their PubAck. silent only marks them as raised
// (the replay of events whose alerts are on the stream already).
func (e *Engine) decide(cands []candidate, now time.Time, silent bool) []schema.Alert {
	var out []schema.Alert
	taken := map[string]bool{}
	for _, c := range cands {
		id := AlertID(c.key)
		if _, ok := e.seen[id]; ok || taken[id] {
			continue
		}
		taken[id] = true
		if silent {
			e.seen[id] = struct{}{}
			continue
		}
		scope := cooldownScope(c.rule.Name, c.rule.Kind, c.alert.Coalition, c.alert.Country)
		if last, ok := e.lastRaised[scope]; ok && c.rule.Cooldown > 0 && now.Sub(last) < c.rule.Cooldown {
			e.seen[id] = struct{}{}
			e.stats.suppressed.Add(1)
			e.log.Info("alert suppressed by cooldown", "rule", c.rule.Name, "alert_id", id, "coalition", c.alert.Coalition,
				"country", c.alert.Country, "last_raised", last, "cooldown", c.rule.Cooldown)
			continue
		}
		e.lastRaised[scope] = now
		a := c.alert
		a.ID, a.RaisedAt = id, now.UTC()
		a.Subscribers = append([]string(nil), c.rule.Subscribers...)
		out = append(out, a)
	}
	return out
}

// publish stores alerts on the alert stream, each with its id as
// Nats-Msg-Id, retrying until each has its PubAck, and marks each as
// raised once it has. While it retries the messages that raised them are
// kept in progress. Once ctx is cancelled it keeps trying for StopGrace;
// it reports whether every alert was stored.
func (e *Engine) publish(ctx context.Context, alerts []schema.Alert, msgs []jetstream.Msg) bool {
	if len(alerts) == 0 {
		return true
	}
	drain, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(e.cfg.StopGrace, cancel)
		context.AfterFunc(drain, func() { t.Stop() })
	})
	defer stop()
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for i := 0; i < len(alerts); {
		a := alerts[i]
		data, err := json.Marshal(a)
		if err != nil {
			e.log.Error("alert engine: encoding an alert failed", "alert_id", a.ID, "err", err)
			e.seen[a.ID] = struct{}{} // it would fail again
			i++
			continue
		}
		m := nats.NewMsg(natsjs.AlertSubject(a.Rule))
		m.Data = data
		m.Header.Set(schema.HeaderContentType, schema.ContentTypeJSON)
		pctx, pcancel := context.WithTimeout(drain, 10*time.Second)
		ack, err := e.js.PublishMsg(pctx, m, jetstream.WithMsgID(a.ID))
		pcancel()
		if err != nil {
			e.log.Warn("alert engine: publishing an alert failed, retrying", "alert_id", a.ID, "rule", a.Rule, "err", err)
			for _, msg := range msgs {
				_ = msg.InProgress()
			}
			if !bo.wait(drain) {
				e.log.Error("alert engine: alerts not published; they are raised when their events (or the undelivered check) are evaluated again", "pending", len(alerts)-i)
				return false
			}
			continue
		}
		bo.reset()
		i++
		e.seen[a.ID] = struct{}{}
		e.stats.raised.Add(1)
		if ack.Duplicate {
			e.stats.duplicates.Add(1)
		}
		e.log.Info("alert raised", "rule", a.Rule, "kind", a.Kind, "alert_id", a.ID, "coalition", a.Coalition,
			"country", a.Country, "event_id", a.EventID, "stream_seq", ack.Sequence, "duplicate", ack.Duplicate)
	}
	return true
}
