package schema_test

import (
	"reflect"
	"testing"

	"github.com/coalitiondev/coalition/schema"
)

func TestFoldCommitments(t *testing.T) {
	events := schema.Dedup([]schema.Event{
		pledgeEv(1, "DEU", "DEU-tornado", schema.CategoryIntelligence, 6, "aircraft", 300),
		deploymentEv(2, "DEU", "DEU-tornado", qty(2), false, 650),
		deploymentEv(3, "DEU", "DEU-tornado", qty(4), false, 1300),
		pledgeEv(4, "GBR", "GBR-akrotiri", schema.CategoryBasing, 1, "base", 241),
		deploymentEv(5, "GBR", "GBR-akrotiri", nil, true, 484),
		withdrawalEv(6, "CAN", "CAN-cf18", 2100),
		deploymentEv(7, "CAN", "CAN-cf18", qty(6), false, 1000),
		pledgeEv(8, "DEU", "DEU-london", schema.CategoryHumanitarian, 2.3e9, "EUR", 1950),
		withdrawalEv(9, "DEU", "DEU-london", 1960),
		statementEv(10, "FRA", 2, 66),
	})
	checkValid(t, events)
	// The old Actors field is gone: CAN's two events on a commitment no
	// pledge opened are now two unknown_commitment anomalies. An unknown
	// commitment reports the default stage, announced.
	want := map[string]*schema.Commitment{
		"DEU-tornado": {ID: "DEU-tornado", Known: true, Owner: "DEU", Category: schema.CategoryIntelligence, Asset: "asset", Unit: "aircraft", Pledged: 6,
			Stage: schema.StageAnnounced, AnnouncedAt: hour(300),
			// Delivered when the second delivery made 6 of 6.
			Delivered: 6, Deliveries: 2, FirstDeliveryAt: hour(650), DeliveredAt: hour(1300), State: schema.StateDelivered},
		"GBR-akrotiri": {ID: "GBR-akrotiri", Known: true, Owner: "GBR", Category: schema.CategoryBasing, Asset: "asset", Unit: "base", Pledged: 1,
			Stage: schema.StageAnnounced, AnnouncedAt: hour(241),
			Delivered: 1, Complete: true, Deliveries: 1, FirstDeliveryAt: hour(484), DeliveredAt: hour(484), State: schema.StateDelivered},
		"CAN-cf18": {ID: "CAN-cf18", Stage: schema.StageAnnounced,
			Delivered: 6, Deliveries: 1, FirstDeliveryAt: hour(1000), Withdrawn: true, WithdrawnAt: hour(2100), State: schema.StateUnknown},
		"DEU-london": {ID: "DEU-london", Known: true, Owner: "DEU", Category: schema.CategoryHumanitarian, Asset: "asset", Unit: "EUR", Pledged: 2.3e9,
			Stage: schema.StageAnnounced, AnnouncedAt: hour(1950),
			Withdrawn: true, WithdrawnAt: hour(1960), State: schema.StateWithdrawn},
	}
	wantAnomalies := []schema.Anomaly{
		{Kind: schema.AnomalyUnknownCommitment, Country: "CAN", CommitmentID: "CAN-cf18", EventID: uid(6).String()},
		{Kind: schema.AnomalyUnknownCommitment, Country: "CAN", CommitmentID: "CAN-cf18", EventID: uid(7).String()},
	}
	got, anomalies := schema.FoldCommitments(events, hour(3000))
	for id, c := range want {
		// The thousandths behind Pledged and Delivered.
		c.PledgedMilli, c.DeliveredMilli = schema.Milli(c.Pledged), schema.Milli(c.Delivered)
		want[id] = c
	}
	if !reflect.DeepEqual(got, want) {
		for id := range want {
			if !reflect.DeepEqual(got[id], want[id]) {
				t.Errorf("%s:\n got %+v\nwant %+v", id, got[id], want[id])
			}
		}
		t.Errorf("FoldCommitments has %d commitments, want %d", len(got), len(want))
	}
	if !reflect.DeepEqual(anomalies, wantAnomalies) {
		t.Errorf("anomalies = %+v,\nwant %+v", anomalies, wantAnomalies)
	}
	if got, _ := schema.FoldCommitments(nil, hour(3000)); len(got) != 0 {
		t.Errorf("FoldCommitments(nil) = %v, want no commitment", got)
	}
}

