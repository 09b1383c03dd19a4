package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Item is one message of the stream, rendered once for every subscriber.
type Item struct {
	Seq     uint64
	Subject string
	Time    time.Time // when the stream stored it
	Data    []byte    // the rendered payload (JSON)
}

// Render turns a stream message into the payload subscribers get; ok false
// skips the message (for example an invalid event not yet dead-lettered).
type Render func(seq uint64, subject string, header nats.Header, data []byte) (payload []byte, ok bool)

// Config configures a Hub.
type Config struct {
	Stream string
	Render Render
	// Buffer is each subscriber's queue; a subscriber whose queue is full
	// is cut off. Default 1024.
	Buffer int
	// MaxHeld bounds the live messages held for one subscriber while it
	// is replayed what it missed (they are sent after the replay); a
	// subscriber whose replay falls further behind is cut off (ErrSlow)
	// and reconnects from the last sequence it got. It does not bound the
	// replay itself, which goes on until it meets the live fan-out.
	// Default 10000 messages.
	MaxHeld int
	Logger  *slog.Logger
}

// Hub fans out one stream. Its methods are safe for concurrent use.
type Hub struct {
	js   jetstream.JetStream
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex
	subs map[*Sub]struct{}
	last uint64 // sequence of the last item fanned out
	live bool   // Run is reading the stream
}

// NewHub returns a Hub over cfg.Stream; call Run to start it.
func NewHub(nc *nats.Conn, cfg Config) (*Hub, error) {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 1024
	}
	if cfg.MaxHeld <= 0 {
		cfg.MaxHeld = 10000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	return &Hub{js: js, cfg: cfg, log: cfg.Logger, subs: map[*Sub]struct{}{}}, nil
}

// Run reads new messages of the stream until ctx ends, fanning each out. It
// recreates its ordered consumer after errors (a restarted server, a
// reconnect), resuming after the last sequence it handled.
func (h *Hub) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := h.consume(ctx)
		if ctx.Err() != nil {
			break
		}
		h.log.Warn("feed consumer stopped, restarting", "stream", h.cfg.Stream, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	h.mu.Lock()
	for s := range h.subs {
		s.close(ErrClosed)
	}
	h.live = false
	h.mu.Unlock()
	return nil
}

func (h *Hub) consume(ctx context.Context) error {
	occ := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy}
	h.mu.Lock()
	if h.last > 0 {
		occ = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: h.last + 1}
	}
	h.mu.Unlock()
	cons, err := h.js.OrderedConsumer(ctx, h.cfg.Stream, occ)
	if err != nil {
		return fmt.Errorf("ordered consumer on %s: %w", h.cfg.Stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	if h.last == 0 {
		// Start the fan-out at the stream's current end, so replays can
		// tell where live begins.
		if info, err := cons.Info(ctx); err == nil && info != nil {
			h.mu.Lock()
			if h.last == 0 {
				h.last = info.Delivered.Stream
			}
			h.mu.Unlock()
		}
	}
	h.mu.Lock()
	h.live = true
	h.mu.Unlock()
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return ctx.Err()
			}
			return err
		}
		md, err := msg.Metadata()
		if err != nil {
			continue
		}
		item, ok := h.render(md.Sequence.Stream, msg.Subject(), msg.Headers(), msg.Data(), md.Timestamp)
		h.mu.Lock()
		if md.Sequence.Stream > h.last {
			h.last = md.Sequence.Stream
		}
		if ok {
			for s := range h.subs {
				s.offer(item)
			}
		}
		h.mu.Unlock()
	}
}

func (h *Hub) render(seq uint64, subject string, header nats.Header, data []byte, t time.Time) (Item, bool) {
	payload, ok := h.cfg.Render(seq, subject, header, data)
	return Item{Seq: seq, Subject: subject, Time: t.UTC(), Data: payload}, ok
}

// Subscribers returns the number of live subscribers.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Last returns the stream sequence of the last message the hub has read and
// fanned out (0 before the first): a subscription made now goes live after
// it.
func (h *Hub) Last() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// Errors a subscription ends with. After ErrSlow and ErrReplay the
// subscriber has missed nothing it was not told of: it reconnects with
// Since{Seq: the last sequence it got} and carries on without a gap.
var (
	ErrSlow   = errors.New("feed: subscriber too slow, cut off")
	ErrReplay = errors.New("feed: replay interrupted before it reached the live feed")
	ErrClosed = errors.New("feed: closed")
)

