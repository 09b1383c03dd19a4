package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	slugRE         = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	commitmentIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	tokenRE        = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	currencyRE     = regexp.MustCompile(`^[A-Z]{3}$`)
	unitRE         = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	// ClickHouse's DateTime holds 1970-01-01 .. 2106-02-07.
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ParseEvent decodes one JSON event document. It checks the document's size
// and shape against the limits (MaxEventBytes, then CheckLimits) before
// parsing it; a document past a limit gets that one problem. Then it checks
// the document against its kind's JSON Schema, decodes it strictly (unknown
// fields are errors) and applies the Go rules that a schema cannot express
// (country codes exist, payload matches kind, occurred_at at most
// MaxScheduleYears after reported_at). The id and reported_at may be
// missing: Normalize fills them. Every problem found is returned in one
// *Error with code EINVALID, each with its field path.
//
// Documents that are exactly the canonical JSON of a valid event (what
// Encode writes, and so what Coalition's producers send) take a fast path
// that skips the JSON Schema pass; FuzzParseEvent holds the two paths to
// the same answer.
func ParseEvent(data []byte) (Event, error) {
	ev, _, err := parseEvent(data)
	return ev, err
}

// parseEvent is ParseEvent, also returning the event's canonical JSON
// (data itself when data is canonical).
func parseEvent(data []byte) (Event, []byte, error) {
	if ev, ok := parseCanonical(data); ok {
		return ev, data, nil
	}
	ev, err := parseEventSlow(data)
	if err != nil {
		return ev, nil, err
	}
	canon, err := json.Marshal(&ev)
	if err != nil {
		return ev, nil, &Error{Code: EINVALID, Message: "invalid event", Problems: []Problem{{Message: "encode canonical JSON: " + err.Error()}}}
	}
	return ev, canon, nil
}

// parseCanonical is ParseEvent's fast path. It accepts data only if data is
// within the limits, decodes strictly into a valid Event (no problem by the
// Go rules) and is byte for byte that Event's canonical JSON, as
// json.Marshal writes it. Everything else goes the slow way, which
// explains what is wrong.
func parseCanonical(data []byte) (Event, bool) {
	var ev Event
	if len(data) < 2 || len(data) > MaxEventBytes || data[0] != '{' || data[1] != '"' {
		return ev, false
	}
	if !withinLimitsQuick(data) {
		return ev, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return Event{}, false
	}
	if len(ev.problems(false)) > 0 {
		return Event{}, false
	}
	canon, err := json.Marshal(&ev)
	if err != nil || !bytes.Equal(canon, data) {
		return Event{}, false
	}
	return ev, true
}

// parseEventSlow is ParseEvent without the fast path.
func parseEventSlow(data []byte) (Event, error) {
	var ev Event
	invalid := func(ps []Problem) (Event, error) {
		return ev, &Error{Code: EINVALID, Message: "invalid event", Problems: ps}
	}
	if len(data) > MaxEventBytes {
		return invalid([]Problem{{Message: fmt.Sprintf("event is %d bytes, more than the limit of %d", len(data), MaxEventBytes)}})
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return invalid([]Problem{{Message: "empty input: want a JSON object"}})
	}
	if p := limitProblem(data); p != nil {
		return invalid([]Problem{*p})
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return invalid([]Problem{{Message: "invalid JSON: " + err.Error()}})
	}
	schemaPs := validateSchema(doc)
	// Decode from the parsed document, with integral numbers written as
	// 2.0 or 2e0 turned into integers, as JSON Schema's "integer" allows.
	norm, err := json.Marshal(integralNumbers(doc))
	if err != nil {
		return invalid([]Problem{{Message: "invalid JSON: " + err.Error()}})
	}
	dec := json.NewDecoder(bytes.NewReader(norm))
	dec.DisallowUnknownFields()
	var goPs []Problem
	if err := dec.Decode(&ev); err != nil {
		if len(schemaPs) > 0 {
			// The schema located the trouble more precisely than the
			// decoder can (it names no parent path for unknown fields).
			return invalid(schemaPs)
		}
		goPs = []Problem{jsonDecodeProblem(err, doc)}
	} else {
		goPs = ev.problems(false)
	}
	if ps := mergeProblems(goPs, schemaPs); len(ps) > 0 {
		return invalid(ps)
	}
	return ev, nil
}

// mergeProblems returns the Go rules' problems and the schema's problems at
// other paths: where both found something, the Go message (which says what
// is wanted in words) is kept.
func mergeProblems(goPs, schemaPs []Problem) []Problem {
	seen := map[string]bool{}
	out := append([]Problem{}, goPs...)
	for _, p := range goPs {
		seen[p.Path] = true
	}
	for _, p := range schemaPs {
		if !seen[p.Path] {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return dedupProblems(out)
}

// integralNumbers rewrites numbers with an integral value below 2^53 (such
// as 2.0 or 6.5e2) as integers, recursively.
func integralNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = integralNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = integralNumbers(e)
		}
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return json.Number(strconv.FormatInt(int64(f), 10))
			}
		}
	}
	return v
}

