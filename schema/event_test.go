package schema_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
	"github.com/google/uuid"
)

// TestParseEventValid checks every golden event in testdata/valid: it parses,
// validates, and survives the wire (Encode, then Decode) unchanged.
func TestParseEventValid(t *testing.T) {
	for _, g := range validEvents(t) {
		t.Run(g.Name, func(t *testing.T) {
			ev, err := schema.ParseEvent(g.Raw)
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			if got, want := ev.Kind, g.Kind; got != want {
				t.Errorf("Kind = %q, want %q (the file's kind)", got, want)
			}
			if err := ev.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}

			msg, err := schema.Encode(&ev, "/producers/test")
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got, err := schema.Decode(msg.Subject, headerOf(msg.Header), msg.Data)
			if err != nil {
				t.Fatalf("Decode(Encode(ev)): %v", err)
			}
			if !reflect.DeepEqual(got, ev) {
				t.Errorf("Decode(Encode(ev)) = %+v, want %+v", got, ev)
			}

			// The wire data says what the golden file says: no field lost,
			// renamed or added on the way.
			if got, want := jsonObject(t, msg.Data), jsonObject(t, g.Raw); !reflect.DeepEqual(got, want) {
				t.Errorf("Encode data = %s, want the golden document %s", msg.Data, g.Raw)
			}

			// Encoding is stable: the decoded event encodes to the same bytes.
			again := mustEncode(t, &got)
			if !bytes.Equal(again.Data, msg.Data) {
				t.Errorf("second Encode = %s, want %s", again.Data, msg.Data)
			}
		})
	}
}

// TestGoldenCoverage makes sure the golden events exercise every field of
// the contract, so that the round trip in TestParseEventValid covers them
// all and a field lost by Encode or Decode cannot go unnoticed.
func TestGoldenCoverage(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range validEvents(t) {
		for k, v := range jsonObject(t, g.Raw) {
			seen[k] = true
			if obj, ok := v.(map[string]any); ok {
				for pk := range obj {
					seen[k+"."+pk] = true
				}
			}
		}
	}
	for _, path := range contractPaths(t) {
		if !seen[path] {
			t.Errorf("no golden event in testdata/valid sets %s", path)
		}
	}
	for _, k := range schema.Kinds {
		t.Run(string(k), func(t *testing.T) {
			validEventsOf(t, k)
		})
	}
}

// contractPaths returns every field of Event and its payloads by JSON path
// ("coalition", "pledge.quantity"), from the Go types.
func contractPaths(tb testing.TB) []string {
	tb.Helper()
	var out []string
	common, payloads := eventFields(tb)
	out = append(out, common...)
	for name, typ := range objectFields(tb) {
		for _, tag := range jsonTags(typ) {
			out = append(out, name+"."+tag)
		}
	}
	for k, typ := range payloads {
		out = append(out, string(k))
		for _, tag := range jsonTags(typ) {
			out = append(out, string(k)+"."+tag)
		}
	}
	slices.Sort(out)
	return out
}

