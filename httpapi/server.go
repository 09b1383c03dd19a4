package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/feed"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// StatusReader reads country status and runs the analytics catalog.
// Implementations are safe for concurrent use.
type StatusReader interface {
	CountryStatusAsOf(ctx context.Context, coalition string, asOf time.Time) ([]schema.CountryStatus, error)
	// RecentStatus is the latest stored status, current or not.
	RecentStatus(ctx context.Context, coalition string) ([]schema.CountryStatus, clickhouse.Snapshot, bool, error)
	Coalitions(ctx context.Context) ([]string, error)
	RunNamed(ctx context.Context, name string, params map[string]any) (*clickhouse.Result, error)
}

var _ StatusReader = (*clickhouse.Store)(nil)

// Publisher publishes events and reports one result per event.
type Publisher interface {
	PublishBatch(ctx context.Context, evs []*schema.Event) []producers.Result
}

var _ Publisher = (*producers.Publisher)(nil)

// Check is a named readiness check; it returns nil when ready.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Config configures a Server.
type Config struct {
	Addr      string // listen address; ":0" or "127.0.0.1:0" for a random port
	Status    StatusReader
	Publisher Publisher
	Checks    []Check
	Gatherer  prometheus.Gatherer // for /metrics; default prometheus.DefaultGatherer
	// EventHub and AlertHub feed the live event and alert streams (SSE);
	// nil answers 503.
	EventHub *feed.Hub
	AlertHub *feed.Hub
	// RecentAlerts lists the latest alerts, newest first; nil lists none.
	RecentAlerts func(ctx context.Context, limit int) ([]feed.AlertPayload, error)
	// Deliveries returns the webhook delivery state; nil shows none.
	Deliveries func() any
	// Heartbeat is how often an idle SSE stream gets a ": heartbeat"
	// comment; default DefaultHeartbeat.
	Heartbeat time.Duration
	// MaxBodyBytes limits request bodies; default 16 MiB.
	MaxBodyBytes int64
	Logger       *slog.Logger
	// WriteToken, when set, is the bearer token that writes (POST
	// /api/v1/events) need; ReadToken, when set, the token that reads need
	// (the write token also reads). Empty: no token. See auth.go.
	WriteToken string
	ReadToken  string
}

// Server serves the HTTP API.
type Server struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener
	srv *http.Server
}

// New returns a Server; call Open to start listening.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = schema.MaxBatchBytes
	}
	if cfg.Gatherer == nil {
		cfg.Gatherer = prometheus.DefaultGatherer
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a body sent slowly cannot hold a connection forever
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	return s
}

// Handler returns the API's routes, behind the token checks of auth.go.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/v1/coalitions", s.handleCoalitions)
	mux.HandleFunc("GET /api/v1/countries", s.handleCountries)
	mux.HandleFunc("GET /api/v1/countries/{code}", s.handleCountry)
	mux.HandleFunc("POST /api/v1/events", s.handleEvents)
	mux.HandleFunc("GET /api/v1/feed", s.handleFeed)
	mux.HandleFunc("GET /api/v1/alerts", s.handleAlerts)
	mux.HandleFunc("GET /api/v1/alerts/feed", s.handleAlertFeed)
	mux.HandleFunc("GET /api/v1/alerts/deliveries", s.handleDeliveries)
	mux.HandleFunc("GET /api/v1/analytics", s.handleCatalog)
	mux.HandleFunc("GET /api/v1/analytics/{name}", s.handleAnalytics)
	mux.HandleFunc("GET "+schemaPrefix, s.handleSchema)
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.HandleFunc("GET /static/", s.handleStatic)
	return newTokenAuth(s.cfg.WriteToken, s.cfg.ReadToken, s.log).wrap(mux)
}

// Open starts listening and serving in the background.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops the server, letting requests in flight finish for up to 5s.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	out := map[string]string{}
	ok := true
	for _, c := range s.cfg.Checks {
		if err := c.Fn(ctx); err != nil {
			out[c.Name] = err.Error()
			ok = false
		} else {
			out[c.Name] = "ok"
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ok, "checks": out})
}

func (s *Server) handleCoalitions(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Status.Coalitions(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cs == nil {
		cs = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"coalitions": cs})
}

