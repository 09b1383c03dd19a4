package feed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/feed"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type env struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	hub *feed.Hub
	pub *producers.Publisher
}

func newEnv(tb testing.TB, cfg feed.Config) *env {
	tb.Helper()
	_, nc := testkit.NATS(tb)
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithCancel(context.Background())
	if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{}); err != nil {
		tb.Fatal(err)
	}
	hub, err := feed.EventHub(nc, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
	pub, _ := producers.NewPublisher(nc)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := hub.Subscribe(ctx, "coalition.>", feed.Since{}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("hub not live")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return &env{nc: nc, js: js, hub: hub, pub: pub}
}

func (e *env) publish(tb testing.TB, evs []schema.Event) {
	tb.Helper()
	ptrs := make([]*schema.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	for _, r := range e.pub.PublishBatch(context.Background(), ptrs) {
		if r.Err != nil {
			tb.Fatal(r.Err)
		}
	}
}

// collect reads n items or fails after a timeout.
func collect(tb testing.TB, sub *feed.Sub, n int) []feed.EventPayload {
	tb.Helper()
	var out []feed.EventPayload
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case <-sub.Done():
			tb.Fatalf("subscription ended after %d of %d items: %v", len(out), n, sub.Err())
		case it := <-sub.C:
			var p feed.EventPayload
			if err := json.Unmarshal(it.Data, &p); err != nil {
				tb.Fatal(err)
			}
			if p.Seq != it.Seq {
				tb.Fatalf("payload seq %d, item seq %d", p.Seq, it.Seq)
			}
			out = append(out, p)
		case <-timeout:
			tb.Fatalf("got %d of %d items", len(out), n)
		}
	}
	return out
}

func TestFanOutWithFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, feed.Config{})
	ctx := context.Background()
	all, _ := e.hub.Subscribe(ctx, "coalition.*.*.*", feed.Since{})
	deu, _ := e.hub.Subscribe(ctx, "coalition.*.DEU.*", feed.Since{})
	pledges, _ := e.hub.Subscribe(ctx, "coalition.paris-2015.*.pledge", feed.Since{})
	evs := eventgen.Events(rand.New(rand.NewPCG(1, 2)), 200, eventgen.Options{})
	e.publish(t, evs)
	var nDEU, nPledge int
	for _, ev := range evs {
		if ev.Actor == "DEU" {
			nDEU++
		}
		if ev.Kind == schema.KindPledge {
			nPledge++
		}
	}
	got := collect(t, all, len(evs))
	for i := 1; i < len(got); i++ {
		if got[i].Seq != got[i-1].Seq+1 {
			t.Fatalf("sequence gap or reorder: %d then %d", got[i-1].Seq, got[i].Seq)
		}
	}
	for _, p := range collect(t, deu, nDEU) {
		var ev schema.Event
		json.Unmarshal(p.Event, &ev)
		if ev.Actor != "DEU" {
			t.Errorf("DEU filter let %s through", p.Subject)
		}
	}
	collect(t, pledges, nPledge)
}