// invalidCases lists every testdata/invalid/<name>.json with the field paths
// its problems must carry, in the order ParseEvent returns them. The exact
// messages are in <name>.golden.
var invalidCases = []struct {
	name  string
	paths []string
}{
	{"unknown-field-top", []string{"colour"}},
	{"unknown-field-payload", []string{"pledge.colour"}},
	{"unknown-country-actor", []string{"actor"}},
	{"unknown-country-counterpart", []string{"counterpart"}},
	{"unknown-country-destination", []string{"pledge.destination"}},
	{"unknown-country-participant", []string{"meeting.participants[2]"}},
	{"lower-case-country", []string{"actor"}},
	{"lower-case-participant", []string{"meeting.participants[1]"}},
	{"participant-twice", []string{"meeting.participants"}},
	{"coalition-dot", []string{"coalition"}},
	{"coalition-star", []string{"coalition"}},
	{"coalition-gt", []string{"coalition"}},
	{"coalition-space", []string{"coalition"}},
	{"coalition-upper", []string{"coalition"}},
	{"missing-required", []string{"actor", "coalition", "occurred_at", "pledge.asset", "source"}},
	{"missing-kind", []string{"kind"}},
	{"unknown-kind", []string{"kind"}},
	{"kind-payload-mismatch", []string{"pledge", "statement"}},
	{"two-payloads", []string{"statement"}},
	{"payload-null", []string{"pledge"}},
	{"quantity-and-amount", []string{"pledge"}},
	{"unit-without-quantity", []string{"pledge.quantity"}},
	{"quantity-without-unit", []string{"pledge.unit"}},
	{"negative-quantity", []string{"pledge.quantity"}},
	{"quantity-string", []string{"pledge.quantity"}},
	{"currency-lower-case", []string{"pledge.currency"}},
	{"commitment-id-space", []string{"pledge.commitment_id"}},
	{"stance-3", []string{"statement.stance"}},
	{"incident-severity-0", []string{"incident.severity"}},
	{"incident-fatalities-negative", []string{"incident.fatalities"}},
	{"sanction-without-counterpart", []string{"counterpart"}},
	{"counterpart-equals-actor", []string{"counterpart"}},
	{"deployment-neither", []string{"deployment"}},
	{"deployment-complete-false", []string{"deployment"}},
	{"source-ftp", []string{"source"}},
	{"source-relative", []string{"source"}},
	{"confidence-1.5", []string{"confidence"}},
	{"year-1800", []string{"occurred_at"}},
	{"bad-time", []string{"occurred_at"}},
	{"leap-second", []string{"occurred_at"}},
	{"time-lower-case", []string{"occurred_at"}},
	{"revision-too-big", []string{"revision"}},
	{"bad-id", []string{"id"}},
	{"several-go-rules", []string{"actor", "occurred_at", "pledge.destination"}},
	{"pledge-stage-unknown", []string{"pledge.stage"}},
	{"pledge-deadline-date-only", []string{"pledge.deadline"}},
	{"pledge-deadline-year-1816", []string{"pledge.deadline"}},
	{"retraction-revision-0", []string{"revision"}},
	{"retraction-without-revision", []string{"revision"}},
	{"not-retracted-without-payload", []string{"statement"}},
	{"retraction-wrong-payload", []string{"pledge"}},
	{"not-an-object", []string{""}},
	{"invalid-json", []string{""}},
	{"empty", []string{""}},
	{"occurred-too-far-ahead", []string{"occurred_at"}},
	{"nested-too-deep", []string{"pledge.asset[0][0][0][0][0][0]"}},
	{"string-too-long", []string{"summary"}},
	{"array-too-long", []string{"meeting.participants"}},
	{"too-many-fields", []string{"pledge"}},
	{"number-too-long", []string{"pledge.quantity"}},
	{"gdelt-bad", []string{"gdelt.avg_tone", "gdelt.event_code", "gdelt.global_event_id"}},
}

// TestParseEventInvalid checks each document in testdata/invalid: ParseEvent
// rejects it with code EINVALID, its problems point at the listed fields, and
// their text is the golden file's, line for line.
func TestParseEventInvalid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range invalidCases {
		listed[tc.name] = true
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !listed[name] {
			t.Errorf("%s has no entry in invalidCases", f)
		}
	}

	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join("testdata", "invalid", tc.name)
			data, err := os.ReadFile(base + ".json")
			if err != nil {
				t.Fatal(err)
			}
			_, err = schema.ParseEvent(data)
			if err == nil {
				t.Fatal("ParseEvent accepted the document")
			}
			if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q (err: %v)", got, want, err)
			}
			checkGolden(t, base+".golden", []byte(problemLines(err)))
			if got, want := problemPaths(err), tc.paths; !slices.Equal(got, want) {
				t.Errorf("problem paths = %q, want %q\nproblems:\n%s", got, want, problemLines(err))
			}
			for _, p := range schema.ErrorProblems(err) {
				if p.Message == "" {
					t.Errorf("problem at %q has no message", p.Path)
				}
				if p.Line != 0 {
					t.Errorf("problem %q has line %d, want 0 outside NDJSON", p, p.Line)
				}
			}
		})
	}
}

// TestParseEventSize checks the MaxEventBytes limit at its edge: a valid
// event padded to exactly the limit parses, one byte more does not.
func TestParseEventSize(t *testing.T) {
	raw := validEventsOf(t, schema.KindPledge)[0].Raw
	pad := func(n int) []byte {
		// Whitespace after the opening brace keeps the document valid.
		return slices.Concat([]byte("{"), bytes.Repeat([]byte(" "), n-len(raw)), raw[1:])
	}

	t.Run("AtLimit", func(t *testing.T) {
		data := pad(schema.MaxEventBytes)
		if got, want := len(data), schema.MaxEventBytes; got != want {
			t.Fatalf("len = %d, want %d", got, want)
		}
		if _, err := schema.ParseEvent(data); err != nil {
			t.Errorf("ParseEvent(%d bytes): %v", len(data), err)
		}
	})
	t.Run("OverLimit", func(t *testing.T) {
		data := pad(schema.MaxEventBytes + 1)
		_, err := schema.ParseEvent(data)
		if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
			t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, want, err)
		}
		want := "event is 65537 bytes, more than the limit of 65536\n"
		if got := problemLines(err); got != want {
			t.Errorf("problems = %q, want %q", got, want)
		}
	})
}

