package alerts

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/coalitiondev/coalition/schema"
)

// alertNamespace is the UUIDv5 namespace of alert ids.
var alertNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/coalitiondev/coalition/alerts"))

// AlertID returns the id of the alert for an occurrence key: a UUIDv5
// (SHA-1) of the key in Coalition's alert namespace. Keys are described in
// docs/alerts.md; for example pledge-withdrawn/<event id> or
// first-pledge/paris-2015/DEU.
func AlertID(key string) string { return uuid.NewSHA1(alertNamespace, []byte(key)).String() }

// candidate is one occurrence of a rule, before de-duplication and
// cooldown.
type candidate struct {
	key   string
	rule  *Rule
	alert schema.Alert // without ID, RaisedAt and Subscribers
}

func newCandidate(r *Rule, key string, a schema.Alert) candidate {
	a.Rule, a.Kind = r.Name, r.Kind
	a.OccurredAt = a.OccurredAt.UTC()
	return candidate{key: r.Name + "/" + key, rule: r, alert: a}
}

// changeCandidates returns the occurrences one applied event makes, rule by
// rule in file order.
func changeCandidates(rs *RuleSet, ch *change) []candidate {
	var out []candidate
	cs, ev := ch.cs, ch.ev
	countries := make([]string, 0, len(ch.before))
	for c := range ch.before {
		countries = append(countries, c)
	}
	sort.Strings(countries)
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if r.Coalition != "" && r.Coalition != cs.name {
			continue
		}
		switch r.Kind {
		case schema.AlertWithdrawal:
			if live(ev) && ev.Kind == schema.KindWithdrawal && ev.Withdrawal != nil && r.Matches(cs.name, ev.Actor, "") {
				out = append(out, newCandidate(r, ev.ID.String(), withdrawalAlert(ev)))
			}
		case schema.AlertMemberConflict:
			var evs []*schema.Event
			if live(ev) && isConflict(ev) && cs.countries[ev.Counterpart].Member {
				evs = append(evs, ev)
			}
			// A country that just became a member turns the sanctions and
			// incidents on it into conflicts between members.
			for _, c := range countries {
				if ch.before[c].Member || !cs.countries[c].Member {
					continue
				}
				var more []*schema.Event
				for id := range cs.conflictsOn[c] {
					if e := cs.events[id]; e != ev {
						more = append(more, e)
					}
				}
				sort.Slice(more, func(i, j int) bool { return later(more[j], more[i]) })
				evs = append(evs, more...)
			}
			for _, e := range evs {
				if r.Matches(cs.name, e.Actor, e.Counterpart) {
					out = append(out, newCandidate(r, e.ID.String(), conflictAlert(e)))
				}
			}
		case schema.AlertFirstPledge:
			for _, c := range countries {
				if ch.before[c].Pledges > 0 || cs.countries[c].Pledges == 0 || !r.Matches(cs.name, c, "") {
					continue
				}
				p := ev
				if !live(ev) || ev.Kind != schema.KindPledge || ev.Actor != c {
					p = cs.firstPledge(c)
				}
				out = append(out, newCandidate(r, cs.name+"/"+c, firstPledgeAlert(p)))
			}
		case schema.AlertStanceDrop:
			for _, c := range countries {
				b, a := ch.before[c], cs.countries[c]
				if !b.HasStance || !a.HasStance || int(b.Stance-a.Stance) < r.Steps || !r.Matches(cs.name, c, "") {
					continue
				}
				out = append(out, newCandidate(r, a.StanceEvent.ID.String(), stanceDropAlert(a.StanceEvent, b.Stance)))
			}
		case schema.AlertSupportBelow:
			before, after := cs.supporting(r, ch.before), cs.supporting(r, nil)
			if before >= r.Threshold && after < r.Threshold {
				out = append(out, newCandidate(r, cs.name+"/"+ev.ID.String(), supportAlert(r, ev, before, after)))
			}
		}
	}
	return out
}

// undeliveredCandidates returns, for every undelivered rule, the
// commitments open at now and first pledged more than its days ago.
func undeliveredCandidates(rs *RuleSet, st *state, now time.Time) []candidate {
	var out []candidate
	names := make([]string, 0, len(st.coalitions))
	for n := range st.coalitions {
		names = append(names, n)
	}
	sort.Strings(names)
	type memoKey struct {
		coalition string
		days      int
	}
	memo := map[memoKey][]overdueCommitment{}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if r.Kind != schema.AlertUndelivered {
			continue
		}
		for _, name := range names {
			if r.Coalition != "" && r.Coalition != name {
				continue
			}
			k := memoKey{name, r.Days}
			od, ok := memo[k]
			if !ok {
				od = st.coalitions[name].overdue(r.Days, now)
				memo[k] = od
			}
			for _, o := range od {
				if r.Matches(name, o.c.Owner, "") {
					out = append(out, newCandidate(r, name+"/"+o.c.ID, undeliveredAlert(r, name, o)))
				}
			}
		}
	}
	return out
}

func who(code string) string {
	if n := schema.CountryName(code); n != "" && n != code {
		return code + " (" + n + ")"
	}
	return code
}

