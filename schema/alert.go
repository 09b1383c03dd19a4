package schema

import "time"

// AlertKind names what an alert rule watches for.
type AlertKind string

// The alert kinds.
const (
	AlertWithdrawal     AlertKind = "withdrawal"      // a pledge (commitment) was withdrawn
	AlertStanceDrop     AlertKind = "stance_drop"     // a country's stance dropped by at least N steps
	AlertUndelivered    AlertKind = "undelivered"     // a commitment still undelivered N days after it was pledged
	AlertMemberConflict AlertKind = "member_conflict" // a sanction or incident between two members
	AlertFirstPledge    AlertKind = "first_pledge"    // a country's first pledge in the coalition
	AlertSupportBelow   AlertKind = "support_below"   // the count of supporting countries fell below N
)

// Alert is one raised alert, as published on coalition.alerts.<rule> and
// delivered to subscribers. ID identifies the occurrence: the same
// occurrence (the same rule, and the same event or state change) always
// gets the same ID, so it is raised once however often its events are
// redelivered.
type Alert struct {
	ID           string    `json:"id"`
	Rule         string    `json:"rule"`
	Kind         AlertKind `json:"kind"`
	Coalition    string    `json:"coalition"`
	Country      string    `json:"country,omitempty"`
	Counterpart  string    `json:"counterpart,omitempty"`
	CommitmentID string    `json:"commitment_id,omitempty"`
	EventID      string    `json:"event_id,omitempty"`
	Message      string    `json:"message"`
	OccurredAt   time.Time `json:"occurred_at"` // when what the alert is about happened
	RaisedAt     time.Time `json:"raised_at"`   // when the rule fired
	Subscribers  []string  `json:"subscribers,omitempty"`
}
