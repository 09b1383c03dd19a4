package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// How the engine survives restarts: its progress in the key-value bucket,
// the alerts already raised (read back from the alert stream) and the
// silent replay of the events it had evaluated.

// loadProgress reads the last evaluated stream sequence from the bucket, 0
// if there is none.
func (e *Engine) loadProgress(ctx context.Context) (uint64, error) {
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		entry, err := e.kv.Get(ctx, e.progressKey())
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, nil
		}
		if err == nil {
			n, perr := strconv.ParseUint(string(entry.Value()), 10, 64)
			if perr != nil {
				e.log.Error("alert engine: progress value is not a sequence; replaying from the start", "key", e.progressKey(), "value", string(entry.Value()))
				return 0, nil
			}
			return n, nil
		}
		e.log.Warn("alert engine: reading progress failed, retrying", "err", err)
		if !bo.wait(ctx) {
			return 0, ctx.Err()
		}
	}
}

// saveProgress records the last evaluated stream sequence.
func (e *Engine) saveProgress(ctx context.Context, seq uint64) {
	if seq <= e.saved {
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := e.kv.Put(pctx, e.progressKey(), []byte(strconv.FormatUint(seq, 10))); err != nil {
		// A restart will then evaluate a few events again; their alerts
		// have the same ids and are known from the alert stream.
		e.log.Warn("alert engine: saving progress failed", "stream_seq", seq, "err", err)
		return
	}
	e.saved = seq
}

// readStream reads a stream from its start with an ordered consumer,
// calling fn for each message, until the message at sequence upTo (or
// nothing is pending). upTo 0 reads nothing.
func (e *Engine) readStream(ctx context.Context, stream string, filter []string, upTo uint64, fn func(seq uint64, msg jetstream.Msg)) error {
	if upTo == 0 {
		return nil
	}
	str, err := e.js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	st := str.CachedInfo().State
	if st.Msgs == 0 || st.LastSeq < st.FirstSeq {
		return nil
	}
	upTo = min(upTo, st.LastSeq)
	if upTo < st.FirstSeq {
		return nil
	}
	oc, err := e.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: filter, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	empty := 0
	for ctx.Err() == nil {
		batch, err := oc.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				continue
			}
			if md.Sequence.Stream > upTo {
				return nil
			}
			fn(md.Sequence.Stream, msg)
			if md.Sequence.Stream >= upTo || md.NumPending == 0 {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		if n == 0 {
			if empty++; empty >= 5 {
				return fmt.Errorf("read %s: nothing delivered in 5s before sequence %d", stream, upTo)
			}
		}
	}
	return ctx.Err()
}

// seedFromAlerts marks every alert on the alert stream as raised and
// restores the cooldowns.
func (e *Engine) seedFromAlerts(ctx context.Context) error {
	return e.retry(ctx, "read the alert stream", func() error {
		return e.readStream(ctx, natsjs.AlertStream, []string{natsjs.AlertSubjects}, ^uint64(0), func(_ uint64, msg jetstream.Msg) {
			var a schema.Alert
			if json.Unmarshal(msg.Data(), &a) != nil || a.ID == "" {
				return
			}
			e.seen[a.ID] = struct{}{}
			k := cooldownScope(a.Rule, a.Kind, a.Coalition, a.Country)
			if a.RaisedAt.After(e.lastRaised[k]) {
				e.lastRaised[k] = a.RaisedAt
			}
		})
	})
}

// replay applies the events up to a sequence silently: the state and the
// occurrences they make are rebuilt, nothing is raised.
func (e *Engine) replay(ctx context.Context, upTo uint64) error {
	return e.retry(ctx, "replay the event stream", func() error {
		e.st = newState()
		var n uint64
		err := e.readStream(ctx, natsjs.EventStream, []string{schema.StreamSubjects}, upTo, func(_ uint64, msg jetstream.Msg) {
			ev, err := schema.Decode(msg.Subject(), msg.Headers().Get, msg.Data())
			if err != nil {
				return
			}
			n++
			if ch := e.st.apply(ev); ch != nil {
				e.decide(changeCandidates(e.rules.Load(), ch), time.Time{}, true)
			}
		})
		e.stats.replayed.Store(n)
		return err
	})
}

func (e *Engine) retry(ctx context.Context, what string, fn func() error) error {
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.log.Warn("alert engine: "+what+" failed, retrying", "err", err)
		if !bo.wait(ctx) {
			return ctx.Err()
		}
	}
}