// TestCommitmentIsOpen folds one commitment from its events and checks its
// state and whether it is open. The cases are those of the old IsOpen,
// which now follows the state.
func TestCommitmentIsOpen(t *testing.T) {
	pledge := func(size float64, unit string) schema.Event {
		return pledgeEv(1, "DEU", "c", schema.CategoryMilitary, size, unit, 10)
	}
	deliver := func(n int, q *float64, complete bool) schema.Event {
		return deploymentEv(n, "DEU", "c", q, complete, 20+n)
	}
	tests := []struct {
		name   string
		events []schema.Event
		state  schema.CommitmentState
		open   bool
	}{
		{"Unknown", []schema.Event{deliver(2, qty(650), false)}, schema.StateUnknown, false},
		{"Pledged", []schema.Event{pledge(650, "soldiers")}, schema.StateAnnounced, true},
		{"Partial", []schema.Event{pledge(650, "soldiers"), deliver(2, qty(649), false)}, schema.StatePartlyDelivered, true},
		{"Delivered", []schema.Event{pledge(650, "soldiers"), deliver(2, qty(650), false)}, schema.StateDelivered, false},
		{"Complete", []schema.Event{pledge(650, "soldiers"), deliver(2, nil, true)}, schema.StateDelivered, false},
		{"Withdrawn", []schema.Event{pledge(650, "soldiers"), withdrawalEv(2, "DEU", "c", 30)}, schema.StateWithdrawn, false},
		{"Unquantified", []schema.Event{pledge(0, "")}, schema.StateAnnounced, true},
		{"UnquantifiedDelivered", []schema.Event{pledge(0, ""), deliver(2, qty(5), false)}, schema.StatePartlyDelivered, true},
		{"UnquantifiedComplete", []schema.Event{pledge(0, ""), deliver(2, nil, true)}, schema.StateDelivered, false},
		// Changed by the new rules: a pledge of 0 ships used to count as
		// delivered at once (0 delivered of 0); deliveries now close a
		// commitment only when they reach a positive pledged size, so it is
		// announced, and open.
		{"ZeroPledged", []schema.Event{pledge(0, "ships")}, schema.StateAnnounced, true},
		{"ZeroPledgedDelivered", []schema.Event{pledge(0, "ships"), deliver(2, qty(1), false)}, schema.StatePartlyDelivered, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			cs, _ := schema.FoldCommitments(schema.Dedup(tt.events), hour(100))
			c := cs["c"]
			if c == nil {
				t.Fatalf("no commitment c in %v", cs)
			}
			if c.State != tt.state {
				t.Errorf("State = %q, want %q", c.State, tt.state)
			}
			if got := c.IsOpen(); got != tt.open {
				t.Errorf("IsOpen() = %v, want %v", got, tt.open)
			}
		})
	}
}

// TestCommitmentStateOpen checks which states count as open: those still
// awaited.
func TestCommitmentStateOpen(t *testing.T) {
	tests := []struct {
		state schema.CommitmentState
		open  bool
	}{
		{schema.StateAnnounced, true},
		{schema.StateCommitted, true},
		{schema.StateAllocated, true},
		{schema.StatePartlyDelivered, true},
		{schema.StateDelivered, false},
		{schema.StateWithdrawn, false},
		{schema.StateLapsed, false},
		{schema.StateUnknown, false},
		{"", false},
		{"open", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			if got := tt.state.Open(); got != tt.open {
				t.Errorf("%q.Open() = %v, want %v", tt.state, got, tt.open)
			}
			c := schema.Commitment{Known: true, State: tt.state}
			if got := c.IsOpen(); got != tt.open {
				t.Errorf("Commitment{State: %q}.IsOpen() = %v, want %v", tt.state, got, tt.open)
			}
		})
	}
}
