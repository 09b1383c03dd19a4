package clickhouse_test

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/schema"
)

// The catalog's answers worked out in Go from the reference fold
// (schema.Knowledge, schema.FoldCommitments), one function per query.
// Each returns the expected rows keyed as refKey keys a result's rows, and
// their numbers (nil for NULL).

// refRows are expected rows: key, then column, then value (a float64, or
// nil for NULL).
type refRows map[string]map[string]any

// refKey is the key of a row: its key columns' values as text, times in
// RFC 3339.
func refKey(vals ...any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case time.Time:
			parts[i] = x.UTC().Format(time.RFC3339)
		case []string:
			parts[i] = strings.Join(x, "+")
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	return strings.Join(parts, " ")
}

// refNumber converts a numeric value of a result to float64; nil stays nil.
func refNumber(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint8:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int8:
		return float64(x), true
	}
	return nil, false
}

// checkRows compares a result with expected rows: the rows keyed by the
// key columns must be the same, and every column of want must hold the
// same number (within tol[column], for columns the query rounds).
func checkRows(tb testing.TB, name string, res *clickhouse.Result, keys []string, want refRows, tol map[string]float64) {
	tb.Helper()
	seen := map[string]bool{}
	var diffs []string
	for _, row := range res.Rows {
		m := rowMap(res, row)
		kv := make([]any, len(keys))
		for i, k := range keys {
			kv[i] = m[k]
		}
		key := refKey(kv...)
		if seen[key] {
			diffs = append(diffs, fmt.Sprintf("%s: two rows", key))
		}
		seen[key] = true
		w, ok := want[key]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s: a row the reference does not have: %v", key, row))
			continue
		}
		for col, wv := range w {
			gv, ok := refNumber(m[col])
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s: %s is %T %v, not a number", key, col, m[col], m[col]))
				continue
			}
			switch {
			case gv == nil && wv == nil:
			case gv == nil || wv == nil:
				diffs = append(diffs, fmt.Sprintf("%s: %s is %v, want %v", key, col, gv, wv))
			case math.Abs(gv.(float64)-wv.(float64)) > tol[col]+1e-9*math.Max(1, math.Abs(wv.(float64))):
				diffs = append(diffs, fmt.Sprintf("%s: %s is %v, want %v", key, col, gv, wv))
			}
		}
	}
	for key := range want {
		if !seen[key] {
			diffs = append(diffs, fmt.Sprintf("%s: missing, want %v", key, want[key]))
		}
	}
	sort.Strings(diffs)
	for i, d := range diffs {
		if i == 10 {
			tb.Errorf("%s: and %d more differences", name, len(diffs)-i)
			break
		}
		tb.Errorf("%s: %s", name, d)
	}
}

func isOpen(s schema.CommitmentState) bool { return s.Open() }

// refGap is gap_by_category: per category and unit, the commitments not
// withdrawn, pledged, delivered, the gap and the fulfilment ratio.
func refGap(commitments map[string]*schema.Commitment) refRows {
	type acc struct{ n, open, p, d int64 }
	by := map[string]*acc{}
	for _, c := range commitments {
		if !c.Known || c.State == schema.StateWithdrawn {
			continue
		}
		k := refKey(string(c.Category), c.Unit)
		a := by[k]
		if a == nil {
			a = &acc{}
			by[k] = a
		}
		a.n++
		if isOpen(c.State) {
			a.open++
		}
		a.p += c.PledgedMilli
		a.d += c.DeliveredMilli
	}
	out := refRows{}
	for k, a := range by {
		f := 0.0
		if a.p != 0 {
			f = float64(a.d) / float64(a.p)
		}
		out[k] = map[string]any{"commitments": float64(a.n), "open": float64(a.open), "pledged": float64(a.p) / 1000,
			"delivered": float64(a.d) / 1000, "gap": float64(max(a.p-a.d, 0)) / 1000, "fulfilment": f}
	}
	return out
}

