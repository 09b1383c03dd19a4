package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/chaos"
	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/failpoint"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// feed publishes a batch of 20 random events every 100 ms until stopped,
// recording each in the ledger, and puts a poison event handed to it in the
// middle of its next batch, so that the poison event is fetched with
// events before and after it.
type feed struct {
	poison chan schema.Event
	sent   chan struct{} // a value per poison event published
	stop   chan struct{}
	done   chan struct{}
	events atomic.Int64
}

func startFeed(tb testing.TB, nc *nats.Conn, ledger *chaos.Ledger, seed uint64) *feed {
	tb.Helper()
	pub, err := producers.NewPublisher(nc, producers.WithRetries(30, 100*time.Millisecond), producers.WithAckTimeout(2*time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	f := &feed{poison: make(chan schema.Event), sent: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	r := rand.New(rand.NewPCG(seed, 43))
	go func() {
		defer close(f.done)
		for {
			evs := eventgen.Events(r, 20, eventgen.Options{Coalitions: []string{coalition}, Commitments: 20})
			poisoned := false
			select {
			case <-f.stop:
				return
			case ev := <-f.poison:
				ledger.Poison(ev.ID.String())
				evs = append(evs[:10], append([]schema.Event{ev}, evs[10:]...)...)
				poisoned = true
			default:
			}
			ptrs := make([]*schema.Event, len(evs))
			for j := range evs {
				ledger.Attempt(evs[j])
				ptrs[j] = &evs[j]
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			for _, res := range pub.PublishBatch(ctx, ptrs) {
				if res.Err == nil {
					ledger.Ack(res.ID)
				}
			}
			cancel()
			f.events.Add(int64(len(evs)))
			if poisoned {
				f.sent <- struct{}{}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return f
}

// publishPoison has the feed publish ev among other events and waits until
// it has.
func (f *feed) publishPoison(ev schema.Event) {
	f.poison <- ev
	<-f.sent
}

func (f *feed) close() {
	close(f.stop)
	<-f.done
}

// poisonEvents returns n valid events of the chaos coalition.
func poisonEvents(seed uint64, n int) []schema.Event {
	return eventgen.Events(rand.New(rand.NewPCG(seed, 44)), n, eventgen.Options{Coalitions: []string{coalition}, Commitments: 20})
}

// deadLetters returns the reason of each event in the dead-letter stream,
// by event id.
func deadLetters(tb testing.TB, js jetstream.JetStream) map[string]string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, natsjs.DeadLetterStream)
	if err != nil {
		tb.Fatal(err)
	}
	st := s.CachedInfo().State
	out := map[string]string{}
	for seq := st.FirstSeq; st.Msgs > 0 && seq <= st.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		out[m.Header.Get(schema.HeaderID)] = m.Header.Get(consumers.HeaderError)
	}
	return out
}

// recordDeadLetters puts the dead-letter stream into the ledger.
func recordDeadLetters(tb testing.TB, js jetstream.JetStream, ledger *chaos.Ledger) {
	tb.Helper()
	for id := range deadLetters(tb, js) {
		ledger.DeadLetter(id)
	}
}

// waitPoison waits until serve dies (true) or the event is in the
// dead-letter stream (false), and returns the reason then.
func waitPoison(tb testing.TB, p *proc, js jetstream.JetStream, id string) (killed bool, reason string) {
	tb.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-p.done:
			p.done <- err
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				tb.Fatalf("serve ended with %v, want SIGKILL from the failpoint\n%s", err, p.log)
			}
			return true, ""
		default:
		}
		if reason, ok := deadLetters(tb, js)[id]; ok {
			return false, reason
		}
		if time.Now().After(deadline) {
			tb.Fatalf("event %s neither killed serve nor was dead-lettered in 90s\n%s", id, p.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPoison publishes, among a steady feed of events, events that the
// consumer cannot store, and checks that each is dead-lettered with its
// reason while every other event is stored once.
//
// Crash: `coalition serve` is killed (failpoint consumer-store-event) each
// time it is about to write the poison event, on every delivery, and
// restarted at once, as a supervisor would; after --max-deliveries (5)
// deliveries the next process dead-letters it. The events fetched with it,
// which died with it as many times, must be stored.
//
// Refused: ClickHouse refuses every INSERT that holds the poison event (a
// MATERIALIZED column of the events table whose throwIf fires on its id);
// the consumer splits the batch down to the event and dead-letters it.
func TestPoison(t *testing.T) {
	t.Run("Crash", func(t *testing.T) {
		t.Parallel()
		_, natsURL := testkit.NATSListening(t)
		chAddr, db := testkit.ClickHouse(t)
		nc, err := nats.Connect(natsURL)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		if err := natsjs.EnsureStreams(context.Background(), js, natsjs.StreamConfig{}); err != nil {
			t.Fatal(err)
		}
		ledger := chaos.NewLedger()
		n := runs(2, 5)
		poison := poisonEvents(7, n)
		ids := make([]string, n)
		for i, ev := range poison {
			ids[i] = ev.ID.String()
		}
		// Every process is armed for every poison event: the one that
		// survives a run goes on into the next.
		fp := failpoint.StoreEvent + "=" + strings.Join(ids, "|")
		feed := startFeed(t, nc, ledger, 7)
		p := startServe(t, natsURL, chAddr, db, fp, "--ack-wait", "1s")
		for i, ev := range poison {
			id := ev.ID.String()
			feed.publishPoison(ev)
			start, crashes := time.Now(), 0
			for {
				killed, reason := waitPoison(t, p, js, id)
				if !killed {
					want := fmt.Sprintf("delivered %d times without being stored", consumers.DefaultMaxDeliveries+1)
					if !strings.Contains(reason, want) {
						t.Errorf("run %d: reason %q, want it to say %q", i+1, reason, want)
					}
					break
				}
				crashes++
				p = startServe(t, natsURL, chAddr, db, fp, "--ack-wait", "1s")
			}
			t.Logf("run %d: event %s killed serve %d times, dead-lettered after %v", i+1, id, crashes, time.Since(start).Round(time.Millisecond))
			if crashes != consumers.DefaultMaxDeliveries {
				t.Errorf("run %d: serve killed %d times, want one per delivery up to the limit, %d", i+1, crashes, consumers.DefaultMaxDeliveries)
			}
		}
		feed.close()
		drain(t, nc)
		p.stop(t)
		recordDeadLetters(t, js, ledger)
		r := check(t, chAddr, db, ledger)
		r.Scenario, r.Runs = fmt.Sprintf("poison event: serve SIGKILLed on each delivery, dead-lettered after %d", consumers.DefaultMaxDeliveries), n
		if r.DeadLettered != n {
			t.Errorf("dead-lettered %d poison events, want %d", r.DeadLettered, n)
		}
		record(t, r)
	})

	t.Run("Refused", func(t *testing.T) {
		t.Parallel()
		_, natsURL := testkit.NATSListening(t)
		store, chAddr, db := openStore(t)
		nc, err := nats.Connect(natsURL)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		if err := natsjs.EnsureStreams(context.Background(), js, natsjs.StreamConfig{}); err != nil {
			t.Fatal(err)
		}
		n := runs(2, 5)
		poison := poisonEvents(8, n)
		ids := make([]string, n)
		for i, ev := range poison {
			ids[i] = "'" + ev.ID.String() + "'"
		}
		// ClickHouse computes a MATERIALIZED column on every INSERT, before
		// it writes anything: throwIf refuses the whole block.
		if err := store.Exec(context.Background(), "ALTER TABLE events ADD COLUMN chaos_poison UInt8 MATERIALIZED throwIf(toString(event_id) IN ("+strings.Join(ids, ", ")+"))"); err != nil {
			t.Fatal(err)
		}
		ledger := chaos.NewLedger()
		feed := startFeed(t, nc, ledger, 8)
		p := startServe(t, natsURL, chAddr, db, "")
		for i, ev := range poison {
			feed.publishPoison(ev)
			id := ev.ID.String()
			killed, reason := waitPoison(t, p, js, id)
			if killed {
				t.Fatalf("serve died\n%s", p.log)
			}
			if !strings.Contains(reason, "ClickHouse refused the event") || !strings.Contains(reason, "throwIf") {
				t.Errorf("run %d: reason %q, want ClickHouse's refusal (throwIf)", i+1, reason)
			}
		}
		feed.close()
		drain(t, nc)
		p.stop(t)
		recordDeadLetters(t, js, ledger)
		r := check(t, chAddr, db, ledger)
		r.Scenario, r.Runs = "poison event: ClickHouse refuses it (throwIf)", n
		if r.DeadLettered != n {
			t.Errorf("dead-lettered %d poison events, want %d", r.DeadLettered, n)
		}
		record(t, r)
	})
}