// TestNormalize checks that a producer may leave out id and reported_at:
// ParseEvent accepts the event, Validate does not until Normalize fills them.
func TestNormalize(t *testing.T) {
	obj := jsonObject(t, validEventsOf(t, schema.KindPledge)[0].Raw)
	delete(obj, "id")
	delete(obj, "reported_at")
	obj["occurred_at"] = "2015-11-23T11:30:00+01:00" // Paris time
	ev := mustParse(t, marshal(t, obj))

	if got, want := problemPaths(ev.Validate()), []string{"id", "reported_at"}; !slices.Equal(got, want) {
		t.Fatalf("Validate before Normalize: paths %q, want %q", got, want)
	}
	if _, err := schema.Encode(&ev, ""); schema.ErrorCode(err) != schema.EINVALID {
		t.Errorf("Encode before Normalize: err = %v, want code %q", err, schema.EINVALID)
	}

	now := time.Date(2015, 11, 23, 17, 0, 0, 0, time.FixedZone("CET", 3600))
	if err := ev.Normalize(now); err != nil {
		t.Fatal(err)
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("Validate after Normalize: %v", err)
	}
	if got, want := ev.ID.Version(), uuid.Version(7); got != want {
		t.Errorf("ID version = %d, want %d", got, want)
	}
	if got, want := ev.ReportedAt, now.UTC(); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("ReportedAt = %v, want %v in UTC", got, want)
	}
	if got, want := ev.OccurredAt, time.Date(2015, 11, 23, 10, 30, 0, 0, time.UTC); got != want {
		t.Errorf("OccurredAt = %v, want %v (converted to UTC)", got, want)
	}

	t.Run("KeepsGivenValues", func(t *testing.T) {
		id, reported := ev.ID, ev.ReportedAt
		if err := ev.Normalize(now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ev.ID != id {
			t.Errorf("ID = %s, want %s kept", ev.ID, id)
		}
		if !ev.ReportedAt.Equal(reported) {
			t.Errorf("ReportedAt = %v, want %v kept", ev.ReportedAt, reported)
		}
	})
	t.Run("DistinctIDs", func(t *testing.T) {
		var a, b schema.Event
		if err := a.Normalize(now); err != nil {
			t.Fatal(err)
		}
		if err := b.Normalize(now); err != nil {
			t.Fatal(err)
		}
		if a.ID == b.ID {
			t.Errorf("two Normalize calls made the same id %s", a.ID)
		}
	})
}

