package consumers_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type env struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	store *clickhouse.Store
	pub   *producers.Publisher
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	_, nc := testkit.NATS(tb)
	addr, db := testkit.ClickHouse(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{}); err != nil {
		tb.Fatal(err)
	}
	pub, err := producers.NewPublisher(nc, producers.WithSource("/tests"))
	if err != nil {
		tb.Fatal(err)
	}
	return &env{nc: nc, js: js, store: store, pub: pub}
}

// startConsumer runs a consumer until the test ends and returns it.
func (e *env) startConsumer(tb testing.TB, sink consumers.Sink, cfg consumers.Config) *consumers.Consumer {
	tb.Helper()
	if sink == nil {
		sink = e.store
	}
	c, err := consumers.New(e.nc, sink, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("consumer run: %v", err)
		}
	})
	return c
}

// waitDrained waits until the durable consumer has acked everything in the
// stream.
func (e *env) waitDrained(tb testing.TB, durable string) {
	tb.Helper()
	if err := natsjs.WaitAcked(context.Background(), e.js, natsjs.EventStream, durable, 60*time.Second); err != nil {
		tb.Fatal(err)
	}
}

func (e *env) publish(tb testing.TB, evs []schema.Event) {
	tb.Helper()
	ptrs := make([]*schema.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	for _, r := range e.pub.PublishBatch(context.Background(), ptrs) {
		if r.Err != nil {
			tb.Fatalf("publish %s: %v", r.ID, r.Err)
		}
	}
}

// publishRaw publishes an event without a Nats-Msg-Id, so JetStream stores
// every copy: the consumer sees true duplicates.
func (e *env) publishRaw(tb testing.TB, ev schema.Event) {
	tb.Helper()
	m, err := schema.Encode(&ev, "/tests/raw")
	if err != nil {
		tb.Fatal(err)
	}
	msg := nats.NewMsg(m.Subject)
	msg.Data = m.Data
	for k, v := range m.Header {
		if k != schema.HeaderMsgID {
			msg.Header.Set(k, v)
		}
	}
	if _, err := e.js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}

// flakySink fails some inserts before or after really inserting, like a
// ClickHouse that times out or a consumer that dies before its ack. The
// first insert fails before inserting and the second after, so that both
// faults happen in every run; later ones fail at random.
type flakySink struct {
	inner        consumers.Sink
	r            *rand.Rand
	mu           sync.Mutex
	calls        int
	failBefore   atomic.Int64
	failAfterIns atomic.Int64
}

func (f *flakySink) InsertEvents(ctx context.Context, rows []clickhouse.Row) error {
	f.mu.Lock()
	f.calls++
	roll := f.calls - 1
	if roll > 1 {
		roll = f.r.IntN(4)
	}
	f.mu.Unlock()
	switch roll {
	case 0:
		f.failBefore.Add(1)
		return errors.New("injected: insert refused")
	case 1:
		if err := f.inner.InsertEvents(ctx, rows); err != nil {
			return err
		}
		f.failAfterIns.Add(1)
		return errors.New("injected: inserted but the reply was lost")
	}
	return f.inner.InsertEvents(ctx, rows)
}

// pipelineSeeds are the event sets TestPipelineMatchesFold sends; on even
// seeds events fall on the hour, so that many share a second (ties broken
// by event id, the boundaries of "after" and "before"). Each takes a few
// seconds: a NATS server, a database, 600 events through two consumers.
var pipelineSeeds = []uint64{7, 8, 9, 10}

// TestPipelineMatchesFold sends random event sets through the real
// pipeline with every kind of duplication (JetStream-level duplicates,
// copies stored twice in the stream, failed inserts, inserts whose success
// was lost so the batch is stored again) and two consumers on the same
// durable, and checks ClickHouse's status against the reference fold,
// country by country and field by field: now, and as known at moments
// during the story.
func TestPipelineMatchesFold(t *testing.T) {
	t.Parallel()
	for _, seed := range pipelineSeeds {
		t.Run(fmt.Sprintf("Seed%d", seed), func(t *testing.T) {
			began := time.Now()
			e := newEnv(t)
			r := rand.New(rand.NewPCG(seed, 11))
			opts := eventgen.Options{Coalitions: []string{"paris-2015"}, Commitments: 25, Revisions: true}
			if seed%2 == 0 {
				opts.Tick = time.Hour
			}
			evs := eventgen.Events(r, 600, opts)
			sink := &flakySink{inner: e.store, r: rand.New(rand.NewPCG(seed, 5))}
			cfg := consumers.Config{Batch: 50, MaxWait: 50 * time.Millisecond}
			e.startConsumer(t, sink, cfg)
			e.startConsumer(t, sink, cfg)

			shuffled := append([]schema.Event{}, evs...)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			e.publish(t, shuffled[:300])
			e.publish(t, shuffled[100:]) // overlap: JetStream de-duplicates by id
			for i := 0; i < 40; i++ {
				e.publishRaw(t, evs[r.IntN(len(evs))])
			}
			e.waitDrained(t, "clickhouse-writer")

			if sink.failBefore.Load() == 0 || sink.failAfterIns.Load() == 0 {
				t.Fatalf("fault injection did not fire: before=%d after=%d", sink.failBefore.Load(), sink.failAfterIns.Load())
			}
			ctx := context.Background()
			// Now, and what was known at moments of the story (events occur
			// over 14 days from 13 November 2015 and are reported up to two
			// days later).
			moments := []time.Time{time.Now()}
			for i := 0; i < 3; i++ {
				moments = append(moments, time.Date(2015, 11, 13, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(16*24*3600))*time.Second))
			}
			for _, at := range moments {
				got, err := e.store.CountryStatusAsOf(ctx, "paris-2015", at)
				if err != nil {
					t.Fatal(err)
				}
				want := schema.FoldAsOf("paris-2015", evs, at)
				if len(want) == 0 && at.Year() > 2015 {
					t.Fatal("empty fold")
				}
				for _, d := range testkit.StatusDiffs(got, want) {
					t.Errorf("as of %s: %s", at.UTC().Format(time.RFC3339), d)
				}
			}
			n, err := e.store.CountEvents(ctx, "paris-2015")
			if err != nil {
				t.Fatal(err)
			}
			if want := uint64(len(schema.Dedup(evs))); n != want {
				t.Fatalf("distinct events stored: got %d, want %d", n, want)
			}
			t.Logf("seed %d: %d faults before and %d after inserting; checked at %d moments in %v",
				seed, sink.failBefore.Load(), sink.failAfterIns.Load(), len(moments), time.Since(began).Round(time.Millisecond))
		})
	}
}