// Since says where a subscription starts. The zero Since starts with the
// next new message; the others first replay stored messages:
//
//   - Seq n: the messages after sequence n, the last one the subscriber
//     got (what SSE's Last-Event-ID carries), so n+1 comes first;
//   - FromStart: every message the stream holds (as Seq 0 would be, if the
//     zero Since did not mean "new messages only");
//   - Time t: the messages the stream stored at or after t. That is the
//     time of publication, not an event's occurred_at.
type Since struct {
	Seq       uint64
	FromStart bool
	Time      time.Time
}

func (s Since) replays() bool { return s.Seq > 0 || s.FromStart || !s.Time.IsZero() }

// Sub is one subscription. Read C until Done is closed; Err then says why.
// (C itself is never closed, so that no sender can race a close.)
type Sub struct {
	C       <-chan Item
	c       chan Item
	filter  []string // subject pattern tokens
	done    chan struct{}
	once    sync.Once
	err     error
	mu      sync.Mutex
	hub     *Hub
	pending []Item // live items that arrived during the replay
	replay  bool
	lastOut uint64
}

// Done is closed when the subscription ends.
func (s *Sub) Done() <-chan struct{} { return s.done }

// Err waits for the subscription to end and returns why.
func (s *Sub) Err() error {
	<-s.done
	return s.err
}

// offer hands a live item to the subscriber without blocking; called with
// the hub locked.
func (s *Sub) offer(it Item) {
	if !matches(s.filter, it.Subject) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replay {
		if len(s.pending) >= s.hub.cfg.MaxHeld {
			s.closeLocked(ErrSlow)
			return
		}
		s.pending = append(s.pending, it)
		return
	}
	if it.Seq <= s.lastOut {
		return
	}
	select {
	case s.c <- it:
		s.lastOut = it.Seq
	default:
		s.closeLocked(ErrSlow)
	}
}

func (s *Sub) close(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked(err)
}

func (s *Sub) closeLocked(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.done)
		if s.hub != nil {
			delete(s.hub.subs, s) // the hub is locked by offer's caller, or by Close/Run
		}
	})
}

// Close ends the subscription.
func (s *Sub) Close() { s.closeWith(ErrClosed) }

// closeWith ends the subscription with err, locking the hub first (the
// lock order everywhere: hub, then subscription).
func (s *Sub) closeWith(err error) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.close(err)
}

// Subscribe starts a subscription to the messages whose subject matches
// pattern (NATS wildcards * and >), first replaying what since asks for.
// The replay reads the stream with its own ordered consumer until it meets
// the live fan-out; live messages that arrive meanwhile are held and then
// delivered in order after it, without gap or repeat. If the replay cannot
// get there (the stream stops answering), the subscription ends with
// ErrReplay instead of skipping what it did not read.
func (h *Hub) Subscribe(ctx context.Context, pattern string, since Since) (*Sub, error) {
	c := make(chan Item, h.cfg.Buffer)
	s := &Sub{C: c, c: c, filter: strings.Split(pattern, "."), done: make(chan struct{}), hub: h}
	replay := since.replays()
	h.mu.Lock()
	if !h.live {
		h.mu.Unlock()
		return nil, errors.New("feed: not reading its stream yet")
	}
	liveFrom := h.last // live starts after what the hub has already fanned out
	s.replay = replay
	switch {
	case !replay:
		s.lastOut = liveFrom
	case since.Time.IsZero():
		s.lastOut = since.Seq // the hub may not have fanned out that far yet
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	if replay {
		go h.replay(ctx, s, pattern, since, liveFrom)
	}
	return s, nil
}

// matches reports whether subject matches the pattern tokens.
func matches(pattern []string, subject string) bool {
	toks := strings.Split(subject, ".")
	for i, p := range pattern {
		if p == ">" {
			return len(toks) > i
		}
		if i >= len(toks) || (p != "*" && p != toks[i]) {
			return false
		}
	}
	return len(toks) == len(pattern)
}
