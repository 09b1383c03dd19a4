package producers

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/coalitiondev/coalition/schema"
)

// CAMEORule maps the CAMEO action codes that start with Prefix to one kind
// of Coalition event, or marks them as not imported (Kind empty). A code
// takes the rule with the longest prefix it starts with; a code no rule's
// prefix matches is not imported either (reason unmapped_cameo).
//
// The rules are the one place the mapping lives: the importer applies them,
// `coalition import gdelt --mapping` prints them, and docs/gdelt.md holds
// the same table, which a test keeps equal to WriteCAMEOMapping's output.
type CAMEORule struct {
	Prefix string
	Kind   schema.Kind // "" for codes deliberately not imported

	Stance   schema.Stance   // statement: the actor's stance
	Category schema.Category // pledge: the commitment's category
	Asset    string          // pledge: what is offered
	Sector   string          // sanction: the sector, if the code names one
	Type     string          // incident: its type
	Severity int             // incident: 1..5

	// Why says in a few words why the codes map this way.
	Why string
}

// CAMEORules is the mapping from CAMEO codes to Coalition events, in code
// order. See docs/gdelt.md for what each choice means for the status
// figures.
var CAMEORules = []CAMEORule{
	// 01 MAKE PUBLIC STATEMENT
	{Prefix: "01", Kind: schema.KindStatement, Stance: schema.StanceNeutral, Why: "a statement with no lean: no comment, a policy considered, a symbolic act"},
	{Prefix: "012", Kind: schema.KindStatement, Stance: schema.StanceSkeptical, Why: "pessimism about the counterpart"},
	{Prefix: "013", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "optimism about the counterpart"},
	{Prefix: "016", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "empathy with the counterpart"},
	{Prefix: "018", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "agreement with the counterpart"},
	{Prefix: "019", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "agreement with the counterpart"},
	// 02 APPEAL
	{Prefix: "02", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "asks the counterpart for cooperation, support, aid, talks or a settlement"},
	{Prefix: "024", Kind: schema.KindStatement, Stance: schema.StanceSkeptical, Why: "presses the counterpart to reform: sets conditions"},
	{Prefix: "025", Kind: schema.KindStatement, Stance: schema.StanceSkeptical, Why: "presses the counterpart to yield: sets conditions"},
	// 03 EXPRESS INTENT TO COOPERATE
	{Prefix: "030", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "intent to cooperate, means unnamed"},
	{Prefix: "031", Kind: schema.KindStatement, Stance: schema.StanceStronglySupportive, Why: "intent to commit material means; what is offered is not said, so no commitment is opened"},
	{Prefix: "032", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "intent to back the counterpart's policy"},
	{Prefix: "033", Kind: schema.KindPledge, Category: schema.CategoryOther, Asset: "aid", Why: "a promise of aid: opens an unquantified commitment"},
	{Prefix: "0331", Kind: schema.KindPledge, Category: schema.CategoryFinancial, Asset: "economic_aid", Why: "a promise of economic aid"},
	{Prefix: "0332", Kind: schema.KindPledge, Category: schema.CategoryMilitary, Asset: "military_aid", Why: "a promise of military aid"},
	{Prefix: "0333", Kind: schema.KindPledge, Category: schema.CategoryHumanitarian, Asset: "humanitarian_aid", Why: "a promise of humanitarian aid"},
	{Prefix: "0334", Kind: schema.KindPledge, Category: schema.CategoryMilitary, Asset: "peacekeeping", Why: "a promise of protection or peacekeepers"},
	{Prefix: "034", Why: "intent to reform at home says nothing about the counterpart"},
	{Prefix: "035", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "intent to concede: ease sanctions, release, de-escalate"},
	{Prefix: "036", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "intent to meet: a meeting is imported when it happens (04)"},
	{Prefix: "037", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "intent to settle"},
	{Prefix: "038", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "accepts mediation"},
	{Prefix: "039", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "offers to mediate"},
	// 04 CONSULT
	{Prefix: "04", Kind: schema.KindMeeting, Why: "consultations: calls, visits, talks, mediation"},
	// 05 ENGAGE IN DIPLOMATIC COOPERATION
	{Prefix: "05", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "praise, defence, recognition: support in words"},
	{Prefix: "057", Kind: schema.KindStatement, Stance: schema.StanceStronglySupportive, Why: "a signed agreement binds the actor"},
	// 06 ENGAGE IN MATERIAL COOPERATION
	{Prefix: "06", Kind: schema.KindStatement, Stance: schema.StanceStronglySupportive, Why: "material cooperation: means committed, but to no commitment a pledge opened"},
	{Prefix: "063", Kind: schema.KindStatement, Stance: schema.StanceSupportive, Why: "judicial cooperation: support, no means"},
	// 07 PROVIDE AID
	{Prefix: "07", Kind: schema.KindStatement, Stance: schema.StanceStronglySupportive, Why: "aid given; not a deployment, since GDELT names no commitment it delivers on"},
	{Prefix: "075", Why: "asylum for people from the counterpart is not support of its government"},
	// 08 YIELD, 09 INVESTIGATE
	{Prefix: "08", Why: "concessions, mostly at home; no Coalition kind fits"},
	{Prefix: "09", Why: "investigations; no Coalition kind fits"},
	// 10 DEMAND, 11 DISAPPROVE, 12 REJECT, 13 THREATEN
	{Prefix: "10", Kind: schema.KindStatement, Stance: schema.StanceSkeptical, Why: "demands: sets conditions"},
	{Prefix: "11", Kind: schema.KindStatement, Stance: schema.StanceSkeptical, Why: "criticism, accusations, complaints"},
	{Prefix: "113", Kind: schema.KindStatement, Stance: schema.StanceOpposed, Why: "rallies opposition: works against the counterpart"},
	{Prefix: "12", Kind: schema.KindStatement, Stance: schema.StanceSkeptical, Why: "declines or rejects"},
	{Prefix: "128", Kind: schema.KindStatement, Stance: schema.StanceOpposed, Why: "a veto blocks the counterpart"},
	{Prefix: "13", Kind: schema.KindStatement, Stance: schema.StanceOpposed, Why: "threats work against the counterpart"},
	// 14 PROTEST, 15 EXHIBIT FORCE POSTURE
	{Prefix: "14", Why: "protests are mostly by civilians at home"},
	{Prefix: "15", Why: "a show of force is aimed at no one in particular"},
	// 16 REDUCE RELATIONS
	{Prefix: "16", Kind: schema.KindSanction, Why: "relations reduced: a measure imposed on the counterpart"},
	{Prefix: "161", Kind: schema.KindSanction, Sector: "diplomatic", Why: "diplomatic relations reduced or broken"},
	{Prefix: "162", Kind: schema.KindSanction, Sector: "aid", Why: "aid reduced or stopped"},
	{Prefix: "163", Kind: schema.KindSanction, Sector: "diplomatic", Why: "negotiations halted"},
	{Prefix: "165", Kind: schema.KindSanction, Sector: "diplomatic", Why: "mediation halted"},
	{Prefix: "166", Kind: schema.KindSanction, Sector: "economic", Why: "embargo, boycott or sanctions"},
	// 17 COERCE
	{Prefix: "17", Kind: schema.KindSanction, Why: "coercion short of violence: seizures, administrative measures, arrests, expulsions"},
	{Prefix: "1712", Kind: schema.KindIncident, Type: "property_destruction", Severity: 2, Why: "destruction is violence, not a measure"},
	{Prefix: "175", Kind: schema.KindIncident, Type: "violent_repression", Severity: 3, Why: "violence, not a measure"},
	// 18 ASSAULT
	{Prefix: "18", Kind: schema.KindIncident, Type: "unconventional_violence", Severity: 3, Why: "violence outside conventional war"},
	{Prefix: "181", Kind: schema.KindIncident, Type: "abduction", Severity: 3, Why: "abduction, hijacking, hostages"},
	{Prefix: "182", Kind: schema.KindIncident, Type: "assault", Severity: 2, Why: "physical assault"},
	{Prefix: "1823", Kind: schema.KindIncident, Type: "killing", Severity: 4, Why: "killing"},
	{Prefix: "183", Kind: schema.KindIncident, Type: "bombing", Severity: 4, Why: "bombing"},
	{Prefix: "185", Kind: schema.KindIncident, Type: "assassination_attempt", Severity: 3, Why: "attempted assassination"},
	{Prefix: "186", Kind: schema.KindIncident, Type: "assassination", Severity: 4, Why: "assassination"},
	// 19 FIGHT
	{Prefix: "19", Kind: schema.KindIncident, Type: "military_force", Severity: 4, Why: "conventional military force"},
	{Prefix: "191", Kind: schema.KindIncident, Type: "blockade", Severity: 3, Why: "blockade"},
	{Prefix: "193", Kind: schema.KindIncident, Type: "armed_clash", Severity: 4, Why: "fighting with small arms"},
	{Prefix: "194", Kind: schema.KindIncident, Type: "armed_clash", Severity: 5, Why: "fighting with artillery and tanks"},
	{Prefix: "195", Kind: schema.KindIncident, Type: "air_strike", Severity: 5, Why: "aerial weapons"},
	{Prefix: "196", Kind: schema.KindIncident, Type: "ceasefire_violation", Severity: 3, Why: "a ceasefire broken"},
	// 20 USE UNCONVENTIONAL MASS VIOLENCE
	{Prefix: "20", Kind: schema.KindIncident, Type: "mass_violence", Severity: 5, Why: "mass killings, expulsions, weapons of mass destruction"},
}