// TestValidate checks the Go rules on events built in Go, where no JSON
// Schema runs first. Each case breaks one rule of a valid event.
func TestValidate(t *testing.T) {
	base := func(t *testing.T, k schema.Kind) schema.Event {
		t.Helper()
		return mustParse(t, validEventsOf(t, k)[0].Raw)
	}
	tests := []struct {
		name   string
		kind   schema.Kind
		mutate func(*schema.Event)
		paths  []string
	}{
		{"Valid", schema.KindPledge, func(e *schema.Event) {}, nil},
		{"ErrNoID", schema.KindPledge, func(e *schema.Event) { e.ID = uuid.Nil }, []string{"id"}},
		{"ErrNoReportedAt", schema.KindPledge, func(e *schema.Event) { e.ReportedAt = time.Time{} }, []string{"reported_at"}},
		{"ErrNoOccurredAt", schema.KindPledge, func(e *schema.Event) { e.OccurredAt = time.Time{} }, []string{"occurred_at"}},
		{"ErrUnknownKind", schema.KindPledge, func(e *schema.Event) { e.Kind = "summit" }, []string{"kind"}},
		{"ErrBadCoalition", schema.KindPledge, func(e *schema.Event) { e.Coalition = "paris.2015" }, []string{"coalition"}},
		{"ErrCoalitionTooLong", schema.KindPledge, func(e *schema.Event) { e.Coalition = strings.Repeat("p", 64) }, []string{"coalition"}},
		{"CoalitionLongest", schema.KindPledge, func(e *schema.Event) { e.Coalition = strings.Repeat("p", 63) }, nil},
		{"ErrUnknownCountry", schema.KindPledge, func(e *schema.Event) { e.Actor = "XYZ" }, []string{"actor"}},
		{"ErrLowerCaseCountry", schema.KindPledge, func(e *schema.Event) { e.Actor = "deu" }, []string{"actor"}},
		{"ErrUnknownCounterpart", schema.KindPledge, func(e *schema.Event) { e.Counterpart = "XYZ" }, []string{"counterpart"}},
		{"ErrCounterpartIsActor", schema.KindPledge, func(e *schema.Event) { e.Counterpart = e.Actor }, []string{"counterpart"}},
		{"ErrYear1800", schema.KindPledge, func(e *schema.Event) { e.OccurredAt = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"occurred_at"}},
		{"ErrYear2200", schema.KindPledge, func(e *schema.Event) { e.ReportedAt = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"reported_at"}},
		{"Year2105", schema.KindPledge, func(e *schema.Event) { e.ReportedAt = time.Date(2105, 12, 31, 23, 59, 59, 0, time.UTC) }, nil},
		{"ErrYear2106", schema.KindPledge, func(e *schema.Event) { e.ReportedAt = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"reported_at"}},
		{"Year1970", schema.KindPledge, func(e *schema.Event) { e.OccurredAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }, nil},
		{"ErrYear1969", schema.KindPledge, func(e *schema.Event) { e.OccurredAt = time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC) }, []string{"occurred_at"}},
		{"ErrSourceFTP", schema.KindPledge, func(e *schema.Event) { e.Source = "ftp://example.org/a" }, []string{"source"}},
		{"ErrSourceRelative", schema.KindPledge, func(e *schema.Event) { e.Source = "/news/1" }, []string{"source"}},
		{"ErrSourceNoHost", schema.KindPledge, func(e *schema.Event) { e.Source = "https:///news/1" }, []string{"source"}},
		{"ErrSourcePortOnly", schema.KindPledge, func(e *schema.Event) { e.Source = "https://:443/news/1" }, []string{"source"}},
		{"ErrConfidenceAbove1", schema.KindPledge, func(e *schema.Event) { e.Confidence = ptr(1.5) }, []string{"confidence"}},
		{"ErrConfidenceNegative", schema.KindPledge, func(e *schema.Event) { e.Confidence = ptr(-0.1) }, []string{"confidence"}},
		{"ErrConfidenceNaN", schema.KindPledge, func(e *schema.Event) { e.Confidence = ptr(math.NaN()) }, []string{"confidence"}},
		{"ConfidenceZero", schema.KindPledge, func(e *schema.Event) { e.Confidence = ptr(0.0) }, nil},
		{"ErrNoPayload", schema.KindPledge, func(e *schema.Event) { e.Pledge = nil }, []string{"pledge"}},
		{"ErrSecondPayload", schema.KindPledge, func(e *schema.Event) { e.Statement = &schema.Statement{Stance: 1} }, []string{"statement"}},
		{"ErrQuantityAndAmount", schema.KindPledge, func(e *schema.Event) { e.Pledge.Amount, e.Pledge.Currency = ptr(1e6), "EUR" }, []string{"pledge"}},
		{"ErrUnitWithoutQuantity", schema.KindPledge, func(e *schema.Event) { e.Pledge.Quantity = nil }, []string{"pledge.quantity"}},
		{"ErrQuantityWithoutUnit", schema.KindPledge, func(e *schema.Event) { e.Pledge.Unit = "" }, []string{"pledge.unit"}},
		{"ErrNegativeQuantity", schema.KindPledge, func(e *schema.Event) { e.Pledge.Quantity = ptr(-1.0) }, []string{"pledge.quantity"}},
		{"ErrQuantityNaN", schema.KindPledge, func(e *schema.Event) { e.Pledge.Quantity = ptr(math.NaN()) }, []string{"pledge.quantity"}},
		{"ErrQuantityHuge", schema.KindPledge, func(e *schema.Event) { e.Pledge.Quantity = ptr(2e15) }, []string{"pledge.quantity"}},
		{"ErrBadCommitmentID", schema.KindPledge, func(e *schema.Event) { e.Pledge.CommitmentID = "-x" }, []string{"pledge.commitment_id"}},
		{"ErrUnknownCategory", schema.KindPledge, func(e *schema.Event) { e.Pledge.Category = "nuclear" }, []string{"pledge.category"}},
		{"ErrBadAsset", schema.KindPledge, func(e *schema.Event) { e.Pledge.Asset = "Air Base" }, []string{"pledge.asset"}},
		{"ErrUnknownDestination", schema.KindPledge, func(e *schema.Event) { e.Pledge.Destination = "XYZ" }, []string{"pledge.destination"}},
		{"ErrAmountWithoutCurrency", schema.KindPledge, func(e *schema.Event) {
			e.Pledge.Quantity, e.Pledge.Unit, e.Pledge.Amount = nil, "", ptr(1e6)
		}, []string{"pledge.currency"}},
		{"ErrCurrencyWithoutAmount", schema.KindPledge, func(e *schema.Event) {
			e.Pledge.Quantity, e.Pledge.Unit, e.Pledge.Currency = nil, "", "EUR"
		}, []string{"pledge.amount"}},
		{"Unquantified", schema.KindPledge, func(e *schema.Event) { e.Pledge.Quantity, e.Pledge.Unit = nil, "" }, nil},
		{"ErrUnknownParticipant", schema.KindMeeting, func(e *schema.Event) { e.Meeting.Participants[1] = "ZZZ" }, []string{"meeting.participants[1]"}},
		{"ErrStance3", schema.KindStatement, func(e *schema.Event) { e.Statement.Stance = 3 }, []string{"statement.stance"}},
		{"ErrStanceMinus3", schema.KindStatement, func(e *schema.Event) { e.Statement.Stance = -3 }, []string{"statement.stance"}},
		{"ErrDeploymentEmpty", schema.KindDeployment, func(e *schema.Event) { e.Deployment.Quantity, e.Deployment.Complete = nil, false }, []string{"deployment"}},
		{"ErrDeploymentNegative", schema.KindDeployment, func(e *schema.Event) { e.Deployment.Quantity = ptr(-2.0) }, []string{"deployment.quantity"}},
		{"ErrDeploymentCommitmentID", schema.KindDeployment, func(e *schema.Event) { e.Deployment.CommitmentID = "" }, []string{"deployment.commitment_id"}},
		{"ErrWithdrawalCommitmentID", schema.KindWithdrawal, func(e *schema.Event) { e.Withdrawal.CommitmentID = "a b" }, []string{"withdrawal.commitment_id"}},
		{"ErrSanctionNoMeasure", schema.KindSanction, func(e *schema.Event) { e.Sanction.Measure = "" }, []string{"sanction.measure"}},
		{"ErrSanctionNoCounterpart", schema.KindSanction, func(e *schema.Event) { e.Counterpart = "" }, []string{"counterpart"}},
		{"ErrIncidentNoCounterpart", schema.KindIncident, func(e *schema.Event) { e.Counterpart = "" }, []string{"counterpart"}},
		{"ErrSeverity0", schema.KindIncident, func(e *schema.Event) { e.Incident.Severity = 0 }, []string{"incident.severity"}},
		{"ErrSeverity6", schema.KindIncident, func(e *schema.Event) { e.Incident.Severity = 6 }, []string{"incident.severity"}},
		{"ErrIncidentType", schema.KindIncident, func(e *schema.Event) { e.Incident.Type = "Shoot down" }, []string{"incident.type"}},
		{"ErrFatalitiesNegative", schema.KindIncident, func(e *schema.Event) { e.Incident.Fatalities = -1 }, []string{"incident.fatalities"}},
		// Stages and deadlines.
		{"StageAnnounced", schema.KindPledge, func(e *schema.Event) { e.Pledge.Stage = schema.StageAnnounced }, nil},
		{"StageCommitted", schema.KindPledge, func(e *schema.Event) { e.Pledge.Stage = schema.StageCommitted }, nil},
		{"StageAllocated", schema.KindPledge, func(e *schema.Event) { e.Pledge.Stage = schema.StageAllocated }, nil},
		{"ErrStageUnknown", schema.KindPledge, func(e *schema.Event) { e.Pledge.Stage = "delivered" }, []string{"pledge.stage"}},
		{"ErrStageUpperCase", schema.KindPledge, func(e *schema.Event) { e.Pledge.Stage = "Committed" }, []string{"pledge.stage"}},
		{"Deadline", schema.KindPledge, func(e *schema.Event) { e.Pledge.Deadline = ptr(time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)) }, nil},
		{"Deadline1970", schema.KindPledge, func(e *schema.Event) { e.Pledge.Deadline = ptr(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)) }, nil},
		{"ErrDeadline1899", schema.KindPledge, func(e *schema.Event) { e.Pledge.Deadline = ptr(time.Date(1899, 12, 31, 23, 59, 59, 0, time.UTC)) }, []string{"pledge.deadline"}},
		{"ErrDeadline2200", schema.KindPledge, func(e *schema.Event) { e.Pledge.Deadline = ptr(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)) }, []string{"pledge.deadline"}},
		// Retractions: a revision of 1 or more, the payload may be left out
		// but no other kind's payload is allowed.
		{"Retraction", schema.KindPledge, func(e *schema.Event) { e.Revision, e.Retracted = 1, true }, nil},
		{"RetractionWithoutPayload", schema.KindPledge, func(e *schema.Event) { e.Revision, e.Retracted, e.Pledge = 1, true, nil }, nil},
		{"ErrRetractionRevision0", schema.KindPledge, func(e *schema.Event) { e.Revision, e.Retracted = 0, true }, []string{"revision"}},
		{"ErrRetractionOtherPayload", schema.KindPledge, func(e *schema.Event) {
			e.Revision, e.Retracted, e.Pledge, e.Statement = 1, true, nil, &schema.Statement{Stance: 1}
		}, []string{"statement"}},
		{"ErrRetractedSanctionNoCounterpart", schema.KindSanction, func(e *schema.Event) {
			e.Revision, e.Retracted, e.Sanction, e.Counterpart = 1, true, nil, ""
		}, []string{"counterpart"}},
		{"ErrRetractionPayloadStillChecked", schema.KindPledge, func(e *schema.Event) {
			e.Revision, e.Retracted, e.Pledge.Stage = 1, true, "done"
		}, []string{"pledge.stage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := base(t, tt.kind)
			tt.mutate(&ev)
			err := ev.Validate()
			if got, want := problemPaths(err), tt.paths; !slices.Equal(got, want) {
				t.Fatalf("Validate paths = %q, want %q (err: %v)", got, want, err)
			}
			if err == nil {
				return
			}
			if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q", got, want)
			}
			// Encode validates first: the same event must not reach the wire,
			// and the caller must learn it is the input's fault.
			if _, err := schema.Encode(&ev, "/producers/test"); schema.ErrorCode(err) != schema.EINVALID {
				t.Errorf("Encode: err = %v, want code %q", err, schema.EINVALID)
			}
		})
	}
}