// TestDeadLetter checks that messages which cannot be accepted go to the
// dead-letter stream with their reason, are acked, and do not block the
// valid events behind them.
func TestDeadLetter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.startConsumer(t, nil, consumers.Config{Batch: 10, MaxWait: 50 * time.Millisecond})
	ctx := context.Background()

	bad := []struct {
		name, subject string
		data          string
		reason        string
	}{
		{"InvalidJSON", "coalition.paris-2015.FRA.pledge", `{"kind":`, "invalid JSON"},
		{"UnknownField", "coalition.paris-2015.FRA.statement", `{"id":"0190f5e8-0000-7000-8000-000000000001","kind":"statement","coalition":"paris-2015","actor":"FRA","occurred_at":"2015-11-20T10:00:00Z","reported_at":"2015-11-20T10:00:00Z","source":"https://example.org/a","statement":{"stance":1},"mood":"good"}`, "mood: unknown field"},
		{"WrongSubject", "coalition.paris-2015.DEU.statement", `{"id":"0190f5e8-0000-7000-8000-000000000002","kind":"statement","coalition":"paris-2015","actor":"FRA","occurred_at":"2015-11-20T10:00:00Z","reported_at":"2015-11-20T10:00:00Z","source":"https://example.org/a","statement":{"stance":1}}`, "belongs on"},
	}
	for _, b := range bad {
		if _, err := e.js.Publish(ctx, b.subject, []byte(b.data)); err != nil {
			t.Fatal(err)
		}
	}
	good := eventgen.Events(rand.New(rand.NewPCG(1, 1)), 5, eventgen.Options{})
	e.publish(t, good)
	e.waitDrained(t, "clickhouse-writer")

	if got := c.Stats().DeadLettered; got != uint64(len(bad)) {
		t.Fatalf("dead-lettered: got %d, want %d", got, len(bad))
	}
	n, err := e.store.CountEvents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if n != uint64(len(good)) {
		t.Fatalf("stored events: got %d, want %d", n, len(good))
	}
	dlq, err := e.js.Stream(ctx, natsjs.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			m, err := dlq.GetMsg(ctx, uint64(i+1))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Header.Get(consumers.HeaderOriginalSubj); got != b.subject {
				t.Errorf("original subject: got %q, want %q", got, b.subject)
			}
			if got := m.Header.Get(consumers.HeaderError); !contains(got, b.reason) {
				t.Errorf("reason: got %q, want it to mention %q", got, b.reason)
			}
			if string(m.Data) != b.data {
				t.Errorf("data: got %q, want the original %q", m.Data, b.data)
			}
		})
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0))
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestRebindAfterConsumerDeleted deletes the durable consumer under a
// running Consumer (as `nats consumer rm` would): it must bind again, say
// so through Bound, and go on storing.
func TestRebindAfterConsumerDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.startConsumer(t, nil, consumers.Config{Batch: 10, MaxWait: 50 * time.Millisecond})
	first := eventgen.Events(rand.New(rand.NewPCG(4, 4)), 5, eventgen.Options{})
	e.publish(t, first)
	e.waitDrained(t, "clickhouse-writer")
	if err := e.js.DeleteConsumer(context.Background(), natsjs.EventStream, "clickhouse-writer"); err != nil {
		t.Fatal(err)
	}
	second := eventgen.Events(rand.New(rand.NewPCG(5, 5)), 5, eventgen.Options{})
	e.publish(t, second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := e.store.CountEvents(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if n == 10 && c.Bound() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the durable consumer was deleted: %d events stored (want 10), bound %v", n, c.Bound())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDeadLetterDropsJetStreamHeaders sends an invalid message carrying
// JetStream publish headers: the dead letter must not inherit them (a
// Nats-Expected-Stream would make its publish fail forever).
func TestDeadLetterDropsJetStreamHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.startConsumer(t, nil, consumers.Config{Batch: 10, MaxWait: 50 * time.Millisecond})
	msg := nats.NewMsg("coalition.paris-2015.FRA.pledge")
	msg.Data = []byte(`{"kind":`)
	msg.Header.Set("Nats-Expected-Stream", natsjs.EventStream)
	msg.Header.Set("Nats-Msg-Id", "bad-1")
	msg.Header.Set("ce-source", "/tests")
	if _, err := e.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	e.waitDrained(t, "clickhouse-writer")
	if got := c.Stats().DeadLettered; got != 1 {
		t.Fatalf("dead-lettered %d, want 1", got)
	}
	dlq, _ := e.js.Stream(context.Background(), natsjs.DeadLetterStream)
	m, err := dlq.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Nats-Expected-Stream") != "" || m.Header.Get("ce-source") != "/tests" {
		t.Errorf("dead letter headers: %v", m.Header)
	}
}

