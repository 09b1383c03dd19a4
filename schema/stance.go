package schema

import "fmt"

// Stance is a country's position toward a coalition, on a five-step scale
// from -2 to +2. The scale is part of the contract: alert rules count steps
// on it ("a stance drops by N steps").
//
//	-2 opposed             works against the coalition or its aims
//	-1 skeptical           criticises, declines, or sets conditions
//	 0 neutral             no position, or a balanced one
//	+1 supportive          endorses the coalition without concrete means
//	+2 strongly_supportive commits itself and its means to the coalition
type Stance int

// The steps of the stance scale.
const (
	StanceOpposed            Stance = -2
	StanceSkeptical          Stance = -1
	StanceNeutral            Stance = 0
	StanceSupportive         Stance = 1
	StanceStronglySupportive Stance = 2
)

// Valid reports whether s is on the scale.
func (s Stance) Valid() bool { return s >= StanceOpposed && s <= StanceStronglySupportive }

// String returns the step's name.
func (s Stance) String() string {
	switch s {
	case StanceOpposed:
		return "opposed"
	case StanceSkeptical:
		return "skeptical"
	case StanceNeutral:
		return "neutral"
	case StanceSupportive:
		return "supportive"
	case StanceStronglySupportive:
		return "strongly_supportive"
	}
	return fmt.Sprintf("stance(%d)", int(s))
}
