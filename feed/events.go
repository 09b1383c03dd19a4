package feed

import (
	"encoding/json"

	"github.com/nats-io/nats.go"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// EventPayload is what event subscribers get for each event.
type EventPayload struct {
	Seq     uint64          `json:"seq"`
	Subject string          `json:"subject"`
	Event   json.RawMessage `json:"event"`
}

// AlertPayload is what alert subscribers get for each alert.
type AlertPayload struct {
	Seq   uint64          `json:"seq"`
	Alert json.RawMessage `json:"alert"`
}

// RenderEvent renders a message of the event stream, skipping messages
// that are not valid events (the consumer dead-letters those).
func RenderEvent(seq uint64, subject string, header nats.Header, data []byte) ([]byte, bool) {
	ev, err := schema.Decode(subject, header.Get, data)
	if err != nil {
		return nil, false
	}
	canonical, err := json.Marshal(&ev)
	if err != nil {
		return nil, false
	}
	b, err := json.Marshal(EventPayload{Seq: seq, Subject: subject, Event: canonical})
	return b, err == nil
}

// RenderAlert renders a message of the alert stream.
func RenderAlert(seq uint64, subject string, header nats.Header, data []byte) ([]byte, bool) {
	if !json.Valid(data) {
		return nil, false
	}
	b, err := json.Marshal(AlertPayload{Seq: seq, Alert: data})
	return b, err == nil
}

// EventHub returns a Hub over the event stream.
func EventHub(nc *nats.Conn, cfg Config) (*Hub, error) {
	cfg.Stream, cfg.Render = natsjs.EventStream, RenderEvent
	return NewHub(nc, cfg)
}

// AlertHub returns a Hub over the alert stream.
func AlertHub(nc *nats.Conn, cfg Config) (*Hub, error) {
	cfg.Stream, cfg.Render = natsjs.AlertStream, RenderAlert
	return NewHub(nc, cfg)
}
