package consumers

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/schema"
)

// prepared is a fetched batch, decoded: the rows to store with their
// messages and how many times JetStream has delivered each, and the
// messages to dead-letter with the reason.
type prepared struct {
	rows          []clickhouse.Row
	good          []jetstream.Msg
	delivered     []uint64 // NumDelivered of good[i], this delivery included
	mostDelivered uint64
	bad           []badMsg
	fetched       time.Time
}

type badMsg struct {
	msg jetstream.Msg
	seq uint64
	err error
}

// fetchLoop fetches and decodes batches and hands them to Run's storing
// loop one at a time, so the next batch is fetched and decoded while the
// previous one is being stored. It closes out when it returns. While a
// decoded batch waits for the storing loop, its messages are reported in
// progress, as the batch being stored is, so a slow INSERT does not make
// JetStream redeliver the batch behind it. On cancellation the batch it holds
// is given back (nak) for redelivery.
func (c *Consumer) fetchLoop(ctx context.Context, cons jetstream.Consumer, out chan<- *prepared) error {
	defer close(out)
	backoff := newBackoff()
	for ctx.Err() == nil {
		batch, err := cons.Fetch(c.cfg.Batch, jetstream.FetchMaxWait(c.cfg.MaxWait))
		var msgs []jetstream.Msg
		if err == nil {
			for msg := range batch.Messages() {
				msgs = append(msgs, msg)
			}
			err = batch.Error()
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
				err = nil
			}
		}
		if len(msgs) > 0 {
			backoff.reset()
			if !c.handOver(ctx, out, c.decode(msgs)) {
				c.giveBack(msgs)
				return nil
			}
		}
		if err == nil {
			continue
		}
		c.log.Warn("fetch failed", "err", err, "got", len(msgs))
		if lostConsumer(err) {
			// The durable consumer was deleted, or the stream is gone or
			// leaderless: bind again (this recreates it).
			c.bound.Store(false)
			backoff.wait(ctx)
			if cons, err = c.bind(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			continue
		}
		backoff.wait(ctx)
	}
	return nil
}

// handOver waits for the storing loop to take p, reporting p's messages in
// progress every third of the ack wait meanwhile. It returns false if ctx
// ended first.
func (c *Consumer) handOver(ctx context.Context, out chan<- *prepared, p *prepared) bool {
	t := time.NewTicker(c.cfg.AckWait / 3)
	defer t.Stop()
	for {
		select {
		case out <- p:
			return true
		case <-ctx.Done():
			return false
		case <-t.C:
			for _, m := range p.good {
				if err := m.InProgress(); err != nil {
					c.log.Debug("in-progress signal failed", "stream_seq", streamSeq(m), "err", err)
				}
			}
		}
	}
}

func (c *Consumer) giveBack(msgs []jetstream.Msg) {
	for _, m := range msgs {
		if err := m.Nak(); err != nil {
			c.log.Warn("nak failed; the message will be redelivered after the ack wait", "stream_seq", streamSeq(m), "err", err)
		}
	}
}

// decodeChunk is the fewest messages worth a goroutine of their own.
const decodeChunk = 256

// decode decodes and validates a batch on all CPUs, keeping the stream
// order, with each valid event's canonical JSON.
func (c *Consumer) decode(msgs []jetstream.Msg) *prepared {
	type result struct {
		row       clickhouse.Row
		delivered uint64
		err       error
	}
	res := make([]result, len(msgs))
	one := func(i int) {
		msg := msgs[i]
		var seq, delivered uint64
		if md, err := msg.Metadata(); err == nil {
			seq, delivered = md.Sequence.Stream, md.NumDelivered
		}
		ev, data, err := schema.DecodeCanonical(msg.Subject(), msg.Headers().Get, msg.Data())
		if err != nil {
			res[i] = result{row: clickhouse.Row{StreamSeq: seq}, err: err}
			return
		}
		res[i] = result{row: clickhouse.Row{Event: ev, Data: data, StreamSeq: seq}, delivered: delivered}
	}
	workers := min(runtime.GOMAXPROCS(0), (len(msgs)+decodeChunk-1)/decodeChunk)
	if workers <= 1 {
		for i := range msgs {
			one(i)
		}
	} else {
		var wg sync.WaitGroup
		per := (len(msgs) + workers - 1) / workers
		for lo := 0; lo < len(msgs); lo += per {
			hi := min(lo+per, len(msgs))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					one(i)
				}
			}()
		}
		wg.Wait()
	}
	p := &prepared{rows: make([]clickhouse.Row, 0, len(msgs)), good: make([]jetstream.Msg, 0, len(msgs)),
		delivered: make([]uint64, 0, len(msgs)), fetched: time.Now()}
	for i, r := range res {
		if r.err != nil {
			p.bad = append(p.bad, badMsg{msg: msgs[i], seq: r.row.StreamSeq, err: r.err})
			continue
		}
		p.rows = append(p.rows, r.row)
		p.good = append(p.good, msgs[i])
		p.delivered = append(p.delivered, r.delivered)
		p.mostDelivered = max(p.mostDelivered, r.delivered)
	}
	return p
}