func withdrawalAlert(ev *schema.Event) schema.Alert {
	msg := fmt.Sprintf("%s withdrew commitment %s in %s", who(ev.Actor), ev.Withdrawal.CommitmentID, ev.Coalition)
	if ev.Withdrawal.Reason != "" {
		msg += ": " + ev.Withdrawal.Reason
	}
	return schema.Alert{
		Coalition: ev.Coalition, Country: ev.Actor, CommitmentID: ev.Withdrawal.CommitmentID,
		EventID: ev.ID.String(), Message: msg, OccurredAt: ev.OccurredAt,
	}
}

func conflictAlert(ev *schema.Event) schema.Alert {
	var msg string
	switch {
	case ev.Kind == schema.KindSanction && ev.Sanction != nil:
		msg = fmt.Sprintf("%s sanctioned %s, both members of %s: %s", who(ev.Actor), who(ev.Counterpart), ev.Coalition, ev.Sanction.Measure)
	case ev.Kind == schema.KindIncident && ev.Incident != nil:
		msg = fmt.Sprintf("incident between %s and %s, both members of %s: %s, severity %d", who(ev.Actor), who(ev.Counterpart), ev.Coalition, ev.Incident.Type, ev.Incident.Severity)
	default:
		msg = fmt.Sprintf("%s between %s and %s, both members of %s", ev.Kind, who(ev.Actor), who(ev.Counterpart), ev.Coalition)
	}
	return schema.Alert{
		Coalition: ev.Coalition, Country: ev.Actor, Counterpart: ev.Counterpart,
		EventID: ev.ID.String(), Message: msg, OccurredAt: ev.OccurredAt,
	}
}

func measure(p *schema.Pledge) string {
	parts := []string{string(p.Category)}
	if q, unit := p.Measure(); unit != "" {
		parts = append(parts, fmt.Sprintf("%g %s", q, unit))
	} else if p.Asset != "" {
		parts = append(parts, p.Asset)
	}
	return strings.Join(parts, ", ")
}

func firstPledgeAlert(ev *schema.Event) schema.Alert {
	a := schema.Alert{Coalition: ev.Coalition, Country: ev.Actor, EventID: ev.ID.String(), OccurredAt: ev.OccurredAt}
	a.Message = fmt.Sprintf("%s made its first pledge to %s", who(ev.Actor), ev.Coalition)
	if ev.Pledge != nil {
		a.CommitmentID = ev.Pledge.CommitmentID
		a.Message += fmt.Sprintf(": %s (%s)", ev.Pledge.CommitmentID, measure(ev.Pledge))
	}
	return a
}

func stance(s schema.Stance) string { return fmt.Sprintf("%+d %s", int(s), s) }

func stanceDropAlert(ev *schema.Event, from schema.Stance) schema.Alert {
	to := ev.Statement.Stance
	return schema.Alert{
		Coalition: ev.Coalition, Country: ev.Actor, EventID: ev.ID.String(), OccurredAt: ev.OccurredAt,
		Message: fmt.Sprintf("%s's stance toward %s fell %d steps, from %s to %s",
			who(ev.Actor), ev.Coalition, int(from-to), stance(from), stance(to)),
	}
}

func supportAlert(r *Rule, ev *schema.Event, before, after int) schema.Alert {
	counted := "countries"
	if len(r.Countries) > 0 {
		counted = "of " + strings.Join(r.Countries, ", ")
	}
	msg := fmt.Sprintf("%d %s support %s (stance +1 or more), below %d; it was %d", after, counted, ev.Coalition, r.Threshold, before)
	if ev.Kind == schema.KindStatement && ev.Statement != nil && !ev.Retracted {
		msg += fmt.Sprintf(" before %s's statement (%s)", ev.Actor, stance(ev.Statement.Stance))
	}
	return schema.Alert{Coalition: ev.Coalition, Country: ev.Actor, EventID: ev.ID.String(), Message: msg, OccurredAt: ev.OccurredAt}
}

func undeliveredAlert(r *Rule, coalition string, o overdueCommitment) schema.Alert {
	c := o.c
	what := string(c.Category)
	if c.Unit != "" {
		what += fmt.Sprintf(", %g %s", c.Pledged, c.Unit)
	} else if c.Asset != "" {
		what += ", " + c.Asset
	}
	state := string(c.State)
	if c.State == schema.StatePartlyDelivered && c.Unit != "" {
		state = fmt.Sprintf("partly delivered (%g of %g %s)", c.Delivered, c.Pledged, c.Unit)
	}
	day := "days"
	if r.Days == 1 {
		day = "day"
	}
	a := schema.Alert{
		Coalition: coalition, Country: c.Owner, CommitmentID: c.ID,
		Message: fmt.Sprintf("%s's commitment %s (%s) is still %s more than %d %s after it was pledged on %s",
			who(c.Owner), c.ID, what, state, r.Days, day, c.AnnouncedAt.UTC().Format("2006-01-02")),
		OccurredAt: c.AnnouncedAt.Add(time.Duration(r.Days) * 24 * time.Hour),
	}
	if o.pledge != nil {
		a.EventID = o.pledge.ID.String()
	}
	return a
}
