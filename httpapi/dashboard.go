package httpapi

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

var indexTmpl = template.Must(template.New("index").Funcs(template.FuncMap{
	"lines": linesText,
	"when": func(st schema.CountryStatus) string {
		if st.LastActivityAt.IsZero() {
			return "—"
		}
		return st.LastActivityAt.Format("2006-01-02")
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coalition</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.4rem;margin:0 0 .2rem} h2{font-size:1.1rem;margin:2rem 0 .5rem}
p.sub{color:#5b6475;margin:0 0 1.5rem}
table{border-collapse:collapse;width:100%} th,td{padding:.4rem .6rem;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#5b6475}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.s2{color:#0a7b3e;font-weight:600}.s1{color:#2f8f5b}.s0{color:#5b6475}.s-1{color:#b36b00}.s-2{color:#b3261e;font-weight:600}
code{background:#f3f4f7;padding:.1rem .3rem;border-radius:3px}
</style></head><body>
<h1>Coalition</h1>
<p class="sub">Who promised what to a coalition, and who delivered. API: <a href="/api/v1/coalitions"><code>/api/v1/coalitions</code></a>, <a href="/api/v1/countries"><code>/api/v1/countries</code></a>, <a href="/metrics"><code>/metrics</code></a>, <a href="/readyz"><code>/readyz</code></a>.</p>
{{if .Error}}<p>{{.Error}}</p>{{end}}
{{range .Coalitions}}
<h2>{{.Name}}</h2>
<table><thead><tr><th>Country</th><th>Label</th><th>Stance</th><th>Pledged → delivered</th><th class="n">Open</th><th class="n">Meetings</th><th class="n">Sanctions (by / on)</th><th class="n">Incidents</th><th>Last activity</th></tr></thead><tbody>
{{range .Countries}}<tr><td><strong>{{.Country}}</strong> {{.Name}}</td><td>{{.Label}}</td>
<td>{{if .HasStance}}<span class="s{{.Stance | printf "%d"}}">{{.StanceName}}</span>{{else}}—{{end}}</td>
<td>{{lines .CountryStatus}}</td><td class="n">{{.Open}}</td><td class="n">{{.Meetings}}</td>
<td class="n">{{.SanctionsImposed}} / {{.SanctionsReceived}}</td><td class="n">{{.Incidents}}</td><td>{{when .CountryStatus}}</td></tr>
{{end}}</tbody></table>
{{else}}<p>No events yet. Publish some with <code>coalition publish</code> or <code>POST /api/v1/events</code>.</p>{{end}}
</body></html>`))

// linesText renders a country's commitments compactly, such as
// "military 650 soldiers → 0; basing 1 air_base → 0".
func linesText(st schema.CountryStatus) string {
	if len(st.Lines) == 0 {
		return "—"
	}
	parts := make([]string, len(st.Lines))
	for i, l := range st.Lines {
		if l.Unit == "" {
			parts[i] = fmt.Sprintf("%s (%d unquantified)", l.Category, l.Commitments)
			continue
		}
		parts[i] = fmt.Sprintf("%s %s %s → %s", l.Category, FormatQty(l.Pledged), l.Unit, FormatQty(l.Delivered))
	}
	return strings.Join(parts, "; ")
}

// FormatQty formats a quantity without needless decimals.
func FormatQty(q float64) string {
	if q == float64(int64(q)) {
		return fmt.Sprintf("%d", int64(q))
	}
	return fmt.Sprintf("%.2f", q)
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	type coalitionView struct {
		Name      string
		Countries []CountryView
	}
	data := struct {
		Coalitions []coalitionView
		Error      string
	}{}
	cs, err := s.cfg.Status.Coalitions(r.Context())
	if err != nil {
		s.log.Error("index: list coalitions", "err", err)
		data.Error = "ClickHouse is not answering; see /readyz."
	}
	for _, c := range cs {
		sts, err := s.cfg.Status.CountryStatusAsOf(r.Context(), c, time.Now())
		if err != nil {
			s.log.Error("index: status", "coalition", c, "err", err)
			data.Error = "ClickHouse is not answering; see /readyz."
			break
		}
		v := coalitionView{Name: c}
		for _, st := range sts {
			v.Countries = append(v.Countries, view(st))
		}
		data.Coalitions = append(data.Coalitions, v)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := indexTmpl.Execute(w, data); err != nil {
		s.log.Error("index: render", "err", err)
	}
}

// handleStatic serves the dashboard's embedded assets under /static/.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	http.NotFound(w, r)
}