// refTimeToDelivery is time_to_delivery: per commitment, the days to its
// first delivery (NULL if none) and the days it was open, up to its first
// delivery or withdrawal, else to at.
func refTimeToDelivery(commitments map[string]*schema.Commitment, at time.Time) refRows {
	out := refRows{}
	days := func(from, to time.Time) float64 { return float64(to.Unix()-from.Unix()) / 86400 }
	for _, c := range commitments {
		if !c.Known {
			continue
		}
		var toDelivery any
		closed := at.Truncate(time.Second)
		if c.Deliveries > 0 {
			toDelivery = days(c.AnnouncedAt, c.FirstDeliveryAt)
			closed = c.FirstDeliveryAt
		}
		if c.Withdrawn && (c.Deliveries == 0 || c.WithdrawnAt.Before(closed)) {
			closed = c.WithdrawnAt
		}
		out[refKey(c.Owner, c.ID, string(c.State))] = map[string]any{"days_to_delivery": toDelivery, "days_open": days(c.AnnouncedAt, closed)}
	}
	return out
}

// refWeekly is weekly_activity: events per week (from Monday, UTC) by
// kind, and the countries acting.
func refWeekly(known []schema.Event) refRows {
	out := refRows{}
	actors := map[string]map[string]bool{}
	for _, ev := range known {
		t := ev.OccurredAt.UTC()
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		k := refKey(monday)
		m := out[k]
		if m == nil {
			m = map[string]any{"events": 0.0}
			for _, kind := range []string{"meetings", "statements", "pledges", "deployments", "withdrawals", "sanctions", "incidents"} {
				m[kind] = 0.0
			}
			out[k] = m
			actors[k] = map[string]bool{}
		}
		m["events"] = m["events"].(float64) + 1
		m[string(ev.Kind)+"s"] = m[string(ev.Kind)+"s"].(float64) + 1
		actors[k][ev.Actor] = true
	}
	for k, m := range out {
		m["countries"] = float64(len(actors[k]))
	}
	return out
}

// refLeaderboard is leaderboard: per owner, commitments by state and the
// share delivered of those not withdrawn.
func refLeaderboard(commitments map[string]*schema.Commitment) refRows {
	out := refRows{}
	for _, c := range commitments {
		if !c.Known {
			continue
		}
		m := out[c.Owner]
		if m == nil {
			m = map[string]any{}
			for _, col := range []string{"commitments", "open", "partly_delivered", "delivered", "withdrawn", "lapsed"} {
				m[col] = 0.0
			}
			out[c.Owner] = m
		}
		inc := func(col string) { m[col] = m[col].(float64) + 1 }
		inc("commitments")
		if isOpen(c.State) {
			inc("open")
		}
		switch c.State {
		case schema.StatePartlyDelivered, schema.StateDelivered, schema.StateWithdrawn, schema.StateLapsed:
			inc(string(c.State))
		}
	}
	for _, m := range out {
		standing := m["commitments"].(float64) - m["withdrawn"].(float64)
		m["delivered_share"] = 0.0
		if standing > 0 {
			m["delivered_share"] = m["delivered"].(float64) / standing
		}
	}
	return out
}

// refCohesion is cohesion_matrix: per pair of countries, cooperation
// (meetings together; pledges, deployments and supportive statements
// addressed to the other; pledges whose destination is the other, a
// member) and conflict (sanctions, incidents, critical statements).
func refCohesion(known []schema.Event) refRows {
	members := map[string]bool{}
	for _, ev := range known {
		members[ev.Actor] = true
	}
	type acc struct{ coop, conf float64 }
	by := map[string]*acc{}
	add := func(a, b string, coop, conf bool) {
		if b < a {
			a, b = b, a
		}
		k := refKey(a, b)
		if by[k] == nil {
			by[k] = &acc{}
		}
		if coop {
			by[k].coop++
		}
		if conf {
			by[k].conf++
		}
	}
	for _, ev := range known {
		if ev.Kind == schema.KindMeeting {
			present := map[string]bool{ev.Actor: true}
			if ev.Counterpart != "" {
				present[ev.Counterpart] = true
			}
			for _, p := range ev.Meeting.Participants {
				present[p] = true
			}
			for a := range present {
				for b := range present {
					if a < b {
						add(a, b, true, false)
					}
				}
			}
			continue
		}
		partners := map[string]bool{}
		if ev.Counterpart != "" {
			partners[ev.Counterpart] = true
		}
		if ev.Pledge != nil && members[ev.Pledge.Destination] {
			partners[ev.Pledge.Destination] = true
		}
		delete(partners, ev.Actor)
		stance := 0
		if ev.Statement != nil {
			stance = int(ev.Statement.Stance)
		}
		coop := ev.Kind == schema.KindPledge || ev.Kind == schema.KindDeployment || (ev.Kind == schema.KindStatement && stance > 0)
		conf := ev.Kind == schema.KindSanction || ev.Kind == schema.KindIncident || (ev.Kind == schema.KindStatement && stance < 0)
		for p := range partners {
			add(ev.Actor, p, coop, conf)
		}
	}
	out := refRows{}
	for k, a := range by {
		if a.coop+a.conf > 0 {
			out[k] = map[string]any{"cooperation": a.coop, "conflict": a.conf, "net": a.coop - a.conf}
		}
	}
	return out
}

