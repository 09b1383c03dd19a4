package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
)

// RecentAlerts returns up to limit of the latest alerts, newest first.
func RecentAlerts(ctx context.Context, nc *nats.Conn, limit int) ([]AlertPayload, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	str, err := js.Stream(ctx, natsjs.AlertStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return []AlertPayload{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alert stream: %w", err)
	}
	state := str.CachedInfo().State
	out := []AlertPayload{}
	for seq := state.LastSeq; seq >= state.FirstSeq && seq > 0 && len(out) < limit; seq-- {
		m, err := str.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted or aged out
		}
		if err != nil {
			return nil, fmt.Errorf("alert %d: %w", seq, err)
		}
		if json.Valid(m.Data) {
			out = append(out, AlertPayload{Seq: seq, Alert: m.Data})
		}
	}
	return out, nil
}