// Normalize fills what a producer may leave out: a UUIDv7 id, and reported_at
// set to now. It also converts both times to UTC.
func (e *Event) Normalize(now time.Time) error {
	if e.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("make event id: %w", err)
		}
		e.ID = id
	}
	if e.ReportedAt.IsZero() {
		e.ReportedAt = now
	}
	e.OccurredAt = e.OccurredAt.UTC()
	e.ReportedAt = e.ReportedAt.UTC()
	return nil
}

// Validate checks every rule of the contract, including that the id and
// reported_at are set. It returns an *Error with code EINVALID listing every
// problem by field path, or nil.
func (e *Event) Validate() error {
	if ps := e.problems(true); len(ps) > 0 {
		return &Error{Code: EINVALID, Message: "invalid event", Problems: ps}
	}
	return nil
}

func (e *Event) problems(requireIdentity bool) []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if requireIdentity {
		if e.ID == uuid.Nil {
			add("id", "required")
		}
		if e.ReportedAt.IsZero() {
			add("reported_at", "required")
		}
	}
	switch {
	case e.Kind == "":
		add("kind", "required: one of %s", kindList())
	case !e.Kind.Valid():
		add("kind", "unknown kind %q: want one of %s", e.Kind, kindList())
	}
	if e.Coalition == "" {
		add("coalition", "required")
	} else if !slugRE.MatchString(e.Coalition) {
		add("coalition", "must be a slug of lower-case letters, digits and hyphens (at most 63), got %q", e.Coalition)
	}
	checkCountry := func(path, code string) {
		if code == "" {
			add(path, "required")
			return
		}
		if _, ok := LookupCountry(code); !ok {
			add(path, "unknown country code %q: want an ISO 3166-1 alpha-3 code such as FRA", code)
		}
	}
	checkCountry("actor", e.Actor)
	if e.Counterpart != "" {
		checkCountry("counterpart", e.Counterpart)
		if e.Counterpart == e.Actor {
			add("counterpart", "must differ from actor %s", e.Actor)
		}
	} else if e.Kind == KindSanction || e.Kind == KindIncident {
		add("counterpart", "required for a %s", e.Kind)
	}
	checkTime := func(path string, t time.Time) {
		if !t.IsZero() && (t.Before(minTime) || !t.Before(maxTime)) {
			add(path, "must be between 1970 and 2105, got %s", t.Format(time.RFC3339))
		}
	}
	if e.OccurredAt.IsZero() {
		add("occurred_at", "required")
	}
	checkTime("occurred_at", e.OccurredAt)
	checkTime("reported_at", e.ReportedAt)
	if p, ok := scheduleProblem(e.OccurredAt, e.ReportedAt); ok {
		ps = append(ps, p)
	}
	if e.Source == "" {
		add("source", "required")
	} else if u, err := url.Parse(e.Source); err != nil || !(strings.HasPrefix(e.Source, "http://") || strings.HasPrefix(e.Source, "https://")) || u.Hostname() == "" ||
		strings.Contains(u.Host, "%") { // an IPv6 zone id, which the schema's uri format refuses too
		add("source", "must be an absolute http(s) URL, got %q", e.Source)
	}
	if n := utf8.RuneCountInString(e.Source); n > MaxSourceChars {
		add("source", "longer than %d characters (%d)", MaxSourceChars, n)
	}
	checkText := func(path, s string) {
		if n := utf8.RuneCountInString(s); n > MaxTextChars {
			add(path, "longer than %d characters (%d)", MaxTextChars, n)
		}
	}
	checkText("summary", e.Summary)
	switch {
	case e.Meeting != nil:
		checkText("meeting.location", e.Meeting.Location)
		checkText("meeting.topic", e.Meeting.Topic)
	case e.Statement != nil:
		checkText("statement.quote", e.Statement.Quote)
	case e.Deployment != nil:
		checkText("deployment.location", e.Deployment.Location)
	case e.Withdrawal != nil:
		checkText("withdrawal.reason", e.Withdrawal.Reason)
	case e.Sanction != nil:
		checkText("sanction.measure", e.Sanction.Measure)
		checkText("sanction.sector", e.Sanction.Sector)
	case e.Incident != nil:
		checkText("incident.description", e.Incident.Description)
	}
	if c := e.Confidence; c != nil && !(*c >= 0 && *c <= 1) {
		add("confidence", "must be between 0 and 1, got %g", *c)
	}
	if e.GDELT != nil {
		ps = append(ps, e.GDELT.problems()...)
	}
	if e.Kind.Valid() {
		ps = append(ps, e.payloadProblems()...)
	}
	return ps
}

