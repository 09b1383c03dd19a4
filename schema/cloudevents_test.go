package schema_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
	"github.com/google/uuid"
)

func TestEncode(t *testing.T) {
	for _, g := range validEvents(t) {
		t.Run(g.Name, func(t *testing.T) {
			ev := mustParse(t, g.Raw)
			msg, err := schema.Encode(&ev, "/producers/cli")
			if err != nil {
				t.Fatal(err)
			}
			id := ev.ID.String()
			raw := jsonObject(t, g.Raw)
			msgID := id // a correction carries its revision: id/r<revision>
			if r, ok := raw["revision"]; ok {
				msgID = fmt.Sprintf("%s/r%s", id, r)
			}
			want := map[string]string{
				"ce-specversion": "1.0",
				"ce-id":          id,
				"ce-source":      "/producers/cli",
				"ce-type":        "dev.coalition." + string(g.Kind) + ".v1",
				"ce-time":        raw["occurred_at"].(string),
				"ce-subject":     raw["actor"].(string),
				"ce-dataschema":  "https://coalition.dev/schemas/v1/" + string(g.Kind) + ".json",
				"Content-Type":   "application/json",
				"Nats-Msg-Id":    msgID,
			}
			if !maps.Equal(msg.Header, want) {
				t.Errorf("Header = %v,\nwant     %v", msg.Header, want)
			}
			if got, want := msg.Subject, "coalition."+raw["coalition"].(string)+"."+raw["actor"].(string)+"."+string(g.Kind); got != want {
				t.Errorf("Subject = %q, want %q", got, want)
			}
		})
	}

	t.Run("HeaderNames", func(t *testing.T) {
		// The constants are the wire format; renaming one breaks every
		// consumer, so they are spelled out here.
		got := []string{schema.HeaderSpecVersion, schema.HeaderID, schema.HeaderSource, schema.HeaderType,
			schema.HeaderTime, schema.HeaderSubject, schema.HeaderDataSchema, schema.HeaderContentType, schema.HeaderMsgID}
		want := []string{"ce-specversion", "ce-id", "ce-source", "ce-type", "ce-time", "ce-subject", "ce-dataschema", "Content-Type", "Nats-Msg-Id"}
		if !slices.Equal(got, want) {
			t.Errorf("header names = %q, want %q", got, want)
		}
		if got, want := schema.CEType(schema.KindPledge), "dev.coalition.pledge.v1"; got != want {
			t.Errorf("CEType(pledge) = %q, want %q", got, want)
		}
		if got, want := schema.DataSchema(schema.KindIncident), "https://coalition.dev/schemas/v1/incident.json"; got != want {
			t.Errorf("DataSchema(incident) = %q, want %q", got, want)
		}
	})

	t.Run("TimeInUTC", func(t *testing.T) {
		ev := mustParse(t, validEventsOf(t, schema.KindStatement)[0].Raw)
		ev.OccurredAt = time.Date(2015, 11, 16, 16, 0, 0, 500_000_000, time.FixedZone("CET", 3600))
		msg := mustEncode(t, &ev)
		if got, want := msg.Header["ce-time"], "2015-11-16T15:00:00.5Z"; got != want {
			t.Errorf("ce-time = %q, want %q", got, want)
		}
	})

	t.Run("DefaultSource", func(t *testing.T) {
		ev := mustParse(t, validEventsOf(t, schema.KindStatement)[0].Raw)
		msg, err := schema.Encode(&ev, "")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := msg.Header["ce-source"], "/producers/unknown"; got != want {
			t.Errorf("ce-source = %q, want %q", got, want)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		ev := mustParse(t, validEventsOf(t, schema.KindSanction)[0].Raw)
		ev.Counterpart = ""
		msg, err := schema.Encode(&ev, "/producers/cli")
		if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
			t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, want, err)
		}
		if !hasPath(err, "counterpart") {
			t.Errorf("problems %q, want one at counterpart", problemPaths(err))
		}
		if msg.Subject != "" || msg.Header != nil || msg.Data != nil {
			t.Errorf("Encode returned a message %+v along with an error", msg)
		}
	})
}