// coalitionParam returns ?coalition=, or the only coalition stored when
// there is exactly one.
func (s *Server) coalitionParam(r *http.Request) (string, error) {
	if c := r.URL.Query().Get("coalition"); c != "" {
		if _, err := schema.SubjectFilter(c, "", ""); err != nil {
			return "", &schema.Error{Code: schema.EINVALID, Message: "invalid query", Problems: []schema.Problem{{Path: "coalition", Message: "must be a slug of lower-case letters, digits and hyphens"}}}
		}
		return c, nil
	}
	cs, err := s.cfg.Status.Coalitions(r.Context())
	if err != nil {
		return "", err
	}
	switch len(cs) {
	case 0:
		return "", schema.Errorf(schema.ENOTFOUND, "no events stored yet")
	case 1:
		return cs[0], nil
	}
	return "", &schema.Error{Code: schema.EINVALID, Message: "invalid query", Problems: []schema.Problem{{Path: "coalition", Message: fmt.Sprintf("required when several coalitions are stored: one of %v", cs)}}}
}

// CountryView is a country's status as the API returns it, with its name.
type CountryView struct {
	Name string `json:"name"`
	schema.CountryStatus
	StanceName string `json:"stance_name,omitempty"`
}

func view(st schema.CountryStatus) CountryView {
	v := CountryView{Name: schema.CountryName(st.Country), CountryStatus: st}
	if st.Lines == nil {
		v.Lines = []schema.StatusLine{}
	}
	if st.ConflictsWith == nil {
		v.ConflictsWith = []string{} // [] like lines, not null
	}
	if st.HasStance {
		v.StanceName = st.Stance.String()
	}
	return v
}

func (s *Server) handleCountries(w http.ResponseWriter, r *http.Request) {
	c, err := s.coalitionParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	asOf, err := asOfParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// ?stale=ok (without as_of): the latest stored status at once, current
	// or not, with when it was computed; for dashboards of large
	// coalitions, whose status takes long to compute while events arrive.
	if r.URL.Query().Get("stale") == "ok" && r.URL.Query().Get("as_of") == "" {
		sts, sn, current, err := s.cfg.Status.RecentStatus(r.Context(), c)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"coalition": c, "as_of": sn.AsOf, "countries": views(sts),
			"snapshot": map[string]any{"as_of": sn.AsOf, "computed_at": sn.ComputedAt, "current": current}})
		return
	}
	sts, err := s.cfg.Status.CountryStatusAsOf(r.Context(), c, asOf)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"coalition": c, "as_of": asOf, "countries": views(sts)})
}

func (s *Server) handleCountry(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if _, ok := schema.LookupCountry(code); !ok {
		s.writeError(w, r, &schema.Error{Code: schema.EINVALID, Message: "invalid path", Problems: []schema.Problem{{Path: "code", Message: fmt.Sprintf("unknown country code %q: want an ISO 3166-1 alpha-3 code such as FRA", code)}}})
		return
	}
	c, err := s.coalitionParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	asOf, err := asOfParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sts, err := s.cfg.Status.CountryStatusAsOf(r.Context(), c, asOf)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, st := range sts {
		if st.Country == code {
			writeJSON(w, http.StatusOK, view(st))
			return
		}
	}
	s.writeError(w, r, schema.Errorf(schema.ENOTFOUND, "%s (%s) has no events in coalition %s", code, schema.CountryName(code), c))
}

// views returns the countries' views, sorted by country code.
func views(sts []schema.CountryStatus) []CountryView {
	out := make([]CountryView, 0, len(sts))
	for _, st := range sts {
		out = append(out, view(st))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Country < out[j].Country })
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ErrorStatus maps an error's code to an HTTP status. This is the one place
// where that mapping lives.
func ErrorStatus(err error) int {
	switch schema.ErrorCode(err) {
	case schema.EINVALID:
		return http.StatusBadRequest
	case schema.ENOTFOUND:
		return http.StatusNotFound
	case schema.ECONFLICT:
		return http.StatusConflict
	case schema.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case schema.EUNAVAIL:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error    string           `json:"error"`
	Code     string           `json:"code"`
	Problems []schema.Problem `json:"problems,omitempty"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := ErrorStatus(err)
	msg := err.Error()
	code := schema.ErrorCode(err)
	var e *schema.Error
	if errors.As(err, &e) && e.Message != "" {
		msg = e.Message
	}
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error"
	}
	writeJSON(w, status, errorBody{Error: msg, Code: code, Problems: schema.ErrorProblems(err)})
}
