package schema

import (
	"encoding/json"
	"fmt"
	"mime"
	"time"

	"github.com/google/uuid"
)

// Header names of the wire format: CloudEvents 1.0 in binary mode on NATS
// headers, with JSON data, and JetStream's de-duplication header set to the
// event id.
const (
	HeaderSpecVersion = "ce-specversion"
	HeaderID          = "ce-id"
	HeaderSource      = "ce-source"
	HeaderType        = "ce-type"
	HeaderTime        = "ce-time"
	HeaderSubject     = "ce-subject"
	HeaderDataSchema  = "ce-dataschema"
	HeaderContentType = "Content-Type"
	HeaderMsgID       = "Nats-Msg-Id"
)

// CloudEventsVersion is the ce-specversion Coalition speaks.
const CloudEventsVersion = "1.0"

// ContentTypeJSON is the content type of event data.
const ContentTypeJSON = "application/json"

// CEType returns the CloudEvents type of an event kind, such as
// dev.coalition.pledge.v1.
func CEType(k Kind) string { return "dev.coalition." + string(k) + ".v1" }

// Message is an event encoded for the wire: the subject, the headers and the
// JSON data.
type Message struct {
	Subject string
	Header  map[string]string
	Data    []byte
}

// MsgID returns the Nats-Msg-Id JetStream de-duplicates on: the event id
// for an event's first version, and id/r<revision> for a correction, so that
// a correction published soon after the original is not taken for a
// duplicate of it.
func MsgID(ev *Event) string {
	if ev.Revision == 0 {
		return ev.ID.String()
	}
	return fmt.Sprintf("%s/r%d", ev.ID, ev.Revision)
}

// Encode validates an event and encodes it for the wire. source identifies
// the producer (a URI reference such as /producers/cli) and becomes ce-source.
func Encode(ev *Event, source string) (Message, error) {
	if err := ev.Validate(); err != nil {
		return Message{}, err
	}
	subject, err := ev.Subject()
	if err != nil {
		return Message{}, err
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return Message{}, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	if source == "" {
		source = "/producers/unknown"
	}
	return Message{
		Subject: subject,
		Data:    data,
		Header: map[string]string{
			HeaderSpecVersion: CloudEventsVersion,
			HeaderID:          ev.ID.String(),
			HeaderSource:      source,
			HeaderType:        CEType(ev.Kind),
			HeaderTime:        ev.OccurredAt.UTC().Format(time.RFC3339Nano),
			HeaderSubject:     ev.Actor,
			HeaderDataSchema:  DataSchema(ev.Kind),
			HeaderContentType: ContentTypeJSON,
			HeaderMsgID:       MsgID(ev),
		},
	}, nil
}

// Decode parses a message from the wire into an event and checks that the
// subject and the CloudEvents headers agree with the data. header returns a
// header's value or "". Messages without ce- headers (published by a plain
// NATS client) are accepted when their data is a complete, valid event on
// the right subject. Any disagreement is an *Error with code EINVALID.
func Decode(subject string, header func(string) string, data []byte) (Event, error) {
	ev, _, err := DecodeCanonical(subject, header, data)
	return ev, err
}

// DecodeCanonical is Decode, also returning the event's canonical JSON:
// data itself when it is already canonical, as it is from Encode.
func DecodeCanonical(subject string, header func(string) string, data []byte) (Event, []byte, error) {
	ev, canon, err := parseEvent(data)
	if err != nil {
		return ev, nil, err
	}
	ev, err = checkMessage(ev, subject, header)
	return ev, canon, err
}

// checkMessage checks a parsed event (so one without problems by the Go
// rules, identity aside) against the message that carried it.
func checkMessage(ev Event, subject string, header func(string) string) (Event, error) {
	var ids []Problem
	if ev.ID == uuid.Nil {
		ids = append(ids, Problem{Path: "id", Message: "required"})
	}
	if ev.ReportedAt.IsZero() {
		ids = append(ids, Problem{Path: "reported_at", Message: "required"})
	}
	if len(ids) > 0 {
		return ev, &Error{Code: EINVALID, Message: "invalid event", Problems: ids}
	}
	var ps []Problem
	want, _ := ev.Subject()
	if subject != want {
		ps = append(ps, Problem{Path: "subject", Message: fmt.Sprintf("message on %q but the event belongs on %q", subject, want)})
	}
	if v := header(HeaderSpecVersion); v != "" {
		if v != CloudEventsVersion {
			ps = append(ps, Problem{Path: HeaderSpecVersion, Message: fmt.Sprintf("unsupported CloudEvents version %q, want %s", v, CloudEventsVersion)})
		}
		if v := header(HeaderID); v != ev.ID.String() {
			ps = append(ps, Problem{Path: HeaderID, Message: fmt.Sprintf("%q differs from the data's id %s", v, ev.ID)})
		}
		if v := header(HeaderType); v != CEType(ev.Kind) {
			ps = append(ps, Problem{Path: HeaderType, Message: fmt.Sprintf("%q differs from the data's kind (want %s)", v, CEType(ev.Kind))})
		}
		if header(HeaderSource) == "" {
			ps = append(ps, Problem{Path: HeaderSource, Message: "required"})
		}
		// The optional attributes need not be there; when they are, they
		// must say what the data says.
		if v := header(HeaderTime); v != "" {
			if t, err := time.Parse(time.RFC3339Nano, v); err != nil {
				ps = append(ps, Problem{Path: HeaderTime, Message: fmt.Sprintf("%q is not an RFC 3339 time", v)})
			} else if !t.Equal(ev.OccurredAt) {
				ps = append(ps, Problem{Path: HeaderTime, Message: fmt.Sprintf("%q differs from the data's occurred_at %s", v, ev.OccurredAt.UTC().Format(time.RFC3339Nano))})
			}
		}
		if v := header(HeaderSubject); v != "" && v != ev.Actor {
			ps = append(ps, Problem{Path: HeaderSubject, Message: fmt.Sprintf("%q differs from the data's actor %s", v, ev.Actor)})
		}
		if v := header(HeaderDataSchema); v != "" && v != DataSchema(ev.Kind) {
			ps = append(ps, Problem{Path: HeaderDataSchema, Message: fmt.Sprintf("%q is not the schema of a %s event (want %s)", v, ev.Kind, DataSchema(ev.Kind))})
		}
	}
	if v := header(HeaderContentType); v != "" {
		if mt, _, err := mime.ParseMediaType(v); err != nil || mt != ContentTypeJSON {
			ps = append(ps, Problem{Path: HeaderContentType, Message: fmt.Sprintf("%q: event data is %s", v, ContentTypeJSON)})
		}
	}
	if v := header(HeaderMsgID); v != "" && v != MsgID(&ev) {
		ps = append(ps, Problem{Path: HeaderMsgID, Message: fmt.Sprintf("%q differs from the data's id and revision (want %s)", v, MsgID(&ev))})
	}
	if len(ps) > 0 {
		return ev, &Error{Code: EINVALID, Message: "inconsistent message", Problems: ps}
	}
	return ev, nil
}