func TestMsgID(t *testing.T) {
	ev := schema.Event{ID: uuid.MustParse("01513982-0100-72be-a710-e8acd1807843")}
	tests := []struct {
		revision uint32
		want     string
	}{
		{0, "01513982-0100-72be-a710-e8acd1807843"},
		{1, "01513982-0100-72be-a710-e8acd1807843/r1"},
		{12, "01513982-0100-72be-a710-e8acd1807843/r12"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.revision), func(t *testing.T) {
			ev.Revision = tt.revision
			if got := schema.MsgID(&ev); got != tt.want {
				t.Errorf("MsgID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	g := validEventsOf(t, schema.KindPledge)[1] // Germany's 650 soldiers for Mali
	ev := mustParse(t, g.Raw)
	msg := mustEncode(t, &ev)
	other := uuid.MustParse("01513f96-6680-7880-8803-000000000000").String()

	t.Run("Encoded", func(t *testing.T) {
		got, err := schema.Decode(msg.Subject, headerOf(msg.Header), msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		if !sameEvent(got, ev) {
			t.Errorf("Decode = %+v, want %+v", got, ev)
		}
	})

	t.Run("PlainMessage", func(t *testing.T) {
		// A plain NATS client publishes the JSON alone, with no headers.
		got, err := schema.Decode("coalition.paris-2015.DEU.pledge", func(string) string { return "" }, g.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if !sameEvent(got, ev) {
			t.Errorf("Decode = %+v, want %+v", got, ev)
		}
	})

	t.Run("OptionalAttributes", func(t *testing.T) {
		// ce-time, ce-subject and ce-dataschema are optional in CloudEvents;
		// a producer may leave them out, or give the time in another zone,
		// and the charset parameter of the content type.
		h := maps.Clone(msg.Header)
		delete(h, "ce-subject")
		delete(h, "ce-dataschema")
		h["ce-time"] = ev.OccurredAt.In(time.FixedZone("CET", 3600)).Format(time.RFC3339)
		h["Content-Type"] = "application/json; charset=utf-8"
		if _, err := schema.Decode(msg.Subject, headerOf(h), msg.Data); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("PlainWithMsgID", func(t *testing.T) {
		h := map[string]string{"Nats-Msg-Id": ev.ID.String()}
		if _, err := schema.Decode(msg.Subject, headerOf(h), g.Raw); err != nil {
			t.Fatal(err)
		}
	})

	tests := []struct {
		name    string
		subject string
		header  func(h map[string]string)
		paths   []string
	}{
		{"ErrWrongSubject", "coalition.paris-2015.FRA.pledge", nil, []string{"subject"}},
		{"ErrOtherCoalition", "coalition.anti-isil.DEU.pledge", nil, []string{"subject"}},
		{"ErrWrongKindInSubject", "coalition.paris-2015.DEU.deployment", nil, []string{"subject"}},
		{"ErrStreamFilterAsSubject", schema.StreamSubjects, nil, []string{"subject"}},
		{"ErrCEIDMismatch", "", func(h map[string]string) { h["ce-id"] = other }, []string{"ce-id"}},
		{"ErrCEIDMissing", "", func(h map[string]string) { delete(h, "ce-id") }, []string{"ce-id"}},
		{"ErrCETypeMismatch", "", func(h map[string]string) { h["ce-type"] = "dev.coalition.statement.v1" }, []string{"ce-type"}},
		{"ErrCETypeVersion", "", func(h map[string]string) { h["ce-type"] = "dev.coalition.pledge.v2" }, []string{"ce-type"}},
		{"ErrCETypeMissing", "", func(h map[string]string) { delete(h, "ce-type") }, []string{"ce-type"}},
		{"ErrSpecVersion", "", func(h map[string]string) { h["ce-specversion"] = "0.3" }, []string{"ce-specversion"}},
		{"ErrMsgIDMismatch", "", func(h map[string]string) { h["Nats-Msg-Id"] = other }, []string{"Nats-Msg-Id"}},
		{"ErrMissingSource", "", func(h map[string]string) { delete(h, "ce-source") }, []string{"ce-source"}},
		{"ErrCETimeMismatch", "", func(h map[string]string) { h["ce-time"] = "2015-11-26T00:00:00Z" }, []string{"ce-time"}},
		{"ErrCETimeMalformed", "", func(h map[string]string) { h["ce-time"] = "yesterday" }, []string{"ce-time"}},
		{"ErrCESubjectMismatch", "", func(h map[string]string) { h["ce-subject"] = "FRA" }, []string{"ce-subject"}},
		{"ErrCEDataSchemaMismatch", "", func(h map[string]string) { h["ce-dataschema"] = schema.DataSchema(schema.KindStatement) }, []string{"ce-dataschema"}},
		{"ErrContentType", "", func(h map[string]string) { h["Content-Type"] = "text/plain" }, []string{"Content-Type"}},
		{"ErrEverything", "coalition.paris-2015.FRA.pledge", func(h map[string]string) {
			h["ce-specversion"] = "1.1"
			h["ce-id"] = other
			h["ce-type"] = "dev.coalition.statement.v1"
			delete(h, "ce-source")
			h["Nats-Msg-Id"] = other
		}, []string{"subject", "ce-specversion", "ce-id", "ce-type", "ce-source", "Nats-Msg-Id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject := msg.Subject
			if tt.subject != "" {
				subject = tt.subject
			}
			h := maps.Clone(msg.Header)
			if tt.header != nil {
				tt.header(h)
			}
			_, err := schema.Decode(subject, headerOf(h), msg.Data)
			if err == nil {
				t.Fatal("Decode accepted the message")
			}
			if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q", got, want)
			}
			if got, want := problemPaths(err), tt.paths; !slices.Equal(got, want) {
				t.Errorf("problem paths = %q, want %q (err: %v)", got, want, err)
			}
		})
	}

	t.Run("ErrCorrectionWithBareID", func(t *testing.T) {
		// Putin's statement is revision 1: its Nats-Msg-Id must say so, or
		// JetStream would drop it as a duplicate of the original.
		correction := mustParse(t, validEventsOf(t, schema.KindStatement)[2].Raw)
		if correction.Revision == 0 {
			t.Fatal("test setup: want a correction")
		}
		m := mustEncode(t, &correction)
		h := maps.Clone(m.Header)
		h["Nats-Msg-Id"] = correction.ID.String()
		_, err := schema.Decode(m.Subject, headerOf(h), m.Data)
		if got, want := problemPaths(err), []string{"Nats-Msg-Id"}; !slices.Equal(got, want) {
			t.Errorf("problem paths = %q, want %q (err: %v)", got, want, err)
		}
	})

	t.Run("ErrInvalidData", func(t *testing.T) {
		data := []byte(`{"kind":"pledge"}`)
		_, err := schema.Decode(msg.Subject, headerOf(msg.Header), data)
		if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
			t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, want, err)
		}
		if !hasPath(err, "coalition") || !hasPath(err, "pledge") {
			t.Errorf("problems %q, want coalition and pledge among them", problemPaths(err))
		}
	})

	t.Run("ErrIncompleteData", func(t *testing.T) {
		// ParseEvent lets a producer leave id and reported_at out; on the
		// wire, an event must be complete.
		obj := jsonObject(t, g.Raw)
		delete(obj, "id")
		delete(obj, "reported_at")
		_, err := schema.Decode(msg.Subject, func(string) string { return "" }, marshal(t, obj))
		if got, want := problemPaths(err), []string{"id", "reported_at"}; !slices.Equal(got, want) {
			t.Errorf("problem paths = %q, want %q (err: %v)", got, want, err)
		}
	})
}

// FuzzDecode feeds Decode arbitrary messages. It must never panic, must
// reject only with code EINVALID, and whatever it accepts must be an event
// that Encode puts back on the same subject and Decode reads back equal.
func FuzzDecode(f *testing.F) {
	for _, g := range validEvents(f) {
		ev := mustParse(f, g.Raw)
		msg := mustEncode(f, &ev)
		h := msg.Header
		f.Add(msg.Subject, h["ce-specversion"], h["ce-id"], h["ce-type"], h["ce-source"], h["Nats-Msg-Id"], msg.Data)
		f.Add(msg.Subject, "", "", "", "", "", g.Raw)
		f.Add(msg.Subject, "1.0", h["ce-id"], "dev.coalition.meeting.v1", "", "x", g.Raw)
	}
	f.Add("coalition.paris-2015.DEU.pledge", "", "", "", "", "", []byte(`{"kind":"pledge"}`))
	f.Add("", "", "", "", "", "", []byte(`[]`))
	f.Fuzz(func(t *testing.T, subject, specversion, id, typ, source, msgID string, data []byte) {
		h := map[string]string{
			"ce-specversion": specversion,
			"ce-id":          id,
			"ce-type":        typ,
			"ce-source":      source,
			"Nats-Msg-Id":    msgID,
		}
		checkDecode(t, subject, h, data)
	})
}

// checkDecode is FuzzDecode's property: Decode rejects only with EINVALID,
// and what it accepts goes back on the wire unchanged.
func checkDecode(t *testing.T, subject string, h map[string]string, data []byte) bool {
	t.Helper()
	ev, err := schema.Decode(subject, headerOf(h), data)
	if err != nil {
		if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
			t.Errorf("Decode(%q) error code = %q, want %q (err: %v)", data, got, want, err)
		}
		return false
	}
	msg, err := schema.Encode(&ev, h["ce-source"])
	if err != nil {
		t.Fatalf("Decode accepted %q but Encode fails: %v", data, err)
	}
	if msg.Subject != subject {
		t.Errorf("Encode subject = %q, want the one Decode accepted, %q", msg.Subject, subject)
	}
	got, err := schema.Decode(msg.Subject, headerOf(msg.Header), msg.Data)
	if err != nil {
		t.Fatalf("Decode(Encode(Decode(%q))): %v", data, err)
	}
	if !sameEvent(got, ev) {
		t.Errorf("round trip changed the event:\n got %+v\nwant %+v", got, ev)
	}
	return true
}

// TestDecodeMutations runs FuzzDecode's property over byte-level mutations
// of the golden events (fixed seed), which reach valid-but-unusual events
// far more often than blind fuzzing does.
func TestDecodeMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(2015, 1203))
	alphabet := []byte("0123456789.-+:eEZTtz\"{}[],_ aAXé\\")
	var accepted, total int
	for _, g := range validEvents(t) {
		ev := mustParse(t, g.Raw)
		msg := mustEncode(t, &ev)
		for range 500 {
			data := slices.Clone(msg.Data)
			for range 1 + r.IntN(2) {
				i := r.IntN(len(data))
				switch r.IntN(3) {
				case 0:
					data[i] = alphabet[r.IntN(len(alphabet))]
				case 1:
					data = slices.Delete(data, i, i+1)
				default:
					data = slices.Insert(data, i, alphabet[r.IntN(len(alphabet))])
				}
			}
			total++
			if checkDecode(t, msg.Subject, msg.Header, data) {
				accepted++
			}
		}
	}
	t.Logf("Decode accepted %d of %d mutated messages", accepted, total)
	if accepted == 0 {
		t.Error("no mutation was accepted; the mutations are too coarse to test anything")
	}
}
