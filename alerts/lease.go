package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// One engine evaluates at a time: it holds a lease, a key in a key-value
// bucket whose entries expire after the lease's TTL, renewed every third of
// it. Other engines (a second serve with the same rules) stand by and take
// over when the key is released or expires.

// lease is a held lease.
type lease struct {
	kv  jetstream.KeyValue
	key string
	id  string
	rev uint64
}

func (e *Engine) leaseBucket() string { return e.cfg.Bucket + "_lease" }
func (e *Engine) leaseKey() string    { return e.cfg.Durable }

func instanceID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// acquire waits until the engine holds the lease; it returns an error only
// when ctx ends.
func (e *Engine) acquire(ctx context.Context) (*lease, error) {
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	var kv jetstream.KeyValue
	for kv == nil {
		var err error
		kv, err = e.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: e.leaseBucket(), Description: "Coalition alert engine lease: the engine evaluating",
			History: 1, TTL: e.cfg.LeaseTTL, Replicas: e.cfg.Replicas,
		})
		if err != nil {
			e.log.Warn("alert engine: lease bucket unavailable, retrying", "bucket", e.leaseBucket(), "err", err)
			if !bo.wait(ctx) {
				return nil, ctx.Err()
			}
		}
	}
	id := instanceID()
	told := false
	for {
		rev, err := kv.Create(ctx, e.leaseKey(), []byte(id))
		if err == nil {
			e.standby.Store(false)
			return &lease{kv: kv, key: e.leaseKey(), id: id, rev: rev}, nil
		}
		if errors.Is(err, jetstream.ErrKeyExists) {
			e.standby.Store(true)
			if !told {
				holder := ""
				if entry, gerr := kv.Get(ctx, e.leaseKey()); gerr == nil {
					holder = string(entry.Value())
				}
				e.log.Info("another alert engine is active; standing by", "holder", holder, "lease_ttl", e.cfg.LeaseTTL)
				told = true
			}
		} else {
			e.log.Warn("alert engine: acquiring the lease failed, retrying", "err", err)
		}
		t := time.NewTimer(e.cfg.LeaseTTL / 4)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// keep renews the lease every third of its TTL until ctx ends, and calls
// lost if it cannot be sure it still holds it.
func (l *lease) keep(ctx context.Context, ttl time.Duration, lost func(error)) {
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, ttl/3)
		rev, err := l.kv.Update(rctx, l.key, []byte(l.id), l.rev)
		cancel()
		if err == nil {
			l.rev, renewed = rev, time.Now()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || time.Since(renewed) > ttl*2/3 {
			lost(err)
			return
		}
	}
}

// release gives the lease up, if it is still held, so another engine can
// take over at once.
func (l *lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.kv.Delete(ctx, l.key, jetstream.LastRevision(l.rev))
}
