package schema

import (
	"time"

	"github.com/google/uuid"
)

// Kind is the type of a diplomatic event.
type Kind string

// The event kinds. Each has a payload field of the same name on Event and a
// JSON Schema document in schemas/<kind>.json.
const (
	KindMeeting    Kind = "meeting"    // leaders or ministers met
	KindStatement  Kind = "statement"  // a public stance toward the coalition
	KindPledge     Kind = "pledge"     // a commitment is announced (opens it)
	KindDeployment Kind = "deployment" // delivery against a commitment, whole or part
	KindWithdrawal Kind = "withdrawal" // a commitment is withdrawn (closes it)
	KindSanction   Kind = "sanction"   // the actor sanctions the counterpart
	KindIncident   Kind = "incident"   // a hostile incident between actor and counterpart
)

// Kinds lists every event kind in a fixed order.
var Kinds = []Kind{KindMeeting, KindStatement, KindPledge, KindDeployment, KindWithdrawal, KindSanction, KindIncident}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Event is one diplomatic event as producers publish it and consumers store
// it. Exactly one payload field is set: the one named by Kind.
//
// ID is the event's identity and idempotency key: the same ID published twice
// is one event. Revision orders corrections of the same event (a higher
// revision replaces a lower one); a revision with Retracted set withdraws
// the event from every figure, like a deleted ACLED record.
type Event struct {
	ID          uuid.UUID `json:"id"`
	Revision    uint32    `json:"revision,omitempty"`
	Retracted   bool      `json:"retracted,omitempty"`
	Kind        Kind      `json:"kind"`
	Coalition   string    `json:"coalition"`
	Actor       string    `json:"actor"`
	Counterpart string    `json:"counterpart,omitempty"`
	OccurredAt  time.Time `json:"occurred_at"`
	ReportedAt  time.Time `json:"reported_at"`
	Source      string    `json:"source"`
	Confidence  *float64  `json:"confidence,omitempty"`
	Summary     string    `json:"summary,omitempty"`

	Meeting    *Meeting    `json:"meeting,omitempty"`
	Statement  *Statement  `json:"statement,omitempty"`
	Pledge     *Pledge     `json:"pledge,omitempty"`
	Deployment *Deployment `json:"deployment,omitempty"`
	Withdrawal *Withdrawal `json:"withdrawal,omitempty"`
	Sanction   *Sanction   `json:"sanction,omitempty"`
	Incident   *Incident   `json:"incident,omitempty"`

	// GDELT is set on events imported from GDELT: the record each comes
	// from and GDELT's measures of it (see GDELT). Optional.
	GDELT *GDELT `json:"gdelt,omitempty"`
}

// Meeting is the payload of a meeting event: the actor met the counterpart
// (and possibly other participants).
type Meeting struct {
	Participants []string `json:"participants,omitempty"`
	Location     string   `json:"location,omitempty"`
	Topic        string   `json:"topic,omitempty"`
}

// Statement is the payload of a statement event: the actor's stance toward
// the coalition, on the Stance scale.
type Statement struct {
	Stance Stance `json:"stance"`
	Quote  string `json:"quote,omitempty"`
}

// Category classifies what a commitment offers.
type Category string

// The commitment categories.
const (
	CategoryMilitary     Category = "military"
	CategoryFinancial    Category = "financial"
	CategoryHumanitarian Category = "humanitarian"
	CategoryBasing       Category = "basing"
	CategoryDiplomatic   Category = "diplomatic"
	CategoryIntelligence Category = "intelligence"
	CategoryOther        Category = "other"
)

// Categories lists every category in a fixed order.
var Categories = []Category{CategoryMilitary, CategoryFinancial, CategoryHumanitarian, CategoryBasing, CategoryDiplomatic, CategoryIntelligence, CategoryOther}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, v := range Categories {
		if c == v {
			return true
		}
	}
	return false
}

