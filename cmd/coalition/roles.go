package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The parts of serve that can also run alone, each in as many processes as
// wanted (docs/deploy: issue 8).
const (
	RoleConsume = "consume" // the ClickHouse writer and the status refresher
	RoleAPI     = "api"     // HTTP API, live feeds, dashboard
	RoleAlerts  = "alerts"  // alert rule evaluation and deliveries
)

var allRoles = []string{RoleConsume, RoleAPI, RoleAlerts}

// roleSet is the set of roles one process runs.
type roleSet map[string]bool

func parseRoles(s string) (roleSet, error) {
	rs := roleSet{}
	for _, r := range splitList(s) {
		if !slices.Contains(allRoles, r) {
			return nil, usageError{fmt.Errorf("--roles: unknown role %q (roles: %s)", r, strings.Join(allRoles, ", "))}
		}
		rs[r] = true
	}
	if len(rs) == 0 {
		return nil, usageError{fmt.Errorf("--roles: want at least one of %s", strings.Join(allRoles, ", "))}
	}
	return rs, nil
}

// all reports whether the set is every role: serve's default, which may
// start its own NATS and ClickHouse.
func (rs roleSet) all() bool { return len(rs) == len(allRoles) }

func (rs roleSet) String() string {
	var out []string
	for _, r := range allRoles {
		if rs[r] {
			out = append(out, r)
		}
	}
	return strings.Join(out, ",")
}

// healthServer serves /livez, /readyz and /metrics for a process that runs
// no API role, so that orchestrators can probe it and Prometheus scrape it.
type healthServer struct {
	srv *http.Server
	ln  net.Listener
}

func startHealthServer(addr string, reg *prometheus.Registry, checks map[string]func(context.Context) error) (*healthServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health and metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var errs []error
		for _, name := range sortedNames(checks) {
			if err := checks[name](ctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	h := &healthServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	go h.srv.Serve(ln)
	return h, nil
}

// URL is the server's base URL.
func (h *healthServer) URL() string { return "http://" + h.ln.Addr().String() }

func (h *healthServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return h.srv.Shutdown(ctx)
}

func sortedNames(m map[string]func(context.Context) error) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
