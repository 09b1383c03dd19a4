package natsjs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/schema"
)

// Stream and subject names.
const (
	// EventStream holds every event, on subjects coalition.<c>.<country>.<kind>.
	EventStream = "COALITION_EVENTS"
	// DeadLetterStream holds messages the consumer could not accept, with
	// the reason in the Coalition-Error header.
	DeadLetterStream = "COALITION_DLQ"
	// DeadLetterSubject is the subject dead letters are published on.
	DeadLetterSubject = "coalition.dlq.events"
	// AlertStream holds raised alerts, on subjects coalition.alerts.<rule>.
	AlertStream = "COALITION_ALERTS"
	// AlertSubjects is the alert stream's subject filter.
	AlertSubjects = "coalition.alerts.*"
	// AlertDeadLetterStream holds the alert deliveries that failed for good,
	// on subjects coalition.alerts-dlq.<subscriber>.
	AlertDeadLetterStream = "COALITION_ALERTS_DLQ"
	// AlertDeadLetterSubjects is its subject filter.
	AlertDeadLetterSubjects = "coalition.alerts-dlq.*"
)

// AlertSubject returns the subject of alerts raised by a rule.
func AlertSubject(rule string) string { return "coalition.alerts." + rule }

// StreamConfig holds the limits of the event stream.
type StreamConfig struct {
	Replicas int           // default 1
	MaxBytes int64         // 0: no limit
	MaxAge   time.Duration // 0: keep forever
	// Duplicates is JetStream's de-duplication window on Nats-Msg-Id;
	// default 10 minutes. Storage dedups by event id whatever the window.
	Duplicates time.Duration
	Storage    jetstream.StorageType // default file
	// PlacementCluster and PlacementTags choose the servers that hold the
	// streams on a super-cluster or a tagged cluster; empty: any.
	PlacementCluster string
	PlacementTags    []string
}

func (c StreamConfig) placement() *jetstream.Placement {
	if c.PlacementCluster == "" && len(c.PlacementTags) == 0 {
		return nil
	}
	return &jetstream.Placement{Cluster: c.PlacementCluster, Tags: c.PlacementTags}
}

// EventStreamConfig returns the JetStream configuration of the event stream.
func EventStreamConfig(c StreamConfig) jetstream.StreamConfig {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Duplicates == 0 {
		c.Duplicates = 10 * time.Minute
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = -1
	}
	return jetstream.StreamConfig{
		Name:        EventStream,
		Description: "Coalition events (CloudEvents 1.0, binary mode, JSON data)",
		Subjects:    []string{schema.StreamSubjects},
		Storage:     c.Storage,
		Replicas:    c.Replicas,
		MaxBytes:    c.MaxBytes,
		MaxAge:      c.MaxAge,
		Duplicates:  c.Duplicates,
		Discard:     jetstream.DiscardNew, // a full stream refuses publishes: producers see the error
		Retention:   jetstream.LimitsPolicy,
		Placement:   c.placement(),
	}
}

// DeadLetterStreamConfig returns the configuration of the dead-letter stream.
func DeadLetterStreamConfig(c StreamConfig) jetstream.StreamConfig {
	return historyStream(c, DeadLetterStream, "Coalition messages the consumer rejected, with the reason in Coalition-Error",
		DeadLetterSubject, 10*time.Minute, 90*24*time.Hour)
}

// AlertStreamConfig returns the configuration of the alert stream: a year
// of history, de-duplication on the alert id over a day.
func AlertStreamConfig(c StreamConfig) jetstream.StreamConfig {
	return historyStream(c, AlertStream, "Coalition alerts, one subject per rule", AlertSubjects, 24*time.Hour, 365*24*time.Hour)
}

// AlertDeadLetterStreamConfig returns the configuration of the stream of
// alert deliveries that failed for good.
func AlertDeadLetterStreamConfig(c StreamConfig) jetstream.StreamConfig {
	return historyStream(c, AlertDeadLetterStream, "Coalition alert deliveries that failed after the last retry",
		AlertDeadLetterSubjects, 0, 90*24*time.Hour)
}

// historyStream is the configuration shared by the streams kept as history:
// limits retention, the oldest dropped first past maxAge, de-duplication
// over dup (0: the server's default).
func historyStream(c StreamConfig, name, description, subject string, dup, maxAge time.Duration) jetstream.StreamConfig {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	return jetstream.StreamConfig{
		Name:        name,
		Description: description,
		Subjects:    []string{subject},
		Storage:     c.Storage,
		Replicas:    c.Replicas,
		Duplicates:  dup,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      maxAge,
		Placement:   c.placement(),
	}
}

// EnsureStreams creates the event and dead-letter streams, or updates them
// to the given limits. It is idempotent.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, c StreamConfig) error {
	for _, sc := range []jetstream.StreamConfig{EventStreamConfig(c), DeadLetterStreamConfig(c), AlertStreamConfig(c), AlertDeadLetterStreamConfig(c)} {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("create stream %s: %w", sc.Name, err)
		}
	}
	return nil
}

// jsErrCodeStoreFailed is nats-server's JSStreamStoreFailedF: the store
// refused a message; its description says why ("maximum bytes exceeded").
const jsErrCodeStoreFailed jetstream.ErrorCode = 10077

// IsRetryable reports whether a JetStream or connection error may go away
// by itself (timeouts, no responders during a leader election, a
// reconnecting client), as opposed to one that repeats (a full stream,
// a bad request).
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeStreamNotFound, jetstream.JSErrCodeJetStreamNotEnabled:
			return true
		case jsErrCodeStoreFailed:
			// A stream at a limit (bytes, messages, per-subject) with
			// DiscardNew stays full until it is raised or drained.
			if strings.Contains(apiErr.Description, "maximum") {
				return false
			}
		}
		// 503 (no leader, cluster busy) and 408 are transient; 4xx are not.
		return apiErr.Code == 503 || apiErr.Code == 408
	}
	return !errors.Is(err, context.Canceled)
}

// WaitAcked waits until the durable consumer has acknowledged every message
// the stream held when WaitAcked was called: its ack floor has reached the
// stream's last sequence and nothing is awaiting an ack. (NumPending alone
// can read 0 for a moment before a consumer has seen new messages.)
func WaitAcked(ctx context.Context, js jetstream.JetStream, stream, durable string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last uint64
	for {
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		str, err := js.Stream(sctx, stream)
		scancel()
		if err == nil {
			last = str.CachedInfo().State.LastSeq
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("stream %s: %w", stream, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	for {
		// Each look on its own short deadline: on a cluster, a request
		// made while a leader is being elected may get no answer at all,
		// and must not use up the whole wait.
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		cons, err := js.Consumer(actx, stream, durable)
		if err == nil {
			info, err := cons.Info(actx)
			if err == nil && info.AckFloor.Stream >= last && info.NumAckPending == 0 {
				acancel()
				return nil
			}
		}
		acancel()
		select {
		case <-ctx.Done():
			return fmt.Errorf("consumer %s has not acknowledged stream %s up to sequence %d after %v", durable, stream, last, timeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
