package schema_test

import (
	"slices"
	"testing"

	"github.com/coalitiondev/coalition/schema"
)

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
