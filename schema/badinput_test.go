package schema_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// deleteField, as a value in edited's changes, removes the field.
var deleteField = &struct{}{}

// edited returns a golden event on one line with fields changed: each key is
// a dotted path (pledge.quantity), each value the new value or deleteField.
func edited(tb testing.TB, raw []byte, changes map[string]any) string {
	tb.Helper()
	obj := jsonObject(tb, raw)
	for path, v := range changes {
		parts := strings.Split(path, ".")
		m := obj
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				tb.Fatalf("edited: %s is not an object", p)
			}
			m = next
		}
		if v == deleteField {
			delete(m, parts[len(parts)-1])
		} else {
			m[parts[len(parts)-1]] = v
		}
	}
	return string(marshal(tb, obj))
}

// intake reads NDJSON as the HTTP API and the publish command do: every line
// through ParseEvent (by ReadNDJSON) and CheckTimes at now. It returns the
// problems of the bad lines (Problem.String, with line numbers) and the
// anomalies of the good ones as of now.
func intake(tb testing.TB, ndjson string, now time.Time) ([]string, []schema.Anomaly) {
	tb.Helper()
	var problems []string
	var good []schema.Event
	err := schema.ReadNDJSON(strings.NewReader(ndjson), func(line int, ev schema.Event, err error) error {
		if err == nil {
			err = schema.CheckTimes(&ev, now)
		}
		if err != nil {
			var e *schema.Error
			if !errors.As(err, &e) || e.Code != schema.EINVALID {
				tb.Fatalf("line %d: error %v, want an *Error with code %q", line, err, schema.EINVALID)
			}
			for _, p := range e.Problems {
				if p.Line == 0 {
					p.Line = line
				}
				problems = append(problems, p.String())
			}
			return nil
		}
		good = append(good, ev)
		return nil
	})
	if err != nil {
		tb.Fatalf("ReadNDJSON: %v", err)
	}
	_, anomalies := schema.FoldCommitments(good, now)
	return problems, anomalies
}

