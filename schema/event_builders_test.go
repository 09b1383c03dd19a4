package schema_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
	"github.com/google/uuid"
)

// Builders for hand-made events of the coalition "paris-2015". Times are
// hours after the Paris attacks (2015-11-13 21:16 UTC); ids are small
// numbers, so that their order is easy to see.

const paris = "paris-2015"

var attacks = time.Date(2015, 11, 13, 21, 16, 0, 0, time.UTC)

func hour(h int) time.Time { return attacks.Add(time.Duration(h) * time.Hour) }

func uid(n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-7000-8000-%012d", n))
}

func event(n int, k schema.Kind, actor string, h int) schema.Event {
	return schema.Event{
		ID:         uid(n),
		Kind:       k,
		Coalition:  paris,
		Actor:      actor,
		OccurredAt: hour(h),
		ReportedAt: hour(h + 1),
		Source:     fmt.Sprintf("https://news.example.org/%d", n),
	}
}

func meetingEv(n int, actor, counterpart string, participants []string, h int) schema.Event {
	ev := event(n, schema.KindMeeting, actor, h)
	ev.Counterpart = counterpart
	ev.Meeting = &schema.Meeting{Participants: participants}
	return ev
}

func statementEv(n int, actor string, stance schema.Stance, h int) schema.Event {
	ev := event(n, schema.KindStatement, actor, h)
	ev.Statement = &schema.Statement{Stance: stance}
	return ev
}

func pledgeEv(n int, actor, commitment string, cat schema.Category, qty float64, unit string, h int) schema.Event {
	ev := event(n, schema.KindPledge, actor, h)
	ev.Pledge = &schema.Pledge{CommitmentID: commitment, Category: cat, Asset: "asset"}
	switch {
	case unit == "":
	case len(unit) == 3 && unit[0] >= 'A' && unit[0] <= 'Z':
		ev.Pledge.Amount, ev.Pledge.Currency = &qty, unit
	default:
		ev.Pledge.Quantity, ev.Pledge.Unit = &qty, unit
	}
	return ev
}

func deploymentEv(n int, actor, commitment string, qty *float64, complete bool, h int) schema.Event {
	ev := event(n, schema.KindDeployment, actor, h)
	ev.Deployment = &schema.Deployment{CommitmentID: commitment, Quantity: qty, Complete: complete}
	return ev
}

func withdrawalEv(n int, actor, commitment string, h int) schema.Event {
	ev := event(n, schema.KindWithdrawal, actor, h)
	ev.Withdrawal = &schema.Withdrawal{CommitmentID: commitment}
	return ev
}

func sanctionEv(n int, actor, counterpart string, h int) schema.Event {
	ev := event(n, schema.KindSanction, actor, h)
	ev.Counterpart = counterpart
	ev.Sanction = &schema.Sanction{Measure: "trade restrictions"}
	return ev
}

func incidentEv(n int, actor, counterpart string, h int) schema.Event {
	ev := event(n, schema.KindIncident, actor, h)
	ev.Counterpart = counterpart
	ev.Incident = &schema.Incident{Type: "shootdown", Severity: 4}
	return ev
}

func in(coalition string, ev schema.Event) schema.Event { ev.Coalition = coalition; return ev }

func rev(r uint32, ev schema.Event) schema.Event { ev.Revision = r; return ev }

func qty(v float64) *float64 { return &v }

// checkValid fails the test if a hand-made event breaks the contract: the
// fold is only defined on valid events.
func checkValid(tb testing.TB, events []schema.Event) {
	tb.Helper()
	for _, ev := range events {
		if err := ev.Validate(); err != nil {
			tb.Fatalf("hand-made event %s is invalid: %v", ev.ID, err)
		}
	}
}