// TestReplayWithoutGap reconnects "after sequence k" while events keep
// arriving: the subscriber gets k+1.. exactly once, in order.
func TestReplayWithoutGap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, feed.Config{})
	first := eventgen.Events(rand.New(rand.NewPCG(3, 4)), 100, eventgen.Options{})
	e.publish(t, first)
	sub, err := e.hub.Subscribe(context.Background(), "coalition.>", feed.Since{Seq: 40})
	if err != nil {
		t.Fatal(err)
	}
	more := eventgen.Events(rand.New(rand.NewPCG(5, 6)), 100, eventgen.Options{})
	published := make(chan error, 1)
	go func() {
		ptrs := make([]*schema.Event, len(more))
		for i := range more {
			ptrs[i] = &more[i]
		}
		for _, r := range e.pub.PublishBatch(context.Background(), ptrs) {
			if r.Err != nil {
				published <- r.Err
				return
			}
		}
		published <- nil
	}()
	got := collect(t, sub, 160)
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		if want := uint64(41 + i); p.Seq != want {
			t.Fatalf("item %d: seq %d, want %d", i, p.Seq, want)
		}
	}
	t.Run("FromStart", func(t *testing.T) {
		sub, err := e.hub.Subscribe(context.Background(), "coalition.>", feed.Since{FromStart: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, sub, 200); got[0].Seq != 1 || got[199].Seq != 200 {
			t.Fatalf("replay from the start: %d..%d, want 1..200", got[0].Seq, got[199].Seq)
		}
	})
	t.Run("AfterSeq1", func(t *testing.T) { // Since.Seq is the last sequence seen
		sub, err := e.hub.Subscribe(context.Background(), "coalition.>", feed.Since{Seq: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, sub, 199); got[0].Seq != 2 || got[198].Seq != 200 {
			t.Fatalf("replay after 1: %d..%d, want 2..200", got[0].Seq, got[198].Seq)
		}
	})
	t.Run("SinceTime", func(t *testing.T) {
		sub, err := e.hub.Subscribe(context.Background(), "coalition.>", feed.Since{Time: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, sub, 200); got[0].Seq != 1 || got[199].Seq != 200 {
			t.Fatalf("replay from a time: %d..%d, want 1..200", got[0].Seq, got[199].Seq)
		}
	})
}

// TestSlowSubscriberIsCutOff checks that a subscriber that does not read is
// cut off instead of holding the hub (and every other subscriber) back.
// It is then replayed everything when it reconnects with the last sequence
// it saw.
func TestSlowSubscriberIsCutOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, feed.Config{Buffer: 64})
	ctx := context.Background()
	slow, _ := e.hub.Subscribe(ctx, "coalition.>", feed.Since{})
	evs := eventgen.Events(rand.New(rand.NewPCG(7, 8)), 300, eventgen.Options{})
	e.publish(t, evs)
	if err := slow.Err(); err != feed.ErrSlow {
		t.Fatalf("slow subscriber: %v, want ErrSlow", err)
	}
	// Reconnect once the hub has fanned out all 300, so that the reconnect
	// is a replay and not a race with a burst of live items (which would
	// cut a reader this slow off again).
	for deadline := time.Now().Add(10 * time.Second); e.hub.Last() < 300; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the hub fanned out up to %d of 300", e.hub.Last())
		}
	}
	var last uint64
	for len(slow.C) > 0 { // what it had queued before the cut
		last = (<-slow.C).Seq
	}
	if last == 0 || last >= 300 {
		t.Fatalf("slow subscriber saw up to %d before the cut", last)
	}
	again, err := e.hub.Subscribe(ctx, "coalition.>", feed.Since{Seq: last})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, again, int(300-last))
	if got[0].Seq != last+1 || got[len(got)-1].Seq != 300 {
		t.Fatalf("after reconnecting: %d..%d, want %d..300", got[0].Seq, got[len(got)-1].Seq, last+1)
	}
}

// TestFastAndSlowSubscribers checks that a subscriber that stops reading
// holds nobody back: it is cut off, while one that reads gets every event,
// in order, before and after the cut.
func TestFastAndSlowSubscribers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, feed.Config{Buffer: 16})
	ctx := context.Background()
	slow, _ := e.hub.Subscribe(ctx, "coalition.>", feed.Since{})
	fast, _ := e.hub.Subscribe(ctx, "coalition.>", feed.Since{})
	evs := eventgen.Events(rand.New(rand.NewPCG(15, 16)), 200, eventgen.Options{})
	var got []feed.EventPayload
	for i := 0; i < len(evs); i += 10 { // fewer than the buffer at a time
		e.publish(t, evs[i:i+10])
		got = append(got, collect(t, fast, 10)...)
	}
	for i, p := range got {
		if want := uint64(1 + i); p.Seq != want {
			t.Fatalf("fast subscriber: item %d is seq %d, want %d", i, p.Seq, want)
		}
	}
	if err := slow.Err(); err != feed.ErrSlow {
		t.Fatalf("slow subscriber: %v, want ErrSlow", err)
	}
	if n := len(slow.C); n != 16 {
		t.Errorf("slow subscriber holds %d items, want its buffer's 16", n)
	}
	select {
	case <-fast.Done():
		t.Fatalf("fast subscriber ended: %v", fast.Err())
	default:
	}
}

// TestReplayFails checks that a replay that cannot read the stream ends the
// subscription with ErrReplay rather than going live past what it missed.
func TestReplayFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, feed.Config{})
	e.publish(t, eventgen.Events(rand.New(rand.NewPCG(17, 18)), 10, eventgen.Options{}))
	// Once the hub has fanned the ten out, what came after 3 must be
	// replayed from the stream (and is not there).
	for deadline := time.Now().Add(10 * time.Second); e.hub.Last() < 10; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the hub fanned out up to %d of 10", e.hub.Last())
		}
	}
	if err := e.js.DeleteStream(context.Background(), natsjs.EventStream); err != nil {
		t.Fatal(err)
	}
	// The hub stays live while its own consumer is made again: it refuses
	// subscriptions only once it is stopped.
	sub, err := e.hub.Subscribe(context.Background(), "coalition.>", feed.Since{Seq: 3})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Done():
		if err := sub.Err(); err != feed.ErrReplay {
			t.Fatalf("subscription ended with %v, want ErrReplay", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the subscription did not end")
	}
}

