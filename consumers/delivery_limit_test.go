package consumers_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// TestDeliveryLimit plays consumer processes that die holding messages:
// it fetches the first three events of the stream by hand and gives them
// back, three times for two of them ("poison" and "after", fetched
// together each time, as a batch-mate of a crashing event is) and twice for
// the first ("again"), and leaves the note a consumer leaves when it dies
// storing poison alone (TrialsBucket). Then a Consumer with MaxDeliveries
// 3 must dead-letter poison on its fourth delivery with the reason, store
// after (as many deliveries, but no note: it never crashed anything) on its
// fourth, again on its third, and every other event.
func TestDeliveryLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	evs := eventgen.Events(rand.New(rand.NewPCG(21, 22)), 23, eventgen.Options{})
	e.publish(t, evs)
	stream, err := e.js.Stream(ctx, natsjs.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	var first [3]string // the events at stream sequences 1, 2, 3
	for i := range first {
		m, err := stream.GetMsg(ctx, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		first[i] = m.Header.Get(schema.HeaderID)
	}
	again, poison, after := first[0], first[1], first[2]

	cons, err := e.js.CreateOrUpdateConsumer(ctx, natsjs.EventStream, jetstream.ConsumerConfig{
		Durable: "clickhouse-writer", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute,
		DeliverPolicy: jetstream.DeliverAllPolicy, MaxDeliver: -1, FilterSubject: schema.StreamSubjects,
	})
	if err != nil {
		t.Fatal(err)
	}
	// deliver fetches want and gives each back, at once or after a delay,
	// waiting for the server to take the give-back (a plain Nak does not),
	// so that the next fetch gets them again.
	deliver := func(want []string, delay map[string]time.Duration) {
		t.Helper()
		batch, err := cons.Fetch(len(want), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for msg := range batch.Messages() {
			id := msg.Headers().Get(schema.HeaderID)
			got = append(got, id)
			nak := "-NAK"
			if d := delay[id]; d > 0 {
				nak = fmt.Sprintf(`-NAK {"delay": %d}`, d)
			}
			if _, err := e.nc.Request(msg.Reply(), []byte(nak), 5*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("fetched %v, want %v", got, want)
		}
	}
	deliver([]string{again, poison, after}, nil)
	deliver([]string{again, poison, after}, map[string]time.Duration{again: 2 * time.Second})
	deliver([]string{poison, after}, nil)
	noteTrial(t, e.js, "clickhouse-writer", 2)

	c := e.startConsumer(t, nil, consumers.Config{Batch: 10, MaxWait: 50 * time.Millisecond, MaxDeliveries: 3})
	e.waitDrained(t, "clickhouse-writer")

	if got := c.Stats().DeadLettered; got != 1 {
		t.Fatalf("dead-lettered %d, want 1 (poison)", got)
	}
	n, err := e.store.CountEvents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(len(evs) - 1); n != want {
		t.Fatalf("stored %d events, want %d (all but poison)", n, want)
	}
	res, err := e.store.RunSQL(ctx, "SELECT count() FROM events WHERE toString(event_id) IN ('"+again+"', '"+after+"')")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0][0]; got != uint64(2) {
		t.Errorf("again and after stored: %v rows, want 2", got)
	}
	dlq, err := e.js.Stream(ctx, natsjs.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := dlq.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get(schema.HeaderID); got != poison {
		t.Errorf("dead letter is event %s, want poison %s", got, poison)
	}
	if got, want := m.Header.Get(consumers.HeaderError), "delivered 4 times without being stored"; !contains(got, want) {
		t.Errorf("reason: got %q, want it to say %q", got, want)
	}
	if got := m.Header.Get(consumers.HeaderOriginalSeq); got != "2" {
		t.Errorf("original sequence: got %q, want 2", got)
	}
}

// noteTrial leaves the note of a consumer that died storing the message at
// seq alone.
func noteTrial(tb testing.TB, js jetstream.JetStream, durable string, seq uint64) {
	tb.Helper()
	kv, err := js.CreateOrUpdateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: consumers.TrialsBucket, History: 1, TTL: 24 * time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), fmt.Sprintf("%s.%d", durable, seq), []byte("died")); err != nil {
		tb.Fatal(err)
	}
}

// TestDeliveryLimitTwoWriters plays the same crash loop with two writers
// sharing the durable, which share the messages that come back between
// them: only the message a consumer died storing alone is dead-lettered,
// whichever writer gets it, and its batch-mates are stored, whichever
// writer gets them (with the first over the limit that a writer meets
// taken for the culprit, a good one was dead-lettered). Without a note
// nothing is dead-lettered.
func TestDeliveryLimitTwoWriters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		note bool
	}{{"NoteOnTheCulprit", true}, {"NoNote", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			evs := eventgen.Events(rand.New(rand.NewPCG(31, 32)), 12, eventgen.Options{})
			e.publish(t, evs)
			cons, err := e.js.CreateOrUpdateConsumer(ctx, natsjs.EventStream, jetstream.ConsumerConfig{
				Durable: "clickhouse-writer", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute,
				DeliverPolicy: jetstream.DeliverAllPolicy, MaxDeliver: -1, FilterSubject: schema.StreamSubjects,
			})
			if err != nil {
				t.Fatal(err)
			}
			// Four crashes holding the first four messages.
			for range 4 {
				batch, err := cons.Fetch(4, jetstream.FetchMaxWait(5*time.Second))
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for msg := range batch.Messages() {
					n++
					if _, err := e.nc.Request(msg.Reply(), []byte("-NAK"), 5*time.Second); err != nil {
						t.Fatal(err)
					}
				}
				if n != 4 {
					t.Fatalf("fetched %d, want 4", n)
				}
			}
			if tc.note {
				noteTrial(t, e.js, "clickhouse-writer", 2)
			}
			cfg := consumers.Config{Batch: 1, MaxWait: 50 * time.Millisecond, MaxDeliveries: 3}
			w1 := e.startConsumer(t, nil, cfg)
			w2 := e.startConsumer(t, nil, cfg)
			e.waitDrained(t, "clickhouse-writer")
			dead := w1.Stats().DeadLettered + w2.Stats().DeadLettered
			want := uint64(0)
			if tc.note {
				want = 1
			}
			if dead != want {
				t.Fatalf("dead-lettered %d (writers %d and %d), want %d", dead, w1.Stats().DeadLettered, w2.Stats().DeadLettered, want)
			}
			n, err := e.store.CountEvents(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := uint64(len(evs)) - want; n != got {
				t.Fatalf("stored %d events, want %d", n, got)
			}
			if tc.note {
				dlq, err := e.js.Stream(ctx, natsjs.DeadLetterStream)
				if err != nil {
					t.Fatal(err)
				}
				m, err := dlq.GetMsg(ctx, 1)
				if err != nil {
					t.Fatal(err)
				}
				if got := m.Header.Get(consumers.HeaderOriginalSeq); got != "2" {
					t.Errorf("dead letter of stream sequence %s, want 2 (the noted one)", got)
				}
			}
		})
	}
}