// TestEncodeOnlyWhatDecodeAccepts checks the contract from the producer's
// side: whatever Encode lets onto the wire, Decode (which runs the JSON
// Schema) must accept on the other end. Each case is an event built in Go
// that is valid or nearly so; either Encode refuses it or Decode takes it.
func TestEncodeOnlyWhatDecodeAccepts(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name   string
		kind   schema.Kind
		mutate func(*schema.Event)
	}{
		{"SummaryAtLimit", schema.KindPledge, func(e *schema.Event) { e.Summary = long(1000) }},
		{"SummaryTooLong", schema.KindPledge, func(e *schema.Event) { e.Summary = long(1001) }},
		{"SourceTooLong", schema.KindPledge, func(e *schema.Event) { e.Source = "https://example.org/" + long(2100) }},
		{"SourceUpperCaseScheme", schema.KindPledge, func(e *schema.Event) { e.Source = "HTTPS://www.gov.uk/news" }},
		{"UnitUpperCase", schema.KindPledge, func(e *schema.Event) { e.Pledge.Unit = "Soldiers" }},
		{"UnitWithSpace", schema.KindPledge, func(e *schema.Event) { e.Pledge.Unit = "air base" }},
		{"UnitTooLong", schema.KindPledge, func(e *schema.Event) { e.Pledge.Unit = "u" + strings.Repeat("n", 32) }},
		{"UnitLongest", schema.KindPledge, func(e *schema.Event) { e.Pledge.Unit = "u" + strings.Repeat("n", 31) }},
		{"ParticipantTwice", schema.KindMeeting, func(e *schema.Event) { e.Meeting.Participants = []string{"USA", "USA"} }},
		{"TopicTooLong", schema.KindMeeting, func(e *schema.Event) { e.Meeting.Topic = long(1001) }},
		{"QuoteTooLong", schema.KindStatement, func(e *schema.Event) { e.Statement.Quote = long(1001) }},
		{"LocationTooLong", schema.KindDeployment, func(e *schema.Event) { e.Deployment.Location = long(1001) }},
		{"ReasonTooLong", schema.KindWithdrawal, func(e *schema.Event) { e.Withdrawal.Reason = long(1001) }},
		{"MeasureTooLong", schema.KindSanction, func(e *schema.Event) { e.Sanction.Measure = long(1001) }},
		{"DescriptionTooLong", schema.KindIncident, func(e *schema.Event) { e.Incident.Description = long(1001) }},
		{"OccurredAtOffset", schema.KindIncident, func(e *schema.Event) { e.OccurredAt = e.OccurredAt.In(time.FixedZone("EET", 2*3600)) }},
		{"OccurredAtNanos", schema.KindIncident, func(e *schema.Event) { e.OccurredAt = e.OccurredAt.Add(123456789) }},
		{"StageAllocated", schema.KindPledge, func(e *schema.Event) { e.Pledge.Stage = schema.StageAllocated }},
		{"StageUnknown", schema.KindPledge, func(e *schema.Event) { e.Pledge.Stage = "approved" }},
		{"DeadlineOffsetAndNanos", schema.KindPledge, func(e *schema.Event) {
			e.Pledge.Deadline = ptr(time.Date(2016, 12, 31, 23, 0, 0, 5, time.FixedZone("CET", 3600)))
		}},
		{"DeadlineYear1800", schema.KindPledge, func(e *schema.Event) { e.Pledge.Deadline = ptr(time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)) }},
		{"RetractionWithoutPayload", schema.KindPledge, func(e *schema.Event) { e.Revision, e.Retracted, e.Pledge = 1, true, nil }},
		{"RetractionWithPayload", schema.KindIncident, func(e *schema.Event) { e.Revision, e.Retracted = 3, true }},
		{"RetractionRevision0", schema.KindPledge, func(e *schema.Event) { e.Retracted, e.Pledge = true, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := mustParse(t, validEventsOf(t, tt.kind)[0].Raw)
			tt.mutate(&ev)
			msg, err := schema.Encode(&ev, "/producers/test")
			if err != nil {
				if schema.ErrorCode(err) != schema.EINVALID {
					t.Errorf("Encode: err = %v, want code %q", err, schema.EINVALID)
				}
				return
			}
			got, err := schema.Decode(msg.Subject, headerOf(msg.Header), msg.Data)
			if err != nil {
				t.Fatalf("Encode accepted the event but Decode rejects it: %v", err)
			}
			if !sameEvent(got, ev) {
				t.Errorf("Decode(Encode(ev)) = %+v, want %+v", got, ev)
			}
		})
	}
}

