package schema_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// A producer parses a report, fills what it left out and encodes it for
// NATS: Germany pledges up to 650 soldiers for Mali, to relieve French
// troops after the Paris attacks.
func ExampleParseEvent() {
	data := []byte(`{
		"kind": "pledge",
		"coalition": "paris-2015",
		"actor": "DEU",
		"counterpart": "FRA",
		"occurred_at": "2015-11-25T11:00:00Z",
		"source": "https://www.bundeswehr.de/de/einsaetze-bundeswehr/mali-minusma-650-soldaten",
		"pledge": {
			"commitment_id": "DEU-mali-650",
			"category": "military",
			"asset": "troops",
			"quantity": 650,
			"unit": "soldiers",
			"destination": "MLI"
		}
	}`)
	ev, err := schema.ParseEvent(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := ev.Normalize(time.Date(2015, 11, 25, 17, 0, 0, 0, time.UTC)); err != nil {
		fmt.Println(err)
		return
	}
	msg, err := schema.Encode(&ev, "/producers/example")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msg.Subject)
	fmt.Println(msg.Header[schema.HeaderType])
	fmt.Println(msg.Header[schema.HeaderDataSchema])
	fmt.Println(msg.Header[schema.HeaderID] == ev.ID.String())
	size, unit := ev.Pledge.Measure()
	fmt.Println(size, unit, "to", schema.CountryName(ev.Pledge.Destination))
	// Output:
	// coalition.paris-2015.DEU.pledge
	// dev.coalition.pledge.v1
	// https://coalition.dev/schemas/v1/pledge.json
	// true
	// 650 soldiers to Mali
}

// Every problem with an event comes back at once, each with its field path.
func ExampleParseEvent_invalid() {
	_, err := schema.ParseEvent([]byte(`{
		"kind": "pledge",
		"coalition": "paris-2015",
		"actor": "XYZ",
		"occurred_at": "2015-11-25T11:00:00Z",
		"source": "https://example.org/",
		"pledge": {"commitment_id": "DEU-mali-650", "category": "military", "asset": "troops", "quantity": 650, "unit": "soldiers", "destination": "MAL"}
	}`))
	fmt.Println(schema.ErrorCode(err))
	for _, p := range schema.ErrorProblems(err) {
		fmt.Println(p)
	}
	// Output:
	// invalid
	// actor: unknown country code "XYZ": want an ISO 3166-1 alpha-3 code such as FRA
	// pledge.destination: unknown country code "MAL": want an ISO 3166-1 alpha-3 code such as MLI
}

func ExampleSubject() {
	s, err := schema.Subject("paris-2015", "TUR", schema.KindIncident)
	fmt.Println(s, err)

	_, err = schema.Subject("paris.2015", "TUR", schema.KindIncident)
	fmt.Println(err)

	coalition, country, kind, err := schema.ParseSubject("coalition.paris-2015.GBR.deployment")
	fmt.Println(coalition, country, kind, err)
	// Output:
	// coalition.paris-2015.TUR.incident <nil>
	// subject: coalition "paris.2015" is not a slug of lower-case letters, digits and hyphens
	// paris-2015 GBR deployment <nil>
}

func ExampleSubjectFilter() {
	all, _ := schema.SubjectFilter("", "", "")
	germany, _ := schema.SubjectFilter("paris-2015", "DEU", "")
	pledges, _ := schema.SubjectFilter("", "", schema.KindPledge)
	fmt.Println(all)
	fmt.Println(germany)
	fmt.Println(pledges)
	// Output:
	// coalition.*.*.*
	// coalition.paris-2015.DEU.*
	// coalition.*.*.pledge
}

func ExampleReadNDJSON() {
	input := strings.Join([]string{
		`{"id":"01513f96-6680-7880-8803-e0ec32d81f8e","kind":"statement","coalition":"paris-2015","actor":"FRA","occurred_at":"2015-11-16T15:00:00Z","reported_at":"2015-11-16T16:20:00Z","source":"https://www.elysee.fr/","statement":{"stance":2}}`,
		``,
		`{"kind":"statement","coalition":"paris-2015","actor":"FRA","occurred_at":"2015-11-16T15:00:00Z","source":"https://www.elysee.fr/","statement":{"stance":3}}`,
	}, "\n")
	_ = schema.ReadNDJSON(strings.NewReader(input), func(line int, ev schema.Event, err error) error {
		if err != nil {
			fmt.Println(err)
			return nil
		}
		fmt.Printf("line %d: %s is %s\n", line, ev.Actor, ev.Statement.Stance)
		return nil
	})
	// Output:
	// line 1: FRA is strongly_supportive
	// invalid event: line 3: statement.stance: must be on the scale -2..2, got 3
}

