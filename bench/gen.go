package bench

import (
	"encoding/json"
	"math/rand/v2"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/schema"
)

// Coalition is the coalition every generated event belongs to.
const Coalition = "bench"

// generator makes a realistic mix of valid events: every kind, a pool of
// countries and commitments, 200-400 bytes of JSON each. It is not safe for
// concurrent use.
type generator struct {
	mu   sync.Mutex
	r    *rand.Rand
	opts eventgen.Options
}

// benchCountries are the countries generated events draw from: the
// coalition of the Paris scenario and the rest of NATO and the EU.
var benchCountries = []string{"FRA", "DEU", "GBR", "ITA", "USA", "RUS", "TUR", "BEL", "NLD", "ESP",
	"POL", "DNK", "NOR", "SWE", "FIN", "CAN", "AUS", "JOR", "SAU", "ARE", "QAT", "EGY", "IRQ", "MAR",
	"PRT", "GRC", "CZE", "ROU", "HUN", "AUT", "CHE", "IRL", "LUX", "EST", "LVA", "LTU", "SVK", "SVN",
	"HRV", "BGR", "ALB", "MNE", "MKD", "ISL", "NZL", "JPN", "KOR", "UKR", "GEO", "ISR"}

func newGenerator(seed uint64, countries, commitments int) *generator {
	cs := benchCountries
	if countries < len(cs) {
		cs = cs[:countries]
	}
	return &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		opts: eventgen.Options{Coalitions: []string{Coalition}, Commitments: commitments, Countries: cs}}
}

// events returns n new events.
func (g *generator) events(n int) []*schema.Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*schema.Event, n)
	for i := range out {
		ev := eventgen.One(g.r, g.opts)
		out[i] = &ev
	}
	return out
}

// messages returns n new events as the wire messages a producer sends.
func (g *generator) messages(n int) ([]*nats.Msg, error) {
	evs := g.events(n)
	out := make([]*nats.Msg, n)
	for i, ev := range evs {
		m, err := schema.Encode(ev, "/producers/bench")
		if err != nil {
			return nil, err
		}
		msg := nats.NewMsg(m.Subject)
		msg.Data = m.Data
		for k, v := range m.Header {
			msg.Header.Set(k, v)
		}
		out[i] = msg
	}
	return out, nil
}

// rows returns n new events as the rows the consumer inserts.
func (g *generator) rows(n int, seq0 uint64) ([]clickhouse.Row, error) {
	evs := g.events(n)
	out := make([]clickhouse.Row, n)
	for i, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		out[i] = clickhouse.Row{Event: *ev, Data: data, StreamSeq: seq0 + uint64(i)}
	}
	return out, nil
}
