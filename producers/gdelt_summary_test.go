package producers_test

import (
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/producers"
)

// TestGDELTSummaryText checks the summary people read.
func TestGDELTSummaryText(t *testing.T) {
	t.Parallel()
	sum, _ := importFiles(t, producers.GDELTConfig{}, gdeltFile("20170701234500.export.CSV"))
	var b strings.Builder
	if err := sum.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `GDELT import into coalition gdelt: 1 file (dry run: nothing published)
read                  20  rows
mapped                14  meeting 2, statement 7, pledge 2, sanction 1, incident 2
skipped               6   
  unmapped_cameo      1   075 Grant asylum (1)
  no_actor_country    1   
  not_a_state         2   SEA (1), WST (1)
  unknown_country     1   XYZ (1)
  domestic            1   KEN (1)
counterpart left out  1   pledges with a region or unknown code as Actor2, kept without destination
mapped by CAMEO code: 051 Praise or endorse (2), 010 Make statement, not specified below (1), 0331 Express intent to provide economic aid (1), 0333 Express intent to provide humanitarian aid (1), 042 Make a visit (1), 046 Engage in negotiation (1), 057 Sign formal agreement (1), 070 Provide aid, not specified below (1), 071 Provide economic aid (1), 112 Accuse, not specified below (1), and 3 more
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