func ExampleFold() {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	mali := 650.0
	first := 200.0
	events := []schema.Event{
		{Kind: schema.KindPledge, Coalition: "paris-2015", Actor: "DEU", OccurredAt: at("2015-11-25T11:00:00Z"),
			Pledge: &schema.Pledge{CommitmentID: "DEU-mali-650", Category: schema.CategoryMilitary, Asset: "troops", Quantity: &mali, Unit: "soldiers"}},
		{Kind: schema.KindDeployment, Coalition: "paris-2015", Actor: "DEU", OccurredAt: at("2016-02-01T08:00:00Z"),
			Deployment: &schema.Deployment{CommitmentID: "DEU-mali-650", Quantity: &first}},
	}
	for i := range events {
		events[i].ReportedAt = events[i].OccurredAt
		events[i].Source = "https://www.bundeswehr.de/"
		_ = events[i].Normalize(events[i].OccurredAt)
	}
	for _, s := range schema.Fold("paris-2015", events) {
		for _, l := range s.Lines {
			fmt.Printf("%s %s: %g of %g %s delivered, %d open\n", s.Country, l.Category, l.Delivered, l.Pledged, l.Unit, s.Open)
		}
	}
	// Output:
	// DEU military: 200 of 650 soldiers delivered, 1 open
}

// A commitment's state depends on the moment it is judged at: the German
// cabinet commits 1,200 soldiers against Daesh, due by the end of 2016. In
// mid-2016 the commitment is open; by mid-2017, with nothing delivered, it
// has lapsed.
func ExampleFoldAsOf() {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	soldiers := 1200.0
	deadline := at("2016-12-31T00:00:00Z")
	events := []schema.Event{
		{Kind: schema.KindPledge, Coalition: "paris-2015", Actor: "DEU", OccurredAt: at("2015-12-01T12:00:00Z"),
			Pledge: &schema.Pledge{CommitmentID: "DEU-counter-daesh-2015", Category: schema.CategoryMilitary, Stage: schema.StageCommitted,
				Asset: "troops", Quantity: &soldiers, Unit: "soldiers", Deadline: &deadline}},
	}
	for i := range events {
		events[i].Source = "https://www.bundestag.de/"
		_ = events[i].Normalize(events[i].OccurredAt)
	}
	for _, moment := range []string{"2016-06-30T00:00:00Z", "2017-06-30T00:00:00Z"} {
		for _, s := range schema.FoldAsOf("paris-2015", events, at(moment)) {
			fmt.Printf("%s %s: %s, %d open, %d committed, %d lapsed\n", moment[:10], s.Country, s.Label, s.Open, s.ByState.Committed, s.ByState.Lapsed)
		}
	}
	// Output:
	// 2016-06-30 DEU: pledged, 1 open, 1 committed, 0 lapsed
	// 2017-06-30 DEU: neutral, 0 open, 0 committed, 1 lapsed
}

// Anomalies are recorded, not dropped: Canada delivers on Britain's
// commitment after Britain withdrew it.
func ExampleFoldCommitments() {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	one := 1.0
	events := []schema.Event{
		{Kind: schema.KindPledge, Actor: "GBR", OccurredAt: at("2015-11-23T10:30:00Z"),
			Pledge: &schema.Pledge{CommitmentID: "GBR-akrotiri", Category: schema.CategoryBasing, Asset: "air_base", Quantity: &one, Unit: "base"}},
		{Kind: schema.KindWithdrawal, Actor: "GBR", OccurredAt: at("2016-01-10T00:00:00Z"),
			Withdrawal: &schema.Withdrawal{CommitmentID: "GBR-akrotiri"}},
		{Kind: schema.KindDeployment, Actor: "CAN", OccurredAt: at("2016-01-12T00:00:00Z"),
			Deployment: &schema.Deployment{CommitmentID: "GBR-akrotiri", Complete: true}},
	}
	commitments, anomalies := schema.FoldCommitments(events, at("2016-02-01T00:00:00Z"))
	c := commitments["GBR-akrotiri"]
	fmt.Println(c.Owner, c.State, c.IsOpen())
	for _, a := range anomalies {
		fmt.Println(a.Country, a.Kind)
	}
	// Output:
	// GBR withdrawn false
	// CAN actor_mismatch
	// CAN delivery_after_withdrawal
}