// TestManySubscribersOneConsumer subscribes 300 clients: each gets every
// event, and the stream still has a single consumer (the hub's).
func TestManySubscribersOneConsumer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, feed.Config{})
	ctx := context.Background()
	var subs []*feed.Sub
	for i := 0; i < 300; i++ {
		s, err := e.hub.Subscribe(ctx, "coalition.>", feed.Since{})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	e.publish(t, eventgen.Events(rand.New(rand.NewPCG(9, 9)), 50, eventgen.Options{}))
	for i, s := range subs {
		if got := collect(t, s, 50); len(got) != 50 {
			t.Fatalf("subscriber %d: %d events", i, len(got))
		}
	}
	str, _ := e.js.Stream(ctx, natsjs.EventStream)
	info, _ := str.Info(ctx)
	if info.State.Consumers != 1 {
		t.Fatalf("stream has %d consumers, want the hub's one", info.State.Consumers)
	}
	if n := e.hub.Subscribers(); n < 300 {
		t.Fatalf("hub has %d subscribers", n)
	}
}

// Example_subscribe shows a plain NATS client following pledges of one
// coalition straight from the subjects, without Coalition's API.
func Example_subscribe() {
	t := &testing.T{}
	_, nc := testkit.NATS(t)
	js, _ := jetstream.New(nc)
	natsjs.EnsureStreams(context.Background(), js, natsjs.StreamConfig{})

	// Core NATS: every pledge of the coalition, from any country, as it is
	// published. (Use a JetStream consumer on COALITION_EVENTS to replay.)
	received := make(chan *nats.Msg, 1)
	sub, _ := nc.Subscribe("coalition.paris-2015.*.pledge", func(m *nats.Msg) { received <- m })
	defer sub.Unsubscribe()

	pub, _ := producers.NewPublisher(nc)
	q := 650.0
	pub.Publish(context.Background(), &schema.Event{
		Kind: schema.KindPledge, Coalition: "paris-2015", Actor: "DEU", Counterpart: "FRA",
		OccurredAt: time.Date(2015, 11, 25, 11, 0, 0, 0, time.UTC), Source: "https://www.bbc.com/news/world-europe-34925741",
		Pledge: &schema.Pledge{CommitmentID: "deu-mali-troops-2015", Category: schema.CategoryMilitary, Asset: "troops", Quantity: &q, Unit: "soldiers", Destination: "MLI"},
	})
	m := <-received
	ev, _ := schema.Decode(m.Subject, m.Header.Get, m.Data)
	fmt.Println(m.Subject, m.Header.Get("ce-type"), ev.Pledge.CommitmentID, *ev.Pledge.Quantity, ev.Pledge.Unit)
	// Output: coalition.paris-2015.DEU.pledge dev.coalition.pledge.v1 deu-mali-troops-2015 650 soldiers
}

// TestLongReplay replays more than a page of the replay's reads and more
// than the hub would hold for the subscriber meanwhile: the replay goes on
// until it meets the live fan-out, so the subscriber gets every sequence
// after the one it asked for, then the live ones, and the replay's
// consumer is gone afterwards.
func TestLongReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, feed.Config{MaxHeld: 50})
	ctx := context.Background()
	live, _ := e.hub.Subscribe(ctx, "coalition.>", feed.Since{})
	e.publish(t, eventgen.Events(rand.New(rand.NewPCG(11, 12)), 600, eventgen.Options{}))
	collect(t, live, 600) // the hub has fanned them out: they are history now
	sub, err := e.hub.Subscribe(ctx, "coalition.>", feed.Since{Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.publish(t, eventgen.Events(rand.New(rand.NewPCG(13, 14)), 1, eventgen.Options{}))
	for want := uint64(2); want <= 601; want++ {
		if got := collect(t, sub, 1)[0].Seq; got != want {
			t.Fatalf("seq %d, want %d: %d..%d skipped", got, want, want, got-1)
		}
	}
	str, _ := e.js.Stream(ctx, natsjs.EventStream)
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := str.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Consumers == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d consumers on the stream after the replay, want the hub's one", info.State.Consumers)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
