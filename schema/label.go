package schema

// Label sums up a country's status in one word.
type Label string

// The labels, in the order StatusLabel tries them.
const (
	LabelOpposed    Label = "opposed"    // its latest stance is -2
	LabelAtOdds     Label = "at_odds"    // sanctions or incidents with another member
	LabelWavering   Label = "wavering"   // latest stance -1, or lower than the one before
	LabelDelivering Label = "delivering" // something was delivered on its commitments
	LabelPledged    Label = "pledged"    // open commitments, nothing delivered yet
	LabelSupportive Label = "supportive" // latest stance +1 or +2, no commitments open
	LabelNeutral    Label = "neutral"    // none of the above
)

// Labels lists the labels in the order StatusLabel tries them.
var Labels = []Label{LabelOpposed, LabelAtOdds, LabelWavering, LabelDelivering, LabelPledged, LabelSupportive, LabelNeutral}

// StatusLabel derives a country's label from its status; the first rule
// that holds wins:
//
//  1. opposed: the latest stance is -2 (opposed);
//  2. at_odds: any sanction or incident, either way, with another member;
//  3. wavering: the latest stance is -1, or lower than the statement before;
//  4. delivering: any commitment partly or wholly delivered, or anything
//     delivered on its lines;
//  5. pledged: any open commitment;
//  6. supportive: the latest stance is +1 or +2;
//  7. neutral.
func StatusLabel(s *CountryStatus) Label {
	switch {
	case s.HasStance && s.Stance <= StanceOpposed:
		return LabelOpposed
	case s.MemberConflicts > 0:
		return LabelAtOdds
	case s.HasStance && (s.Stance == StanceSkeptical || (s.HasPrevStance && s.Stance < s.PrevStance)):
		return LabelWavering
	case s.ByState.PartlyDelivered+s.ByState.Delivered > 0 || delivered(s.Lines):
		return LabelDelivering
	case s.Open > 0:
		return LabelPledged
	case s.HasStance && s.Stance >= StanceSupportive:
		return LabelSupportive
	}
	return LabelNeutral
}

func delivered(ls []StatusLine) bool {
	for _, l := range ls {
		if l.Delivered > 0 {
			return true
		}
	}
	return false
}