// Pledge is the payload of a pledge event. It opens (or restates) the
// commitment CommitmentID. A pledge is measured either in Quantity of Unit
// (650 soldiers, 1 air base) or in Amount of Currency (ISO 4217), or not at
// all (an unquantified promise).
//
// Stage says how far the commitment has got (default announced); Deadline,
// when given, is when delivery is due: an undelivered commitment lapses
// after it.
type Pledge struct {
	CommitmentID string     `json:"commitment_id"`
	Category     Category   `json:"category"`
	Stage        Stage      `json:"stage,omitempty"`
	Asset        string     `json:"asset"`
	Quantity     *float64   `json:"quantity,omitempty"`
	Unit         string     `json:"unit,omitempty"`
	Amount       *float64   `json:"amount,omitempty"`
	Currency     string     `json:"currency,omitempty"`
	Destination  string     `json:"destination,omitempty"`
	Deadline     *time.Time `json:"deadline,omitempty"`
}

// Stage is how far a pledged commitment has got before delivery, after the
// Kiel Institute's Ukraine Support Tracker: announced, then committed, then
// allocated. The stages are ordered; a commitment is at the highest stage
// any of its pledges reached.
type Stage string

// The pledge stages, in order.
const (
	StageAnnounced Stage = "announced" // said in public
	StageCommitted Stage = "committed" // formally decided (cabinet, parliament)
	StageAllocated Stage = "allocated" // means assigned (units named, funds budgeted)
)

// Stages lists the stages in order.
var Stages = []Stage{StageAnnounced, StageCommitted, StageAllocated}

// Rank returns the stage's position (1..3; an empty stage is announced), or
// 0 for an unknown stage.
func (s Stage) Rank() int {
	if s == "" {
		return 1
	}
	for i, v := range Stages {
		if s == v {
			return i + 1
		}
	}
	return 0
}

// Measure returns the pledge's size and unit: Quantity and Unit, or Amount and
// Currency for money, or 0 and "" for an unquantified pledge.
func (p *Pledge) Measure() (float64, string) {
	switch {
	case p.Quantity != nil:
		return *p.Quantity, p.Unit
	case p.Amount != nil:
		return *p.Amount, p.Currency
	}
	return 0, ""
}

// Deployment is the payload of a deployment event: delivery of Quantity (in
// the commitment's unit or currency) against CommitmentID. Complete says the
// commitment is now delivered in full, whatever the quantities add up to.
type Deployment struct {
	CommitmentID string   `json:"commitment_id"`
	Quantity     *float64 `json:"quantity,omitempty"`
	Complete     bool     `json:"complete,omitempty"`
	Location     string   `json:"location,omitempty"`
}

// Withdrawal is the payload of a withdrawal event: the commitment is
// withdrawn and counts as open no longer.
type Withdrawal struct {
	CommitmentID string `json:"commitment_id"`
	Reason       string `json:"reason,omitempty"`
}

// Sanction is the payload of a sanction event: the actor imposes Measure on
// the counterpart.
type Sanction struct {
	Measure string `json:"measure"`
	Sector  string `json:"sector,omitempty"`
}

// Incident is the payload of an incident event between the actor and the
// counterpart. Severity runs from 1 (minor) to 5 (armed clash with deaths).
type Incident struct {
	Type        string `json:"type"`
	Severity    int    `json:"severity"`
	Fatalities  int    `json:"fatalities,omitempty"`
	Description string `json:"description,omitempty"`
}

// CommitmentID returns the commitment an event refers to, or "" if its kind
// has none.
func (e *Event) CommitmentID() string {
	switch {
	case e.Pledge != nil:
		return e.Pledge.CommitmentID
	case e.Deployment != nil:
		return e.Deployment.CommitmentID
	case e.Withdrawal != nil:
		return e.Withdrawal.CommitmentID
	}
	return ""
}

// ConfidenceOr1 returns the event's confidence, 1 when it was not given.
func (e *Event) ConfidenceOr1() float64 {
	if e.Confidence == nil {
		return 1
	}
	return *e.Confidence
}