func (e *Event) payloadProblems() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	set := map[Kind]bool{
		KindMeeting: e.Meeting != nil, KindStatement: e.Statement != nil, KindPledge: e.Pledge != nil,
		KindDeployment: e.Deployment != nil, KindWithdrawal: e.Withdrawal != nil,
		KindSanction: e.Sanction != nil, KindIncident: e.Incident != nil,
	}
	if e.Retracted && e.Revision == 0 {
		add("revision", "a retraction is a revision of an earlier event: must be 1 or more")
	}
	for _, k := range Kinds {
		if k == e.Kind && !set[k] && !e.Retracted {
			add(string(k), "required for a %s", k)
		}
		if k != e.Kind && set[k] {
			add(string(k), "not allowed on a %s event", e.Kind)
		}
	}
	nonNeg := func(path string, v *float64) {
		if v != nil && !(*v >= 0 && *v <= 1e12) {
			add(path, "must be between 0 and 1e12, got %g", *v)
		}
	}
	switch {
	case e.Meeting != nil && e.Kind == KindMeeting:
		if len(e.Meeting.Participants) > MaxParticipants {
			add("meeting.participants", "more than %d participants", MaxParticipants)
		}
		seen := map[string]int{}
		for i, c := range e.Meeting.Participants {
			if _, ok := LookupCountry(c); !ok {
				add(fmt.Sprintf("meeting.participants[%d]", i), "unknown country code %q: want an ISO 3166-1 alpha-3 code such as FRA", c)
			}
			if j, dup := seen[c]; dup {
				add("meeting.participants", "%s listed twice, at [%d] and [%d]", c, j, i)
			}
			seen[c] = i
		}
	case e.Statement != nil && e.Kind == KindStatement:
		if !e.Statement.Stance.Valid() {
			add("statement.stance", "must be on the scale -2..2, got %d", e.Statement.Stance)
		}
	case e.Pledge != nil && e.Kind == KindPledge:
		p := e.Pledge
		if !commitmentIDRE.MatchString(p.CommitmentID) {
			add("pledge.commitment_id", "must be 1-128 letters, digits or . _ : - , got %q", p.CommitmentID)
		}
		if !p.Category.Valid() {
			add("pledge.category", "unknown category %q", p.Category)
		}
		if p.Stage.Rank() == 0 {
			add("pledge.stage", "unknown stage %q: want announced, committed or allocated", p.Stage)
		}
		if d := p.Deadline; d != nil && (d.Before(minTime) || !d.Before(maxTime)) {
			add("pledge.deadline", "must be between 1970 and 2105, got %s", d.Format(time.RFC3339))
		}
		if p.Asset == "" {
			add("pledge.asset", "required")
		} else if !tokenRE.MatchString(p.Asset) {
			add("pledge.asset", "must be a lower-case word such as troops or air_base, got %q", p.Asset)
		}
		nonNeg("pledge.quantity", p.Quantity)
		nonNeg("pledge.amount", p.Amount)
		switch {
		case p.Quantity != nil && p.Amount != nil:
			add("pledge", "give either quantity and unit or amount and currency, not both")
		case p.Quantity != nil && p.Unit == "":
			add("pledge.unit", "required when quantity is given")
		case p.Quantity != nil && !unitRE.MatchString(p.Unit):
			add("pledge.unit", "must be a lower-case word such as soldiers or air_base (at most 32), got %q", p.Unit)
		case p.Quantity == nil && p.Unit != "":
			add("pledge.quantity", "required when unit is given")
		case p.Amount != nil && !currencyRE.MatchString(p.Currency):
			add("pledge.currency", "must be an ISO 4217 code such as EUR, got %q", p.Currency)
		case p.Amount == nil && p.Currency != "":
			add("pledge.amount", "required when currency is given")
		}
		if p.Destination != "" {
			if _, ok := LookupCountry(p.Destination); !ok {
				add("pledge.destination", "unknown country code %q: want an ISO 3166-1 alpha-3 code such as MLI", p.Destination)
			}
		}
	case e.Deployment != nil && e.Kind == KindDeployment:
		d := e.Deployment
		if !commitmentIDRE.MatchString(d.CommitmentID) {
			add("deployment.commitment_id", "must be 1-128 letters, digits or . _ : - , got %q", d.CommitmentID)
		}
		nonNeg("deployment.quantity", d.Quantity)
		if d.Quantity == nil && !d.Complete {
			add("deployment", "give a quantity, or complete: true")
		}
	case e.Withdrawal != nil && e.Kind == KindWithdrawal:
		if !commitmentIDRE.MatchString(e.Withdrawal.CommitmentID) {
			add("withdrawal.commitment_id", "must be 1-128 letters, digits or . _ : - , got %q", e.Withdrawal.CommitmentID)
		}
	case e.Sanction != nil && e.Kind == KindSanction:
		if e.Sanction.Measure == "" {
			add("sanction.measure", "required")
		}
	case e.Incident != nil && e.Kind == KindIncident:
		if e.Incident.Severity < 1 || e.Incident.Severity > 5 {
			add("incident.severity", "must be 1..5, got %d", e.Incident.Severity)
		}
		if !tokenRE.MatchString(e.Incident.Type) {
			add("incident.type", "must be a lower-case word such as shootdown, got %q", e.Incident.Type)
		}
		if e.Incident.Fatalities < 0 {
			add("incident.fatalities", "must be >= 0")
		}
	}
	return ps
}