// cameoRuleByPrefix indexes CAMEORules; built once, never written after.
var cameoRuleByPrefix = func() map[string]*CAMEORule {
	m := make(map[string]*CAMEORule, len(CAMEORules))
	for i := range CAMEORules {
		m[CAMEORules[i].Prefix] = &CAMEORules[i]
	}
	return m
}()

// LookupCAMEO returns the rule for a CAMEO event code: the one with the
// longest prefix of code. ok is false when no rule matches or the rule
// says the code is not imported.
func LookupCAMEO(code string) (rule CAMEORule, ok bool) {
	for n := len(code); n >= 2; n-- {
		if r, found := cameoRuleByPrefix[code[:n]]; found {
			return *r, r.Kind != ""
		}
	}
	return CAMEORule{}, false
}

// cameoCodebook is data/cameo-codes.json, an unchanged copy of the CAMEO
// code list that came with the GDELT sample (from the gdeltPyR project):
// code to description, stray spaces and all; CAMEODescription tidies them.
//
//go:embed data/cameo-codes.json
var cameoCodebook []byte

var cameoDescriptions = sync.OnceValue(func() map[string]string {
	var doc struct {
		Description map[string]string `json:"Description"`
	}
	if err := json.Unmarshal(cameoCodebook, &doc); err != nil {
		// Embedded and tested: failing here is a build defect.
		panic(fmt.Sprintf("producers: data/cameo-codes.json: %v", err))
	}
	out := make(map[string]string, len(doc.Description))
	for code, d := range doc.Description {
		out[code] = strings.Join(strings.Fields(d), " ")
	}
	return out
})

