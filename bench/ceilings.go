package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// ceilings measures the parts alone, on the same kind of messages and rows
// as the pipeline phases: JetStream publish alone, fetch alone (explicit
// acks), both at once, and ClickHouse batch inserts in batches of 1,000 and
// 10,000 rows.
//
// The ceilings hold their messages and rows in memory before timing, so they
// run without the soft memory limit (which would only make the collector
// work against the measurement): the parts alone, at their best.
func (r *runner) ceilings(ctx context.Context) error {
	n := r.cfg.Events
	c := &r.rep.Ceilings
	limit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(limit)

	e, err := r.newEnv(ctx, "ceilings-js")
	if err != nil {
		return err
	}
	msgs, err := r.gen.messages(n)
	if err != nil {
		e.close()
		return err
	}
	r.progress("ceilings: JetStream publish alone, %d messages", n)
	d, err := publishRaw(ctx, e.js, msgs)
	if err != nil {
		e.close()
		return err
	}
	c.Publish = Throughput{Events: n, Seconds: d.Seconds(), PerSecond: rate(n, d)}
	r.progress("ceilings: JetStream fetch alone")
	d, err = fetchAll(ctx, e.js, "bench-fetch", r.batch(), n)
	e.close()
	if err != nil {
		return err
	}
	c.Fetch = Throughput{Events: n, Seconds: d.Seconds(), PerSecond: rate(n, d)}

	e, err = r.newEnv(ctx, "ceilings-js-both")
	if err != nil {
		return err
	}
	if msgs, err = r.gen.messages(n); err != nil {
		e.close()
		return err
	}
	r.progress("ceilings: JetStream publish and fetch together")
	start := time.Now()
	fetched := make(chan error, 1)
	fctx, fcancel := context.WithCancel(ctx)
	go func() {
		_, err := fetchAll(fctx, e.js, "bench-fetch", r.batch(), n)
		fetched <- err
	}()
	_, perr := publishRaw(ctx, e.js, msgs)
	if perr != nil {
		fcancel() // the fetcher would wait for messages that never come
	}
	ferr := <-fetched
	fcancel()
	d = time.Since(start)
	e.close()
	if err := errors.Join(perr, ferr); err != nil {
		return err
	}
	c.PublishFetch = Throughput{Events: n, Seconds: d.Seconds(), PerSecond: rate(n, d)}
	msgs = nil

	for _, b := range []int{1000, 10_000} {
		t, err := r.insertCeiling(ctx, n, b)
		if err != nil {
			return err
		}
		if b == 1000 {
			c.Insert1k = *t
		} else {
			c.Insert10k = *t
		}
	}
	r.progress("ceilings: publish %.0f/s, fetch %.0f/s, both %.0f/s, insert %.0f/s (1k) %.0f/s (10k)",
		c.Publish.PerSecond, c.Fetch.PerSecond, c.PublishFetch.PerSecond, c.Insert1k.PerSecond, c.Insert10k.PerSecond)
	return nil
}

func (r *runner) batch() int {
	if r.cfg.Batch > 0 {
		return r.cfg.Batch
	}
	return consumers.DefaultBatch
}

// fetchAll fetches n messages with a durable pull consumer configured like
// Coalition's (explicit acks), acking each, and returns the time taken.
func fetchAll(ctx context.Context, js jetstream.JetStream, durable string, batch, n int) (time.Duration, error) {
	cons, err := js.CreateOrUpdateConsumer(ctx, natsjs.EventStream, jetstream.ConsumerConfig{
		Durable: durable, AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: schema.StreamSubjects,
		MaxAckPending: max(4*batch, 4096),
	})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	got := 0
	for got < n {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		b, err := cons.Fetch(batch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return 0, fmt.Errorf("fetch: %w", err)
		}
		for m := range b.Messages() {
			if err := m.Ack(); err != nil {
				return 0, fmt.Errorf("ack: %w", err)
			}
			got++
		}
		if err := b.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return 0, fmt.Errorf("fetch: %w", err)
		}
	}
	return time.Since(start), nil
}

// insertCeiling inserts n generated rows in batches of size batch straight
// into ClickHouse and returns the rate.
func (r *runner) insertCeiling(ctx context.Context, n, batch int) (*Throughput, error) {
	if err := r.dropDatabase(ctx, "bench_insert"); err != nil {
		return nil, err
	}
	s, err := r.openStore(ctx, "bench_insert")
	if err != nil {
		return nil, err
	}
	defer func() {
		s.Close()
		r.dropDatabase(context.WithoutCancel(ctx), "bench_insert")
	}()
	if err := s.Migrate(ctx); err != nil {
		return nil, err
	}
	rows, err := r.gen.rows(n, 1)
	if err != nil {
		return nil, err
	}
	r.progress("ceilings: ClickHouse inserts of %d rows in batches of %d", n, batch)
	start := time.Now()
	for lo := 0; lo < n; lo += batch {
		if err := s.InsertRows(ctx, rows[lo:min(lo+batch, n)]); err != nil {
			return nil, err
		}
	}
	d := time.Since(start)
	return &Throughput{Events: n, Seconds: d.Seconds(), PerSecond: rate(n, d)}, nil
}