// TestBadInput walks the list of bad input: size limits on events
// and NDJSON lines; depth and length limits in JSON; unknown fields
// rejected with their path; unknown countries, negative quantities, times
// far in the future and deliveries on unknown commitments. Each gets the
// exact problem (an error, by line and path) or anomaly (recorded, the
// event kept) written here. The HTTP body limit is httpapi's to test.
func TestBadInput(t *testing.T) {
	now := time.Date(2016, 3, 1, 12, 0, 0, 0, time.UTC)
	pledge := validEventsOf(t, schema.KindPledge)[1].Raw         // DEU, 650 soldiers for Mali
	deployment := validEventsOf(t, schema.KindDeployment)[1].Raw // DEU, 2 Tornados on DEU-tornado-recon
	tornados := validEventsOf(t, schema.KindPledge)[2].Raw       // DEU, the pledge of DEU-tornado-recon
	withdrawal := validEventsOf(t, schema.KindWithdrawal)[0].Raw // CAN ends its CF-18 strikes
	meeting := validEventsOf(t, schema.KindMeeting)[0].Raw
	incident := validEventsOf(t, schema.KindIncident)[0].Raw
	unknownCountry := func(path, code, example string) string {
		return path + `: unknown country code "` + code + `": want an ISO 3166-1 alpha-3 code such as ` + example
	}
	long := func(n int) string { return strings.Repeat("x", n) }

	tests := []struct {
		name      string
		lines     []string
		want      []string         // problems, Problem.String
		anomalies []schema.Anomaly // recorded for the good lines
	}{
		{name: "Valid", lines: []string{compact(t, tornados), compact(t, deployment)}},

		// Size limits on events and NDJSON lines.
		{name: "LineTooLong",
			lines: []string{"{" + strings.Repeat(" ", schema.MaxLineBytes) + compact(t, pledge)[1:], compact(t, tornados)},
			want:  []string{"line 1: line longer than 65536 bytes"}},

		// Depth and length limits in JSON.
		{name: "NestedTooDeep",
			lines: []string{strings.Replace(compact(t, pledge), `"asset":"troops"`, `"asset":[[[[[[["troops"]]]]]]]`, 1)},
			want:  []string{"line 1: pledge.asset[0][0][0][0][0][0]: nested deeper than 8 levels"}},
		{name: "StringTooLong",
			lines: []string{edited(t, pledge, map[string]any{"summary": long(schema.MaxStringBytes + 1)})},
			want:  []string{"line 1: summary: string longer than 4096 bytes"}},
		{name: "TextTooLong", // under the JSON limit, over the field's
			lines: []string{edited(t, pledge, map[string]any{"summary": long(schema.MaxTextChars + 1)})},
			want:  []string{"line 1: summary: longer than 1000 characters (1001)"}},
		{name: "ArrayTooLong",
			lines: []string{edited(t, meeting, map[string]any{"meeting.participants": repeatStrings(schema.MaxArrayLen+1, "FRA")})},
			want:  []string{"line 1: meeting.participants: array longer than 256 elements"}},
		{name: "TooManyFields",
			lines: []string{strings.Replace(compact(t, pledge), `"pledge":{`, `"pledge":`+strings.TrimSuffix(jsonFields(schema.MaxObjectKeys, false), "}")+",", 1)},
			want:  []string{"line 1: pledge: more than 64 fields in one object"}},
		{name: "NumberTooLong",
			lines: []string{strings.Replace(compact(t, pledge), `"quantity":650`, `"quantity":650.`+strings.Repeat("0", 64), 1)},
			want:  []string{"line 1: pledge.quantity: number longer than 64 characters"}},

		// Unknown fields rejected with their path.
		{name: "UnknownField",
			lines: []string{edited(t, pledge, map[string]any{"colour": "blue"}), compact(t, tornados), edited(t, pledge, map[string]any{"pledge.colour": "blue"})},
			want:  []string{"line 1: colour: unknown field", "line 3: pledge.colour: unknown field"}},

		// Unknown countries.
		{name: "UnknownCountry",
			lines: []string{
				edited(t, pledge, map[string]any{"actor": "XYZ"}),
				edited(t, pledge, map[string]any{"counterpart": "XYZ"}),
				edited(t, pledge, map[string]any{"pledge.destination": "XYZ"}),
				edited(t, meeting, map[string]any{"meeting.participants": []string{"FRA", "XYZ"}}),
				edited(t, pledge, map[string]any{"actor": "deu"}),
			},
			want: []string{
				"line 1: " + unknownCountry("actor", "XYZ", "FRA"),
				"line 2: " + unknownCountry("counterpart", "XYZ", "FRA"),
				"line 3: " + unknownCountry("pledge.destination", "XYZ", "MLI"),
				"line 4: " + unknownCountry("meeting.participants[1]", "XYZ", "FRA"),
				"line 5: " + unknownCountry("actor", "deu", "FRA"),
			}},

		// Negative quantities.
		{name: "NegativeQuantity",
			lines: []string{
				edited(t, pledge, map[string]any{"pledge.quantity": -650}),
				edited(t, deployment, map[string]any{"deployment.quantity": -2}),
				edited(t, pledge, map[string]any{"pledge.quantity": deleteField, "pledge.unit": deleteField, "pledge.amount": -1e6, "pledge.currency": "EUR"}),
				edited(t, incident, map[string]any{"incident.fatalities": -1}),
			},
			want: []string{
				"line 1: pledge.quantity: must be between 0 and 1e12, got -650",
				"line 2: deployment.quantity: must be between 0 and 1e12, got -2",
				"line 3: pledge.amount: must be between 0 and 1e12, got -1e+06",
				"line 4: incident.fatalities: must be >= 0",
			}},

		// Times far in the future.
		{name: "ReportedInTheFuture",
			lines: []string{
				edited(t, pledge, map[string]any{"reported_at": "2016-03-02T12:00:01Z"}),
				edited(t, pledge, map[string]any{"reported_at": "2016-03-02T12:00:00Z"}), // just inside the day's slack
			},
			want: []string{"line 1: reported_at: 2016-03-02T12:00:01Z is more than 24 hours after now (2016-03-01T12:00:00Z): an event cannot be reported in the future"}},
		{name: "OccurredFarAhead",
			lines: []string{
				edited(t, pledge, map[string]any{"occurred_at": "2025-11-25T17:00:01Z"}),
				edited(t, pledge, map[string]any{"occurred_at": "2025-11-25T17:00:00Z"}), // scheduled, 10 years ahead
				edited(t, pledge, map[string]any{"occurred_at": "2026-03-01T12:00:01Z", "reported_at": deleteField}),
			},
			want: []string{
				"line 1: occurred_at: 2025-11-25T17:00:01Z is more than 10 years after reported_at (2015-11-25T17:00:00Z): an event may be reported before it happens, not that long before",
				// Without reported_at, the producer's now stands for it.
				"line 3: occurred_at: 2026-03-01T12:00:01Z is more than 10 years after reported_at (2016-03-01T12:00:00Z): an event may be reported before it happens, not that long before",
			}},

		// Deliveries on unknown commitments: recorded, not rejected.
		{name: "DeliveryOnUnknownCommitment",
			lines: []string{compact(t, deployment), compact(t, withdrawal)},
			anomalies: []schema.Anomaly{
				{Kind: schema.AnomalyUnknownCommitment, Country: "DEU", CommitmentID: "DEU-tornado-recon", EventID: "01518cd5-ca80-70bf-a115-c6171df61137"},
				{Kind: schema.AnomalyUnknownCommitment, Country: "CAN", CommitmentID: "CAN-cf18-strikes", EventID: "0152c278-2600-78a4-b285-6a0530191c7d"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, anomalies := intake(t, strings.Join(tt.lines, "\n")+"\n", now)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
			schema.SortAnomalies(tt.anomalies)
			if !reflect.DeepEqual(anomalies, tt.anomalies) {
				t.Errorf("anomalies:\n got %+v\nwant %+v", anomalies, tt.anomalies)
			}
		})
	}
}
