package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// The dashboard: web/index.html is a template (the page, a plain table for
// readers without JavaScript, and the first status as JSON so the script
// paints without waiting for a request); everything else under web/ is
// served as is under /static/. The page reads the API and the live feeds
// itself (web/js/), and fetches nothing from anywhere else.
//
//go:embed web
var webFiles embed.FS

var indexTmpl = template.Must(template.New("index.html").Funcs(template.FuncMap{
	"lines": linesText,
	"when": func(st schema.CountryStatus) string {
		if st.LastActivityAt.IsZero() {
			return "—"
		}
		return st.LastActivityAt.Format("2006-01-02")
	},
}).ParseFS(webFiles, "web/index.html"))

// staticFile is one embedded asset, with its ETag worked out once.
type staticFile struct {
	body  []byte
	etag  string
	ctype string
}

var staticFiles = loadStatic()

// contentTypes maps the asset extensions the dashboard uses; anything else
// is not served.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/plain; charset=utf-8",
}

func loadStatic() map[string]staticFile {
	out := map[string]staticFile{}
	err := fs.WalkDir(webFiles, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "web/index.html" {
			return err
		}
		ctype, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		b, err := webFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(p, "web/")] = staticFile{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("dashboard assets: %v", err))
	}
	return out
}

// dashboardCSP keeps the page to its own origin: scripts and styles from
// /static/ only, no inline script, requests to this server only.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", dashboardCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// dashboardBoot is the first status the page paints, inlined as JSON: the
// same fields as GET /api/v1/coalitions and GET /api/v1/countries.
type dashboardBoot struct {
	Coalitions []string      `json:"coalitions"`
	Coalition  string        `json:"coalition"`
	AsOf       time.Time     `json:"as_of"`
	Countries  []CountryView `json:"countries"`
	Error      string        `json:"error,omitempty"`
}

// handleIndex serves the dashboard page for ?coalition= (default: the
// first coalition stored).
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	boot := dashboardBoot{Coalitions: []string{}, Countries: []CountryView{}, AsOf: time.Now().UTC().Truncate(time.Second)}
	cs, err := s.cfg.Status.Coalitions(r.Context())
	if err != nil {
		s.log.Error("index: list coalitions", "err", err)
		boot.Error = "ClickHouse is not answering; see /readyz."
	}
	if cs != nil {
		boot.Coalitions = cs
	}
	if want := r.URL.Query().Get("coalition"); want != "" && slices.Contains(cs, want) {
		boot.Coalition = want
	} else if len(cs) > 0 {
		boot.Coalition = cs[0]
	}
	if boot.Coalition != "" {
		sts, err := s.cfg.Status.CountryStatusAsOf(r.Context(), boot.Coalition, boot.AsOf)
		if err != nil {
			s.log.Error("index: status", "coalition", boot.Coalition, "err", err)
			boot.Error = "ClickHouse is not answering; see /readyz."
		}
		for _, st := range sts {
			boot.Countries = append(boot.Countries, view(st))
		}
		slices.SortFunc(boot.Countries, func(a, b CountryView) int { return strings.Compare(a.Country, b.Country) })
	}
	var buf bytes.Buffer
	if err := indexTmpl.Execute(&buf, boot); err != nil {
		s.log.Error("index: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// handleStatic serves the dashboard's embedded assets under /static/,
// with ETags so a reload costs a 304.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := staticFiles[strings.TrimPrefix(r.URL.Path, "/static/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

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
