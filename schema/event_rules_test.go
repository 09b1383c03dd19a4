package schema_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
	"github.com/google/uuid"
)

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
