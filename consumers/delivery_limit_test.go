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
// the first ("again"). Then a Consumer with MaxDeliveries 3 must dead-letter
// poison on its fourth delivery with the reason, store after (which never
// crashed anything) on its fourth, again on its third, and every other
// event.
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