// poisonSink refuses, as ClickHouse would with an exception, every batch
// that holds an event whose summary says POISON.
type poisonSink struct{ inner consumers.Sink }

func (p poisonSink) InsertEvents(ctx context.Context, rows []clickhouse.Row) error {
	for _, r := range rows {
		if r.Event.Summary == "POISON" {
			return &ch.Exception{Code: 53, Name: "DB::Exception", Message: "Type mismatch in VALUES section"}
		}
	}
	return p.inner.InsertEvents(ctx, rows)
}

// TestPoisonEvent checks that an event ClickHouse refuses is retried a few
// times, isolated from its batch, dead-lettered with the reason, and that
// every other event of the batch is stored.
func TestPoisonEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.startConsumer(t, poisonSink{e.store}, consumers.Config{Batch: 64, MaxWait: 100 * time.Millisecond, PoisonAttempts: 2})
	evs := eventgen.Events(rand.New(rand.NewPCG(11, 12)), 50, eventgen.Options{})
	evs[23].Summary = "POISON"
	e.publish(t, evs)
	e.waitDrained(t, "clickhouse-writer")
	n, err := e.store.CountEvents(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if n != 49 {
		t.Fatalf("stored %d events, want the 49 good ones", n)
	}
	if got := c.Stats().DeadLettered; got != 1 {
		t.Fatalf("dead-lettered %d, want 1", got)
	}
	dlq, _ := e.js.Stream(context.Background(), natsjs.DeadLetterStream)
	m, err := dlq.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(m.Header.Get(consumers.HeaderError), "refused the event") || !contains(string(m.Data), "POISON") {
		t.Errorf("dead letter: %q / %s", m.Header.Get(consumers.HeaderError), m.Data)
	}
}
