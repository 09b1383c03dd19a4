package producers_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

func ptrs(evs []schema.Event) []*schema.Event {
	out := make([]*schema.Event, len(evs))
	for i := range evs {
		out[i] = &evs[i]
	}
	return out
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	_, nc := testkit.NATS(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	pub, err := producers.NewPublisher(nc, producers.WithMaxPending(8))
	if err != nil {
		t.Fatal(err)
	}
	evs := eventgen.Events(rand.New(rand.NewPCG(1, 2)), 500, eventgen.Options{})

	t.Run("AllAcked", func(t *testing.T) {
		seqs := map[uint64]bool{}
		for _, r := range pub.PublishBatch(ctx, ptrs(evs)) {
			if r.Err != nil || r.Seq == 0 || r.Duplicate {
				t.Fatalf("result %+v: want acked, not duplicate", r)
			}
			seqs[r.Seq] = true
		}
		if len(seqs) != len(evs) {
			t.Fatalf("got %d distinct sequences, want %d", len(seqs), len(evs))
		}
	})
	t.Run("SameIDIsDuplicate", func(t *testing.T) {
		r := pub.Publish(ctx, &evs[3])
		if r.Err != nil || !r.Duplicate {
			t.Fatalf("got %+v, want a duplicate PubAck", r)
		}
		info, err := js.Stream(ctx, natsjs.EventStream)
		if err != nil {
			t.Fatal(err)
		}
		if n := info.CachedInfo().State.Msgs; n != uint64(len(evs)) {
			t.Fatalf("stream holds %d messages, want %d", n, len(evs))
		}
	})
	t.Run("ErrInvalidNotSent", func(t *testing.T) {
		bad := evs[0]
		bad.ID = [16]byte{}
		bad.Actor = "XXX"
		r := pub.Publish(ctx, &bad)
		if schema.ErrorCode(r.Err) != schema.EINVALID || r.Attempts != 0 {
			t.Fatalf("got %+v, want an EINVALID error and no attempt", r)
		}
		if bad.ID == [16]byte{} {
			t.Fatalf("Prepare did not assign an id")
		}
	})
	t.Run("MissingFieldsFilled", func(t *testing.T) {
		ev := evs[1]
		ev.ID, ev.ReportedAt = [16]byte{}, time.Time{}
		r := pub.Publish(ctx, &ev)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if ev.ID.Version() != 7 || ev.ReportedAt.IsZero() {
			t.Fatalf("got id %s (version %d), reported_at %v; want a UUIDv7 and a time", ev.ID, ev.ID.Version(), ev.ReportedAt)
		}
	})
}

// TestPublishWaitsForStream publishes before the stream exists; the
// publisher (with the client's own retries on no responders) keeps trying
// until it does, and nothing is stored twice. A lost PubAck is retried with
// the same message id; the fault suite covers that with a proxy.
func TestPublishWaitsForStream(t *testing.T) {
	t.Parallel()
	_, nc := testkit.NATS(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	pub, err := producers.NewPublisher(nc, producers.WithRetries(20, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{}); err != nil {
			t.Error(err)
		}
	}()
	evs := eventgen.Events(rand.New(rand.NewPCG(3, 4)), 50, eventgen.Options{})
	for _, r := range pub.PublishBatch(ctx, ptrs(evs)) {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.ID, r.Err)
		}
	}
	s, _ := js.Stream(ctx, natsjs.EventStream)
	info, _ := s.Info(ctx)
	if info.State.Msgs != uint64(len(evs)) {
		t.Fatalf("stream holds %d messages, want %d", info.State.Msgs, len(evs))
	}
}

// TestPublishStreamFull checks that a full stream (DiscardNew) is an error
// the caller sees, not a silent drop.
func TestPublishStreamFull(t *testing.T) {
	t.Parallel()
	_, nc := testkit.NATS(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{MaxBytes: 4096}); err != nil {
		t.Fatal(err)
	}
	pub, err := producers.NewPublisher(nc, producers.WithRetries(2, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	evs := eventgen.Events(rand.New(rand.NewPCG(5, 6)), 100, eventgen.Options{})
	var acked, failed int
	for _, r := range pub.PublishBatch(ctx, ptrs(evs)) {
		if r.Err != nil {
			failed++
		} else {
			acked++
		}
	}
	if acked == 0 || failed == 0 {
		t.Fatalf("acked %d, failed %d: want some of each", acked, failed)
	}
	for _, r := range pub.PublishBatch(ctx, ptrs(evs[len(evs)-1:])) {
		t.Logf("full stream: %v (attempts %d)", r.Err, r.Attempts)
		if r.Attempts != 1 {
			t.Errorf("a full stream was retried (%d attempts); it is not transient", r.Attempts)
		}
	}
	s, _ := js.Stream(ctx, natsjs.EventStream)
	info, _ := s.Info(ctx)
	if info.State.Msgs != uint64(acked) {
		t.Fatalf("stream holds %d messages, want the %d acked", info.State.Msgs, acked)
	}
}