// TestStageRank checks the order of the stages: an empty stage is
// announced, an unknown one ranks 0.
func TestStageRank(t *testing.T) {
	tests := []struct {
		stage schema.Stage
		rank  int
	}{
		{"", 1},
		{schema.StageAnnounced, 1},
		{schema.StageCommitted, 2},
		{schema.StageAllocated, 3},
		{"Announced", 0},
		{"delivered", 0},
		{" committed", 0},
	}
	for _, tt := range tests {
		if got := tt.stage.Rank(); got != tt.rank {
			t.Errorf("Stage(%q).Rank() = %d, want %d", tt.stage, got, tt.rank)
		}
	}
	if got, want := schema.Stages, []schema.Stage{schema.StageAnnounced, schema.StageCommitted, schema.StageAllocated}; !slices.Equal(got, want) {
		t.Errorf("Stages = %q, want %q", got, want)
	}
	for i, st := range schema.Stages {
		if got := st.Rank(); got != i+1 {
			t.Errorf("Stages[%d] = %q has rank %d, want %d", i, st, got, i+1)
		}
	}
}

// TestGoldenLifecycleFields checks that the golden events hold what the
// lifecycle rules need, so that TestParseEventValid's round trip covers
// them: a pledge with a stage beyond announced and a deadline, and a
// retraction that leaves its payload out. It also checks that they parse to
// the values written, and come back from the wire unchanged.
func TestGoldenLifecycleFields(t *testing.T) {
	var staged, due, retraction bool
	for _, g := range validEvents(t) {
		ev := mustParse(t, g.Raw)
		raw := jsonObject(t, g.Raw)
		msg := mustEncode(t, &ev)
		back, err := schema.Decode(msg.Subject, headerOf(msg.Header), msg.Data)
		if err != nil {
			t.Fatalf("%s: Decode(Encode): %v", g.Name, err)
		}
		if p, ok := raw["pledge"].(map[string]any); ok {
			if st, ok := p["stage"]; ok {
				if got := string(ev.Pledge.Stage); got != st {
					t.Errorf("%s: Stage = %q, want %q", g.Name, got, st)
				}
				if back.Pledge.Stage != ev.Pledge.Stage {
					t.Errorf("%s: Stage after the wire = %q, want %q", g.Name, back.Pledge.Stage, ev.Pledge.Stage)
				}
				staged = staged || ev.Pledge.Stage.Rank() > 1
			}
			if d, ok := p["deadline"].(string); ok {
				want, err := time.Parse(time.RFC3339, d)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Pledge.Deadline == nil || !ev.Pledge.Deadline.Equal(want) {
					t.Errorf("%s: Deadline = %v, want %s", g.Name, ev.Pledge.Deadline, d)
				}
				if back.Pledge.Deadline == nil || !back.Pledge.Deadline.Equal(want) {
					t.Errorf("%s: Deadline after the wire = %v, want %s", g.Name, back.Pledge.Deadline, d)
				}
				due = true
			}
		}
		if raw["retracted"] == true {
			if !ev.Retracted || !back.Retracted {
				t.Errorf("%s: Retracted = %v, after the wire %v; want true", g.Name, ev.Retracted, back.Retracted)
			}
			if ev.Revision < 1 {
				t.Errorf("%s: a retraction with revision %d", g.Name, ev.Revision)
			}
			if _, hasPayload := raw[string(g.Kind)]; !hasPayload {
				retraction = true
				if id := back.CommitmentID(); id != "" {
					t.Errorf("%s: a retraction without payload has commitment id %q", g.Name, id)
				}
			}
		} else if ev.Retracted || back.Retracted {
			t.Errorf("%s: Retracted = %v, after the wire %v; want false", g.Name, ev.Retracted, back.Retracted)
		}
	}
	if !staged {
		t.Error("no golden pledge has a stage beyond announced")
	}
	if !due {
		t.Error("no golden pledge has a deadline")
	}
	if !retraction {
		t.Error("no golden event is a retraction without payload")
	}
}

