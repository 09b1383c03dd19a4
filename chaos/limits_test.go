package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/chaos"
	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
)

// addReport adds the figures of one run to the scenario's total.
func addReport(total *chaos.Report, r chaos.Report) {
	total.Attempted += r.Attempted
	total.Acknowledged += r.Acknowledged
	total.Stored += r.Stored
	total.DeadLettered += r.DeadLettered
	total.Lost += r.Lost
	total.Duplicated += r.Duplicated
	if total.Mismatch == "" {
		total.Mismatch = r.Mismatch
	}
}

// slowSink stalls its first inserts for delay (or until the consumer's
// insert timeout, half the ack wait, cuts them), and measures how long the
// consumer held each batch: from the first attempt at it to its stored
// INSERT.
type slowSink struct {
	inner consumers.Sink
	slow  atomic.Int64
	delay time.Duration

	mu      sync.Mutex
	first   map[uint64]time.Time // first attempt, by the batch's first stream sequence
	maxHeld time.Duration
}

func (s *slowSink) InsertEvents(ctx context.Context, rows []clickhouse.Row) error {
	seq := rows[0].StreamSeq
	s.mu.Lock()
	if _, ok := s.first[seq]; !ok {
		s.first[seq] = time.Now()
	}
	s.mu.Unlock()
	if s.slow.Add(-1) >= 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := s.inner.InsertEvents(ctx, rows); err != nil {
		return err
	}
	s.mu.Lock()
	s.maxHeld = max(s.maxHeld, time.Since(s.first[seq]))
	s.mu.Unlock()
	return nil
}

// natsEnv is a NATS server of its own with the Coalition streams, and a
// connection to it.
func natsEnv(tb testing.TB, sc natsjs.StreamConfig) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	_, natsURL := testkit.NATSListening(tb)
	nc, err := nats.Connect(natsURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	if err := natsjs.EnsureStreams(context.Background(), js, sc); err != nil {
		tb.Fatal(err)
	}
	return nc, js
}

// TestSlowConsumer runs two consumers on one durable whose first inserts
// stall for longer than the ack wait, on a fresh stream each run: the
// in-progress signals keep JetStream from handing the batch to the other
// one, and if it does, the copy is stored and read once. Each run checks
// that the ack wait came into play: a batch was held longer than the ack
// wait, and the in-progress signals (seen on the wire) were sent.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	n := runs(2, 5)
	total := chaos.Report{Scenario: "consumer slower than the ack wait (2.5s vs 1s)", Runs: n}
	for i := 0; i < n; i++ {
		t.Run(fmt.Sprintf("Run%d", i+1), func(t *testing.T) {
			nc, js := natsEnv(t, natsjs.StreamConfig{})
			var inProgress atomic.Int64
			sub, err := nc.Subscribe("$JS.ACK.>", func(m *nats.Msg) {
				if string(m.Data) == "+WPI" {
					inProgress.Add(1)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			store, addr, db := openStore(t)
			sink := &slowSink{inner: store, delay: 2500 * time.Millisecond, first: map[uint64]time.Time{}}
			sink.slow.Store(int64(runs(4, 12)))
			cfg := consumers.Config{Batch: 50, AckWait: time.Second, MaxWait: 100 * time.Millisecond}
			runConsumer(t, nc, sink, cfg)
			runConsumer(t, nc, sink, cfg)
			ledger := chaos.NewLedger()
			prod := startProducer(t, nc, ledger, uint64(5+i), runs(10, 40))
			prod.wait()
			drain(t, nc)
			info, err := js.Consumer(context.Background(), natsjs.EventStream, "clickhouse-writer")
			if err != nil {
				t.Fatal(err)
			}
			sink.mu.Lock()
			held := sink.maxHeld
			sink.mu.Unlock()
			redelivered := info.CachedInfo().NumRedelivered
			t.Logf("longest a batch was held %v (ack wait %v), in-progress signals %d, messages redelivered %d",
				held.Round(time.Millisecond), cfg.AckWait, inProgress.Load(), redelivered)
			if sink.slow.Load() >= 0 {
				t.Errorf("only %d of the stalled inserts happened", int64(runs(4, 12))-sink.slow.Load())
			}
			if held <= cfg.AckWait {
				t.Errorf("no batch was held longer than the ack wait (longest %v): the ack wait never came into play", held)
			}
			if inProgress.Load() == 0 {
				t.Errorf("no in-progress signal was sent while batches were held past the ack wait")
			}
			addReport(&total, check(t, addr, db, ledger))
		})
	}
	record(t, total)
}

// isStreamFull reports whether err is JetStream refusing a message because
// the stream is at its MaxBytes (DiscardNew): API error 10077 (stream
// store failed) with the store's "maximum bytes exceeded".
func isStreamFull(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == 10077 && strings.Contains(apiErr.Description, "maximum bytes exceeded")
}

// TestStreamFull fills a stream that refuses new messages when full, a
// fresh one each run: the publishers get JetStream's maximum-bytes error
// (and no other) for what was not stored, and everything they were told
// was stored reaches ClickHouse.
func TestStreamFull(t *testing.T) {
	t.Parallel()
	n := runs(2, 5)
	total := chaos.Report{Scenario: "stream at its size limit (256 KiB)", Runs: n}
	for i := 0; i < n; i++ {
		t.Run(fmt.Sprintf("Run%d", i+1), func(t *testing.T) {
			nc, _ := natsEnv(t, natsjs.StreamConfig{MaxBytes: 256 << 10})
			store, addr, db := openStore(t)
			runConsumer(t, nc, store, consumers.Config{Batch: 50, MaxWait: 100 * time.Millisecond})
			ledger := chaos.NewLedger()
			prod := startProducer(t, nc, ledger, uint64(6+i), runs(30, 60))
			prod.wait()
			drain(t, nc)
			r := check(t, addr, db, ledger)
			refused := prod.failures()
			other := 0
			for _, err := range refused {
				if !isStreamFull(err) {
					if other++; other <= 3 {
						t.Errorf("a publish failed with %v, want JetStream's maximum bytes exceeded (10077)", err)
					}
				}
			}
			t.Logf("attempted %d, acknowledged %d, refused %d (maximum bytes exceeded: %d)", r.Attempted, r.Acknowledged, len(refused), len(refused)-other)
			if r.Acknowledged == r.Attempted || len(refused) == 0 {
				t.Errorf("every publish was acknowledged (%d): the stream limit did not bite", r.Attempted)
			}
			if got := r.Attempted - r.Acknowledged; got != len(refused) {
				t.Errorf("%d publishes unacknowledged, %d errors", got, len(refused))
			}
			addReport(&total, r)
		})
	}
	record(t, total)
}