// refMoney is money_ranking: per owner, its money commitments not
// withdrawn, converted to US dollars at the rate of each one's pledge year
// and put against its GDP of that year; NULL where a rate or a GDP is
// missing; ranks among the countries with a figure.
// rates and gdp are keyed "EUR 2015" and "DEU 2015".
func refMoney(commitments map[string]*schema.Commitment, rates, gdp map[string]float64) refRows {
	type acc struct {
		n, missFX, missGDP   float64
		pUSD, dUSD, pSh, dSh float64
		currencies           map[string]bool
	}
	by := map[string]*acc{}
	for _, c := range commitments {
		if !c.Known || c.State == schema.StateWithdrawn || !isCurrency(c.Unit) {
			continue
		}
		a := by[c.Owner]
		if a == nil {
			a = &acc{currencies: map[string]bool{}}
			by[c.Owner] = a
		}
		a.n++
		a.currencies[c.Unit] = true
		year := c.AnnouncedAt.UTC().Year()
		rate, ok := rates[refKey(c.Unit, year)]
		if c.Unit == "USD" {
			rate, ok = 1, true
		}
		g, gok := gdp[refKey(c.Owner, year)]
		if !gok {
			a.missGDP++
		}
		if !ok {
			a.missFX++
			continue
		}
		p, d := float64(c.PledgedMilli)/1000/rate, float64(c.DeliveredMilli)/1000/rate
		a.pUSD += p
		a.dUSD += d
		if gok {
			a.pSh += p / g
			a.dSh += d / g
		}
	}
	out := refRows{}
	var usds, pcts []float64
	for owner, a := range by {
		m := map[string]any{"commitments": a.n, "missing_fx": a.missFX, "missing_gdp": a.missGDP,
			"pledged_usd": nil, "delivered_usd": nil, "pledged_pct_gdp": nil, "delivered_pct_gdp": nil}
		if a.missFX == 0 {
			m["pledged_usd"], m["delivered_usd"] = math.RoundToEven(a.pUSD), math.RoundToEven(a.dUSD)
			usds = append(usds, m["pledged_usd"].(float64))
			if a.missGDP == 0 {
				m["pledged_pct_gdp"], m["delivered_pct_gdp"] = round4(a.pSh*100), round4(a.dSh*100)
				pcts = append(pcts, m["pledged_pct_gdp"].(float64))
			}
		}
		var cur []string
		for c := range a.currencies {
			cur = append(cur, c)
		}
		sort.Strings(cur)
		out[refKey(owner, cur)] = m
	}
	rank := func(all []float64, v any) any {
		if v == nil {
			return nil
		}
		r := 1.0
		for _, x := range all {
			if x > v.(float64) {
				r++
			}
		}
		return r
	}
	for _, m := range out {
		m["rank_usd"] = rank(usds, m["pledged_usd"])
		m["rank_pct_gdp"] = rank(pcts, m["pledged_pct_gdp"])
	}
	return out
}

func round4(x float64) float64 { return math.RoundToEven(x*1e4) / 1e4 }

// isCurrency says whether a commitment's unit is a currency (pledges in
// money give amount and currency, an ISO 4217 code; other units are
// lower-case words).
func isCurrency(unit string) bool {
	if len(unit) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if unit[i] < 'A' || unit[i] > 'Z' {
			return false
		}
	}
	return true
}
