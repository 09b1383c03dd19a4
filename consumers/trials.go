package consumers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TrialsBucket is the key-value bucket in which a consumer notes the
// message it is storing alone past the delivery limit, under the key
// <durable>.<stream sequence>, and clears the note once the message is
// stored and acked. A note found on a later delivery means a consumer died
// storing that message by itself: the message is the culprit, and is
// dead-lettered. Notes expire after a day.
const TrialsBucket = "coalition_consumer_trials"

// trialsTTL is how long an uncleared note lives.
const trialsTTL = 24 * time.Hour

// openTrials creates or binds the trials bucket. Without it (a server that
// refuses it) the consumer still runs: a message past the delivery limit
// is then tried alone until it has been delivered twice the limit.
func (c *Consumer) openTrials(ctx context.Context) {
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	kv, err := c.js.CreateOrUpdateKeyValue(ictx, jetstream.KeyValueConfig{
		Bucket:      TrialsBucket,
		Description: "Coalition: messages a ClickHouse writer is storing alone past the delivery limit",
		History:     1,
		TTL:         trialsTTL,
		Replicas:    max(c.cfg.Replicas, 1),
	})
	if err != nil {
		c.log.Warn("trials bucket unavailable: a message past the delivery limit is dead-lettered only at twice the limit",
			"bucket", TrialsBucket, "err", err)
		return
	}
	c.trials = kv
}

func (c *Consumer) trialKey(seq uint64) string { return fmt.Sprintf("%s.%d", c.cfg.Durable, seq) }

// diedAlone reports whether a message past the delivery limit, on its n-th
// delivery, is the culprit: a consumer noted it was storing it alone and
// never cleared the note. Without the bucket, or if it cannot be read, the
// message counts as the culprit at twice the limit.
func (c *Consumer) diedAlone(ctx context.Context, seq, n uint64) bool {
	if n >= 2*uint64(c.cfg.MaxDeliveries) {
		return true
	}
	if c.trials == nil {
		return false
	}
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := c.trials.Get(ictx, c.trialKey(seq))
	switch {
	case err == nil:
		return true
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false
	default:
		c.log.Warn("trials bucket: cannot read a note; trying the message again", "stream_seq", seq, "err", err)
		return false
	}
}

// noteTrial notes that the message at seq is being stored alone, before
// the store: if the process dies storing it, the note stays.
func (c *Consumer) noteTrial(ctx context.Context, seq uint64) {
	if c.trials == nil {
		return
	}
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.trials.Put(ictx, c.trialKey(seq), []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		c.log.Warn("trials bucket: cannot note a message stored alone", "stream_seq", seq, "err", err)
	}
}

// clearTrial removes the note on seq once the message is stored or
// dead-lettered.
func (c *Consumer) clearTrial(ctx context.Context, seq uint64) {
	if c.trials == nil {
		return
	}
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := c.trials.Purge(ictx, c.trialKey(seq)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		c.log.Warn("trials bucket: cannot clear a note (it expires in a day)", "stream_seq", seq, "err", err)
	}
}
