package feed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// How a subscriber is replayed what it missed: the stored messages from
// where it asked, up to where the live fan-out started for it, then the
// live messages held meanwhile.

// replayIdle is how long a replay waits for a message the stream says is
// there before it checks again; after three such waits it gives up.
const replayIdle = 2 * time.Second

// replay sends what the subscriber missed, up to the live fan-out's start
// liveFrom, then the live items held meanwhile, then switches it to live
// delivery.
func (h *Hub) replay(ctx context.Context, s *Sub, pattern string, since Since, liveFrom uint64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // the subscription's end stops the replay
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	send := func(it Item) bool {
		select {
		case s.c <- it:
			s.mu.Lock()
			s.lastOut = it.Seq
			s.mu.Unlock()
			return true
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Second):
			s.closeWith(ErrSlow)
			return false
		}
	}
	if err := h.replayStored(ctx, pattern, since, liveFrom, send); err != nil {
		if !errors.Is(err, errStopped) && ctx.Err() == nil {
			h.log.Warn("feed replay interrupted; the subscriber is told to reconnect", "stream", h.cfg.Stream, "err", err)
			s.closeWith(ErrReplay)
		}
		return
	}
	// Deliver the live items held during the replay, then go live.
	for {
		s.mu.Lock()
		if len(s.pending) == 0 {
			s.replay = false
			s.mu.Unlock()
			return
		}
		held := s.pending
		s.pending = nil
		last := s.lastOut
		s.mu.Unlock()
		for _, it := range held {
			if it.Seq > last && !send(it) {
				return
			}
		}
	}
}

// errStopped says a replay stopped because its subscriber went away.
var errStopped = errors.New("feed: subscriber gone")

// replayStored sends the stored messages matching pattern from since on
// until it has sent every one up to sequence liveFrom, reading the stream
// with one ordered consumer (pulled a page at a time as the subscriber
// takes them). It returns nil once it has got there.
func (h *Hub) replayStored(ctx context.Context, pattern string, since Since, liveFrom uint64, send func(Item) bool) error {
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{pattern}, MaxResetAttempts: 3}
	switch {
	case !since.Time.IsZero():
		t := since.Time
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	case since.Seq >= liveFrom:
		return nil // nothing was stored between what it saw and live
	default:
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, since.Seq+1
	}
	cons, err := h.js.OrderedConsumer(ctx, h.cfg.Stream, occ)
	if err != nil {
		return fmt.Errorf("replay consumer on %s: %w", h.cfg.Stream, err)
	}
	defer h.dropConsumer(cons)
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		return nil // nothing stored matches
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(replayPage))
	if err != nil {
		return fmt.Errorf("replay %s: %w", h.cfg.Stream, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for idle := 0; ; {
		msg, err := it.Next(jetstream.NextMaxWait(replayIdle))
		if ctx.Err() != nil {
			return errStopped
		}
		if errors.Is(err, nats.ErrTimeout) {
			// Nothing came: nothing more matches, or the server is slow.
			if info, ierr := cons.Info(ctx); ierr == nil && info.NumPending == 0 {
				return nil
			}
			if idle++; idle >= 3 {
				return fmt.Errorf("replay %s: nothing delivered in %v", h.cfg.Stream, 3*replayIdle)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("replay %s: %w", h.cfg.Stream, err)
		}
		idle = 0
		md, err := msg.Metadata()
		if err != nil {
			continue
		}
		if item, ok := h.render(md.Sequence.Stream, msg.Subject(), msg.Headers(), msg.Data(), md.Timestamp); ok {
			if !send(item) {
				return errStopped
			}
		}
		if md.Sequence.Stream >= liveFrom || md.NumPending == 0 {
			return nil
		}
	}
}

// replayPage is how many messages a replay pulls from the server at a time.
const replayPage = 256

// dropConsumer deletes a replay's ordered consumer at once rather than
// leaving it to expire.
func (h *Hub) dropConsumer(cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.js.DeleteConsumer(ctx, h.cfg.Stream, info.Name)
}