// TestParseEventRetractedIsCommonField checks that "retracted", a field of
// every event, is never reported as an unknown field. JSON Schema drops
// event.json's annotations when a common field is invalid, and
// dropFalseUnknowns removes the resulting false "unknown field" reports of
// the common fields.
func TestParseEventRetractedIsCommonField(t *testing.T) {
	base := jsonObject(t, validEventsOf(t, schema.KindStatement)[2].Raw) // Putin, revision 1
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		paths  []string
	}{
		{"FalseWithBadCoalition", func(m map[string]any) { m["retracted"], m["coalition"] = false, "Paris" }, []string{"coalition"}},
		{"TrueWithBadCoalition", func(m map[string]any) { m["retracted"], m["coalition"] = true, "Paris" }, []string{"coalition"}},
		// "yes" is no retraction: the payload is required as well.
		{"NotBoolean", func(m map[string]any) { m["retracted"] = "yes"; delete(m, "statement") }, []string{"retracted", "statement"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := maps.Clone(base)
			tt.mutate(m)
			_, err := schema.ParseEvent(marshal(t, m))
			got := problemPaths(err)
			if slices.Equal(got, tt.paths) {
				return
			}
			t.Errorf("problem paths = %q, want %q\n%s", got, tt.paths, problemLines(err))
		})
	}
}