// CAMEODescription returns the codebook's description of a CAMEO code
// ("Make a visit" for 042). A code the codebook lacks (GDELT uses a few,
// such as 0253) gets the description of its longest listed prefix, and
// exact is false.
func CAMEODescription(code string) (desc string, exact bool) {
	ds := cameoDescriptions()
	if d, ok := ds[code]; ok {
		return d, true
	}
	for n := len(code) - 1; n >= 2; n-- {
		if d, ok := ds[code[:n]]; ok {
			return d, false
		}
	}
	return "", false
}

// describeCAMEO names a code with its description for messages and
// summaries: "042 Make a visit", "0253 (025 Appeal to yield)".
func describeCAMEO(code string) string {
	d, exact := CAMEODescription(code)
	switch {
	case d == "":
		return code + " (not in the codebook)"
	case !exact:
		return fmt.Sprintf("%s (not in the codebook; under %s)", code, d)
	}
	return code + " " + d
}

// WriteCAMEOMapping writes CAMEORules as a Markdown table: code, the
// codebook's description, the Coalition event, its details, and why.
// docs/gdelt.md holds this table verbatim.
func WriteCAMEOMapping(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| CAMEO | description | Coalition event | details | why |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, r := range CAMEORules {
		d, _ := CAMEODescription(r.Prefix)
		if len(r.Prefix) == 2 {
			// Root codes are upper case in the codebook.
			d = strings.ToUpper(d[:1]) + strings.ToLower(d[1:])
		}
		// A row stands for a family of codes: "Consult", not "Consult, not
		// specified below".
		d = strings.TrimSuffix(strings.TrimSuffix(d, ", not specified below"), ", not spec below")
		kind, details := "not imported", ""
		switch r.Kind {
		case schema.KindStatement:
			kind = "statement"
			details = fmt.Sprintf("stance %+d %s", int(r.Stance), r.Stance)
			if r.Stance == schema.StanceNeutral {
				details = "stance 0 neutral"
			}
		case schema.KindPledge:
			kind = "pledge"
			details = fmt.Sprintf("category %s, asset %s", r.Category, r.Asset)
		case schema.KindMeeting:
			kind = "meeting"
		case schema.KindSanction:
			kind = "sanction"
			if r.Sector != "" {
				details = "sector " + r.Sector
			}
		case schema.KindIncident:
			kind = "incident"
			details = fmt.Sprintf("type %s, severity %d", r.Type, r.Severity)
		}
		code := "`" + r.Prefix + "`"
		if len(r.Prefix) < 4 {
			code = "`" + r.Prefix + "…`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", code, d, kind, details, r.Why)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
