package httpapi

import (
	"encoding/csv"
	"net/http"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/schema"
)

// asOfParam reads ?as_of= (now, an RFC 3339 time, or a date for the end of
// that day, see clickhouse.ParseMoment); now if absent.
func asOfParam(r *http.Request) (time.Time, error) {
	t, err := clickhouse.ParseMoment(r.URL.Query().Get("as_of"), time.Now())
	if err != nil {
		return t, &schema.Error{Code: schema.EINVALID, Message: "invalid query", Problems: []schema.Problem{{Path: "as_of", Message: err.Error()}}}
	}
	return t, nil
}

func (s *Server) handleCatalog(w http.ResponseWriter, r *http.Request) {
	cat, err := clickhouse.Catalog()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queries": cat})
}

// handleAnalytics runs a catalog query. Parameters come from the URL query
// (?coalition=&as_of=&country=); format=csv answers CSV, else JSON with the
// columns, their ClickHouse types and the rows.
func (s *Server) handleAnalytics(w http.ResponseWriter, r *http.Request) {
	q, err := clickhouse.LookupQuery(r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	given := map[string]string{}
	format := "json"
	for k, vs := range r.URL.Query() {
		if k == "format" {
			format = vs[len(vs)-1]
			continue
		}
		given[k] = vs[len(vs)-1]
	}
	if format != "json" && format != "csv" {
		s.writeError(w, r, &schema.Error{Code: schema.EINVALID, Message: "invalid query", Problems: []schema.Problem{{Path: "format", Message: "want json or csv"}}})
		return
	}
	if _, ok := given["coalition"]; !ok {
		c, err := s.coalitionParam(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		given["coalition"] = c
	}
	params, err := q.BindParams(given, time.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.cfg.Status.RunNamed(r.Context(), q.Name, params)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		cw := csv.NewWriter(w)
		cw.Write(res.Columns)
		for _, row := range res.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = clickhouse.CellText(v) // NULL: an empty field
			}
			cw.Write(rec)
		}
		cw.Flush()
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"query": q.Name, "params": params, "columns": res.Columns, "types": res.Types, "rows": res.Rows})
}
