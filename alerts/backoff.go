package alerts

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// lostConsumer reports whether a fetch error means the durable consumer
// must be bound again.
func lostConsumer(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoHeartbeat) ||
		errors.Is(err, jetstream.ErrStreamNotFound)
}

// backoff waits, doubling from a first delay to a maximum.
type backoff struct{ first, d, max time.Duration }

func newBackoff(first, maxDelay time.Duration) *backoff {
	return &backoff{first: first, d: first, max: maxDelay}
}

func (b *backoff) reset() { b.d = b.first }

// wait sleeps for the current delay and doubles it; false if ctx ended.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.d)
	defer t.Stop()
	b.d = min(2*b.d, b.max)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
