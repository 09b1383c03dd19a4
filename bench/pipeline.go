package bench

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// publishChunk is how many events a producer hands PublishBatch at once;
// two producers alternate, so one prepares a chunk while the other waits
// for its PubAcks.
const publishChunk = 2000

// runningConsumer is a consumers.Consumer running on its own connection.
type runningConsumer struct {
	c      *consumers.Consumer
	cancel context.CancelFunc
	done   chan error
}

func (e *env) startConsumer(ctx context.Context, sink consumers.Sink) (*runningConsumer, error) {
	nc, err := e.connect("bench-consumer")
	if err != nil {
		return nil, err
	}
	c, err := consumers.New(nc, sink, consumers.Config{Batch: e.r.cfg.Batch, Logger: e.r.cfg.Logger})
	if err != nil {
		nc.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	rc := &runningConsumer{c: c, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := c.Run(ctx)
		nc.Close()
		rc.done <- err
	}()
	return rc, nil
}

func (rc *runningConsumer) stop() error {
	rc.cancel()
	return <-rc.done
}

// waitStored waits until the consumer has stored n messages.
func (rc *runningConsumer) waitStored(ctx context.Context, n int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for rc.c.Stats().Stored < uint64(n) {
		select {
		case <-ctx.Done():
			st := rc.c.Stats()
			return fmt.Errorf("%w: consumer stored %d of %d events (dead-lettered %d) after %v", errIncomplete, st.Stored, n, st.DeadLettered, timeout)
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

// publishAll publishes n new events through the producer library,
// publishChunk at a time from two producers, each making its chunk as it
// goes (as an importer would), and fails on the first event not
// acknowledged.
func publishAll(ctx context.Context, pub *producers.Publisher, gen *generator, n int) error {
	var next int
	var mu sync.Mutex
	g, ctx := newGroup(ctx)
	for range 2 {
		g.Go(func() error {
			for {
				mu.Lock()
				k := min(publishChunk, n-next)
				next += k
				mu.Unlock()
				if k <= 0 {
					return nil
				}
				if err := checkResults(pub.PublishBatch(ctx, gen.events(k))); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

func checkResults(rs []producers.Result) error {
	for _, r := range rs {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// statusReflects reads the coalition's status and checks that it counts
// every one of n events.
func statusReflects(ctx context.Context, store *clickhouse.Store, n int) error {
	sts, err := store.CountryStatus(ctx, Coalition)
	if err != nil {
		return err
	}
	var total uint64
	for _, s := range sts {
		total += s.Events
	}
	if total != uint64(n) {
		return fmt.Errorf("%w: the status counts %d events, want %d", errIncomplete, total, n)
	}
	return nil
}

// endToEnd times events from the first publish until every one is stored
// and the status counts it, with producer and consumer running together.
func (r *runner) endToEnd(ctx context.Context) error {
	n := r.cfg.Events
	e, err := r.newEnv(ctx, PhaseEndToEnd)
	if err != nil {
		return err
	}
	defer e.close()
	pc, err := e.connect("bench-producer")
	if err != nil {
		return err
	}
	defer pc.Close()
	pub, err := producers.NewPublisher(pc, producers.WithSource("/producers/bench"))
	if err != nil {
		return err
	}
	rc, err := e.startConsumer(ctx, e.store)
	if err != nil {
		return err
	}
	defer rc.stop()

	// The status refresher runs as it does in serve.
	rctx, rcancel := context.WithCancel(ctx)
	refresher := make(chan error, 1)
	go func() {
		refresher <- e.store.RunStatusRefresher(rctx, clickhouse.RefresherConfig{Logger: r.cfg.Logger})
	}()
	defer func() {
		rcancel()
		<-refresher
	}()

	r.progress("end to end: publishing %d events while the consumer and the status refresher run", n)
	peak := watchRSS()
	start := time.Now()
	if err := publishAll(ctx, pub, r.gen, n); err != nil {
		peak.stop()
		return err
	}
	published := time.Since(start)
	if err := rc.waitStored(ctx, n, 10*time.Minute); err != nil {
		peak.stop()
		return err
	}
	stored := time.Since(start)
	if err := statusReflects(ctx, e.store, n); err != nil {
		peak.stop()
		return err
	}
	total := time.Since(start)
	st := rc.c.Stats()
	r.rep.EndToEnd = &Throughput{Events: n, Seconds: total.Seconds(), PerSecond: rate(n, total), PeakRSSMB: peak.stop(),
		Note: fmt.Sprintf("published in %.2fs, stored in %.2fs (%d batches), then the status in %.0f ms",
			published.Seconds(), stored.Seconds(), st.Batches, ms(total-stored))}
	r.rep.Stored = &Throughput{Events: n, Seconds: stored.Seconds(), PerSecond: rate(n, stored)}
	r.progress("end to end: %.0f events/s", r.rep.EndToEnd.PerSecond)
	return nil
}

// drain fills the stream first, then times the consumer alone until every
// event is stored.
func (r *runner) drain(ctx context.Context) error {
	n := r.cfg.Events
	e, err := r.newEnv(ctx, PhaseDrain)
	if err != nil {
		return err
	}
	defer e.close()
	r.progress("drain: filling the stream with %d events", n)
	if err := r.fill(ctx, e, n); err != nil {
		return err
	}
	// Give back what filling took, so that the peak is the consumer's.
	debug.FreeOSMemory()
	r.rep.Memory.DrainStartRSSMB = mb(rss())
	peak := watchRSS()
	start := time.Now()
	rc, err := e.startConsumer(ctx, e.store)
	if err != nil {
		peak.stop()
		return err
	}
	defer rc.stop()
	if err := rc.waitStored(ctx, n, 10*time.Minute); err != nil {
		peak.stop()
		return err
	}
	d := time.Since(start)
	st := rc.c.Stats()
	r.rep.Drain = &Throughput{Events: n, Seconds: d.Seconds(), PerSecond: rate(n, d), PeakRSSMB: peak.stop(),
		Note: fmt.Sprintf("%d batches", st.Batches)}
	r.rep.Memory.DrainRSSMB = r.rep.Drain.PeakRSSMB
	r.progress("drain: %.0f events/s", r.rep.Drain.PerSecond)
	return nil
}

// timedSink records when each event was first stored: from then on it is
// queryable (a ClickHouse INSERT is visible when it returns).
type timedSink struct {
	inner consumers.Sink
	mu    sync.Mutex
	at    map[uuid.UUID]time.Time
}

func (t *timedSink) InsertEvents(ctx context.Context, rows []clickhouse.Row) error {
	if err := t.inner.InsertEvents(ctx, rows); err != nil {
		return err
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range rows {
		if _, ok := t.at[rows[i].Event.ID]; !ok {
			t.at[rows[i].Event.ID] = now
		}
	}
	return nil
}

// latency offers events at each configured rate for RateDuration and
// measures, per event, the time from the publish call to the end of the
// INSERT that stored it.
func (r *runner) latency(ctx context.Context) error {
	for _, rt := range r.cfg.Rates {
		l, err := r.latencyAt(ctx, rt)
		if err != nil {
			return err
		}
		r.rep.Latency = append(r.rep.Latency, *l)
		r.progress("latency at %d events/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms", rt, l.P50MS, l.P99MS, l.MaxMS)
	}
	return nil
}

func (r *runner) latencyAt(ctx context.Context, offered int) (*Latency, error) {
	e, err := r.newEnv(ctx, fmt.Sprintf("latency-%d", offered))
	if err != nil {
		return nil, err
	}
	defer e.close()
	pc, err := e.connect("bench-producer")
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	pub, err := producers.NewPublisher(pc, producers.WithSource("/producers/bench"))
	if err != nil {
		return nil, err
	}
	sink := &timedSink{inner: e.store, at: map[uuid.UUID]time.Time{}}
	rc, err := e.startConsumer(ctx, sink)
	if err != nil {
		return nil, err
	}
	defer rc.stop()

	// Every tick publishes the events due by then; ticks run every 5 ms
	// (at 1,000 events/s, five events a tick) so the offered load is
	// smooth. Chunks are published by a pool so that waiting for PubAcks
	// never holds up the clock.
	const tick = 5 * time.Millisecond
	total := int(float64(offered) * r.cfg.RateDuration.Seconds())
	r.progress("latency: offering %d events/s for %v", offered, r.cfg.RateDuration)
	ids := make([]uuid.UUID, 0, total)
	sent := make([]time.Time, 0, total)
	work := make(chan []*schema.Event, 1024)
	g, gctx := newGroup(ctx)
	for range 4 {
		g.Go(func() error {
			for evs := range work {
				if err := checkResults(pub.PublishBatch(gctx, evs)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	peak := watchRSS()
	start := time.Now()
	t := time.NewTicker(tick)
	for len(ids) < total && gctx.Err() == nil {
		<-t.C
		due := min(int(float64(offered)*time.Since(start).Seconds()), total)
		if due <= len(ids) {
			continue
		}
		evs := r.gen.events(due - len(ids))
		for _, ev := range evs {
			// Latency counts from when the event was due, not from when
			// the clock got round to it, so that a pipeline slow enough to
			// delay the ticks is not flattered (coordinated omission).
			due := start.Add(time.Duration(float64(len(ids)) / float64(offered) * float64(time.Second)))
			ids = append(ids, ev.ID)
			sent = append(sent, due)
		}
		select {
		case work <- evs:
		case <-gctx.Done():
		}
	}
	t.Stop()
	close(work)
	if err := g.Wait(); err != nil {
		peak.stop()
		return nil, err
	}
	offeredFor := time.Since(start)
	if err := rc.waitStored(ctx, total, 5*time.Minute); err != nil {
		peak.stop()
		return nil, err
	}
	l := &Latency{Offered: offered, Events: total, Achieved: rate(total, offeredFor), PeakRSSMB: peak.stop()}
	lat := make([]time.Duration, 0, total)
	sink.mu.Lock()
	for i, id := range ids {
		at, ok := sink.at[id]
		if !ok {
			sink.mu.Unlock()
			return nil, fmt.Errorf("%w: event %d (%s) was never stored", errIncomplete, i, id)
		}
		lat = append(lat, at.Sub(sent[i]))
	}
	sink.mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := min(int(p*float64(len(lat))), len(lat)-1)
		return ms(lat[i])
	}
	l.P50MS, l.P99MS, l.MaxMS = pct(0.50), pct(0.99), ms(lat[len(lat)-1])
	return l, nil
}

// fill publishes n new events to the phase's stream, 20,000 at a time, as
// pre-encoded messages (untimed: it sets up the drain phases).
func (r *runner) fill(ctx context.Context, e *env, n int) error {
	for done := 0; done < n; done += 20_000 {
		msgs, err := r.gen.messages(min(20_000, n-done))
		if err != nil {
			return err
		}
		if _, err := publishRaw(ctx, e.js, msgs); err != nil {
			return err
		}
	}
	return nil
}

// publishRaw publishes pre-encoded messages asynchronously and waits for
// every PubAck.
func publishRaw(ctx context.Context, js jetstream.JetStream, msgs []*nats.Msg) (time.Duration, error) {
	start := time.Now()
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		f, err := js.PublishMsgAsync(m, jetstream.WithMsgID(m.Header.Get(schema.HeaderMsgID)))
		if err != nil {
			return 0, fmt.Errorf("publish: %w", err)
		}
		futures[i] = f
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return 0, fmt.Errorf("publish: %w", err)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return time.Since(start), nil
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// group runs goroutines and keeps the first error, cancelling the others.
type group struct {
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	cancel context.CancelFunc
}

func newGroup(ctx context.Context) (*group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &group{cancel: cancel}, ctx
}

func (g *group) Go(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