func pathsOf(ps []schema.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Path
	}
	return out
}

func TestKindValid(t *testing.T) {
	for _, k := range schema.Kinds {
		if !k.Valid() {
			t.Errorf("Kind(%q).Valid() = false, want true", k)
		}
	}
	for _, k := range []schema.Kind{"", "Pledge", "pledges", "summit", " pledge"} {
		if k.Valid() {
			t.Errorf("Kind(%q).Valid() = true, want false", k)
		}
	}
}

func TestCategoryValid(t *testing.T) {
	for _, c := range schema.Categories {
		if !c.Valid() {
			t.Errorf("Category(%q).Valid() = false, want true", c)
		}
	}
	for _, c := range []schema.Category{"", "Military", "nuclear"} {
		if c.Valid() {
			t.Errorf("Category(%q).Valid() = true, want false", c)
		}
	}
}

func TestStance(t *testing.T) {
	tests := []struct {
		stance schema.Stance
		valid  bool
		name   string
	}{
		{-3, false, "stance(-3)"},
		{schema.StanceOpposed, true, "opposed"},
		{schema.StanceSkeptical, true, "skeptical"},
		{schema.StanceNeutral, true, "neutral"},
		{schema.StanceSupportive, true, "supportive"},
		{schema.StanceStronglySupportive, true, "strongly_supportive"},
		{3, false, "stance(3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.stance.Valid(), tt.valid; got != want {
				t.Errorf("Stance(%d).Valid() = %v, want %v", int(tt.stance), got, want)
			}
			if got, want := tt.stance.String(), tt.name; got != want {
				t.Errorf("Stance(%d).String() = %q, want %q", int(tt.stance), got, want)
			}
		})
	}
	// The scale is five steps from -2 to +2: alert rules count steps on it.
	if got, want := int(schema.StanceStronglySupportive-schema.StanceOpposed), 4; got != want {
		t.Errorf("steps from opposed to strongly_supportive = %d, want %d", got, want)
	}
}

func TestPledgeMeasure(t *testing.T) {
	tests := []struct {
		name   string
		pledge schema.Pledge
		size   float64
		unit   string
	}{
		{"Quantity", schema.Pledge{Quantity: ptr(650.0), Unit: "soldiers"}, 650, "soldiers"},
		{"Amount", schema.Pledge{Amount: ptr(2.3e9), Currency: "EUR"}, 2.3e9, "EUR"},
		{"Unquantified", schema.Pledge{}, 0, ""},
		{"ZeroQuantity", schema.Pledge{Quantity: ptr(0.0), Unit: "ships"}, 0, "ships"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size, unit := tt.pledge.Measure()
			if size != tt.size || unit != tt.unit {
				t.Errorf("Measure() = %g, %q; want %g, %q", size, unit, tt.size, tt.unit)
			}
		})
	}
}

func TestEventCommitmentID(t *testing.T) {
	for _, g := range validEvents(t) {
		t.Run(g.Name, func(t *testing.T) {
			ev := mustParse(t, g.Raw)
			var want string
			switch ev.Kind {
			case schema.KindPledge:
				want = ev.Pledge.CommitmentID
			case schema.KindDeployment:
				want = ev.Deployment.CommitmentID
			case schema.KindWithdrawal:
				want = ev.Withdrawal.CommitmentID
			}
			if got := ev.CommitmentID(); got != want {
				t.Errorf("CommitmentID() = %q, want %q", got, want)
			}
			if want == "" && (ev.Kind == schema.KindPledge || ev.Kind == schema.KindDeployment || ev.Kind == schema.KindWithdrawal) {
				t.Errorf("golden %s has no commitment id", g.Name)
			}
		})
	}
}

func TestEventConfidenceOr1(t *testing.T) {
	var ev schema.Event
	if got, want := ev.ConfidenceOr1(), 1.0; got != want {
		t.Errorf("no confidence: ConfidenceOr1() = %g, want %g", got, want)
	}
	ev.Confidence = ptr(0.0)
	if got, want := ev.ConfidenceOr1(), 0.0; got != want {
		t.Errorf("confidence 0: ConfidenceOr1() = %g, want %g", got, want)
	}
	ev.Confidence = ptr(0.7)
	if got, want := ev.ConfidenceOr1(), 0.7; got != want {
		t.Errorf("confidence 0.7: ConfidenceOr1() = %g, want %g", got, want)
	}
}

// TestParseEventJSONNumbers checks that a number in exponent form is read
// as the number it is.
func TestParseEventJSONNumbers(t *testing.T) {
	obj := jsonObject(t, validEventsOf(t, schema.KindPledge)[0].Raw)
	obj["pledge"].(map[string]any)["quantity"] = json.Number("1e2")
	ev := mustParse(t, marshal(t, obj))
	if got, want := *ev.Pledge.Quantity, 100.0; got != want {
		t.Errorf("quantity 1e2 = %g, want %g", got, want)
	}
}
