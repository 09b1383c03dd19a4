package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/httpapi"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// The tokens of these tests.
const (
	writeToken = "w-0123456789abcdef"
	readToken  = "r-fedcba9876543210"
)

const pledge = `{"kind":"pledge","coalition":"paris-2015","actor":"DEU","counterpart":"FRA","occurred_at":"2015-11-25T10:00:00Z","source":"https://www.reuters.com/a","pledge":{"commitment_id":"deu-mali","category":"military","asset":"troops","quantity":650,"unit":"soldiers","destination":"MLI"}}`

// StatusReader is a httpapi.StatusReader of function fields; nil fields
// answer nothing.
type StatusReader struct {
	CoalitionsFn func(ctx context.Context) ([]string, error)
}

var _ httpapi.StatusReader = (*StatusReader)(nil)

func (s *StatusReader) Coalitions(ctx context.Context) ([]string, error) {
	if s.CoalitionsFn == nil {
		return []string{"paris-2015"}, nil
	}
	return s.CoalitionsFn(ctx)
}

func (s *StatusReader) CountryStatusAsOf(context.Context, string, time.Time) ([]schema.CountryStatus, error) {
	return nil, nil
}

func (s *StatusReader) RecentStatus(context.Context, string) ([]schema.CountryStatus, clickhouse.Snapshot, bool, error) {
	return nil, clickhouse.Snapshot{}, true, nil
}

func (s *StatusReader) RunNamed(context.Context, string, map[string]any) (*clickhouse.Result, error) {
	return &clickhouse.Result{}, nil
}

// Publisher accepts every event.
type Publisher struct{}

var _ httpapi.Publisher = Publisher{}

func (Publisher) PublishBatch(_ context.Context, evs []*schema.Event) []producers.Result {
	out := make([]producers.Result, len(evs))
	for i, ev := range evs {
		out[i] = producers.Result{ID: ev.ID.String(), Seq: uint64(i + 1)}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// MustServe serves cfg's API on an httptest server.
func MustServe(tb testing.TB, cfg httpapi.Config) string {
	tb.Helper()
	if cfg.Status == nil {
		cfg.Status = &StatusReader{}
	}
	if cfg.Publisher == nil {
		cfg.Publisher = Publisher{}
	}
	srv := httptest.NewServer(httpapi.New(cfg).Handler())
	tb.Cleanup(srv.Close)
	return srv.URL
}

// request describes one request of a case.
type request struct {
	method, path string
	auth         string // Authorization header
	cookie       string // value of the dashboard cookie
	body         string
}

func do(tb testing.TB, base string, rq request) (*http.Response, []byte) {
	tb.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequest(rq.method, base+rq.path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if rq.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.auth != "" {
		req.Header.Set("Authorization", rq.auth)
	}
	if rq.cookie != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.TokenCookie, Value: rq.cookie})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// checkRefused checks a 401 answer: the challenge and the JSON body.
func checkRefused(tb testing.TB, resp *http.Response, b []byte, wantBearerErr string) {
	tb.Helper()
	challenge := resp.Header.Get("WWW-Authenticate")
	if !strings.HasPrefix(challenge, `Bearer realm="coalition"`) {
		tb.Errorf("WWW-Authenticate: got %q, want a Bearer challenge", challenge)
	}
	if got := strings.Contains(challenge, `error="invalid_token"`); got != (wantBearerErr == "invalid_token") {
		tb.Errorf("WWW-Authenticate: got %q, want error=%q", challenge, wantBearerErr)
	}
	var body struct{ Error, Code string }
	if err := json.Unmarshal(b, &body); err != nil {
		tb.Fatalf("401 body: %v in %s", err, b)
	}
	if body.Code != "unauthorized" || body.Error == "" {
		tb.Errorf("401 body: got %s, want code unauthorized and a message", b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("401 Content-Type: got %q", ct)
	}
}

// TestTokens runs requests against a server with only a write token (reads
// open) and one with both tokens.
func TestTokens(t *testing.T) {
	t.Parallel()
	writeOnly := MustServe(t, httpapi.Config{WriteToken: writeToken})
	both := MustServe(t, httpapi.Config{WriteToken: writeToken, ReadToken: readToken})
	none := MustServe(t, httpapi.Config{})
	cases := []struct {
		name       string
		base       string
		req        request
		wantStatus int
		wantErr    string // the challenge's error= on a 401
	}{
		{"OpenServerAcceptsAPost", none, request{method: "POST", path: "/api/v1/events", body: pledge}, 202, ""},
		{"ErrPostWithoutToken", writeOnly, request{method: "POST", path: "/api/v1/events", body: pledge}, 401, ""},
		{"ErrPostWrongToken", writeOnly, request{method: "POST", path: "/api/v1/events", body: pledge, auth: "Bearer nope"}, 401, "invalid_token"},
		{"ErrPostTokenPrefix", writeOnly, request{method: "POST", path: "/api/v1/events", body: pledge, auth: "Bearer " + writeToken[:5]}, 401, "invalid_token"},
		{"ErrPostBasicAuth", writeOnly, request{method: "POST", path: "/api/v1/events", body: pledge, auth: "Basic " + writeToken}, 401, "invalid_token"},
		{"ErrPostTokenInQuery", writeOnly, request{method: "POST", path: "/api/v1/events?token=" + writeToken, body: pledge}, 401, ""},
		{"ErrPostWithReadToken", both, request{method: "POST", path: "/api/v1/events", body: pledge, auth: "Bearer " + readToken}, 401, "invalid_token"},
		{"PostWriteToken", writeOnly, request{method: "POST", path: "/api/v1/events", body: pledge, auth: "Bearer " + writeToken}, 202, ""},
		{"PostSchemeAnyCase", writeOnly, request{method: "POST", path: "/api/v1/events", body: pledge, auth: "bearer " + writeToken}, 202, ""},
		{"ReadsOpenByDefault", writeOnly, request{method: "GET", path: "/api/v1/coalitions"}, 200, ""},
		{"MetricsOpenByDefault", writeOnly, request{method: "GET", path: "/metrics"}, 200, ""},

		{"ErrGetWithoutToken", both, request{method: "GET", path: "/api/v1/coalitions"}, 401, ""},
		{"ErrGetWrongToken", both, request{method: "GET", path: "/api/v1/coalitions", auth: "Bearer nope"}, 401, "invalid_token"},
		{"GetReadToken", both, request{method: "GET", path: "/api/v1/coalitions", auth: "Bearer " + readToken}, 200, ""},
		{"GetWriteTokenReadsToo", both, request{method: "GET", path: "/api/v1/coalitions", auth: "Bearer " + writeToken}, 200, ""},
		{"HeadReadToken", both, request{method: "HEAD", path: "/api/v1/coalitions", auth: "Bearer " + readToken}, 200, ""},
		{"GetQueryToken", both, request{method: "GET", path: "/api/v1/coalitions?token=" + readToken}, 200, ""},
		{"ErrGetWrongQueryToken", both, request{method: "GET", path: "/api/v1/coalitions?token=nope"}, 401, "invalid_token"},
		{"ErrMetricsWithoutToken", both, request{method: "GET", path: "/metrics"}, 401, ""},
		{"MetricsReadToken", both, request{method: "GET", path: "/metrics", auth: "Bearer " + readToken}, 200, ""},
		{"ErrFeedWithoutToken", both, request{method: "GET", path: "/api/v1/feed"}, 401, ""},
		// No hub in this server: 503 shows the request got past the check.
		{"FeedQueryToken", both, request{method: "GET", path: "/api/v1/feed?token=" + readToken}, 503, ""},
		{"ErrDashboardWithoutToken", both, request{method: "GET", path: "/"}, 401, ""},
		{"ErrStaleCookie", both, request{method: "GET", path: "/api/v1/coalitions", cookie: "0123"}, 401, "invalid_token"},
		{"ErrTokenAsCookie", both, request{method: "GET", path: "/api/v1/coalitions", cookie: readToken}, 401, "invalid_token"},
		{"LivezOpen", both, request{method: "GET", path: "/livez"}, 200, ""},
		{"ReadyzOpen", both, request{method: "GET", path: "/readyz"}, 200, ""},
		{"StaticOpen", both, request{method: "GET", path: "/static/app.css"}, 200, ""},
		{"ErrDotDotOutOfStatic", both, request{method: "GET", path: "/static/%2e%2e/api/v1/coalitions"}, 401, ""},
		{"SchemasOpen", both, request{method: "GET", path: "/schemas/v1/pledge.json"}, 200, ""},
		{"ErrDotDotOutOfSchemas", both, request{method: "GET", path: "/schemas/v1/%2e%2e/%2e%2e/api/v1/coalitions"}, 401, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, b := do(t, tc.base, tc.req)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("%s %s: got %d %s, want %d", tc.req.method, tc.req.path, resp.StatusCode, b, tc.wantStatus)
			}
			if tc.wantStatus == http.StatusUnauthorized {
				checkRefused(t, resp, b, tc.wantErr)
			}
		})
	}
}

// TestDashboardCookie opens the dashboard with ?token= as a browser would:
// the answer sets an HttpOnly cookie that is not the token and redirects to
// the page without the token; the cookie then reads the API and the feeds.
func TestDashboardCookie(t *testing.T) {
	t.Parallel()
	base := MustServe(t, httpapi.Config{WriteToken: writeToken, ReadToken: readToken})
	resp, b := do(t, base, request{method: "GET", path: "/?coalition=paris-2015&token=" + readToken})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /?token=: got %d %s, want 303", resp.StatusCode, b)
	}
	if got, want := resp.Header.Get("Location"), "/?coalition=paris-2015"; got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == httpapi.TokenCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no %s cookie in %q", httpapi.TokenCookie, resp.Header.Values("Set-Cookie"))
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
		t.Errorf("cookie: got HttpOnly=%v SameSite=%v Path=%q, want HttpOnly, SameSite=Strict, Path=/", cookie.HttpOnly, cookie.SameSite, cookie.Path)
	}
	if strings.Contains(cookie.Value, readToken) {
		t.Errorf("cookie holds the token itself: %q", cookie.Value)
	}
	for _, path := range []string{"/", "/api/v1/coalitions", "/metrics"} {
		if resp, b := do(t, base, request{method: "GET", path: path, cookie: cookie.Value}); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the cookie: got %d %s, want 200", path, resp.StatusCode, b)
		}
	}
	if resp, b := do(t, base, request{method: "POST", path: "/api/v1/events", body: pledge, cookie: cookie.Value}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST with the cookie: got %d %s, want 401 (the cookie only reads)", resp.StatusCode, b)
	}
	// A server with another read token does not take this cookie.
	other := MustServe(t, httpapi.Config{ReadToken: "another-read-token"})
	if resp, _ := do(t, other, request{method: "GET", path: "/api/v1/coalitions", cookie: cookie.Value}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("cookie of another token: got %d, want 401", resp.StatusCode)
	}
}

// TestTokensNotLogged sends wrong and right tokens, by header and by query,
// including to a handler that fails and logs the request, and checks that
// the log records the refusals without any token.
func TestTokensNotLogged(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	failing := &StatusReader{CoalitionsFn: func(context.Context) ([]string, error) { return nil, errors.New("clickhouse is down") }}
	base := MustServe(t, httpapi.Config{WriteToken: writeToken, ReadToken: readToken, Logger: log, Status: failing})
	wrong := "wrong-token-that-must-not-be-logged"
	for _, rq := range []request{
		{method: "POST", path: "/api/v1/events", body: pledge, auth: "Bearer " + wrong},
		{method: "GET", path: "/api/v1/countries?token=" + wrong},
		{method: "GET", path: "/api/v1/countries", auth: "Bearer " + wrong},
		{method: "GET", path: "/api/v1/coalitions?token=" + readToken},           // 500, logged by the handler
		{method: "GET", path: "/api/v1/coalitions", auth: "Bearer " + readToken}, // 500, logged by the handler
		{method: "POST", path: "/api/v1/events", body: pledge, auth: "Bearer " + writeToken},
	} {
		do(t, base, rq)
	}
	out := logs.String()
	if got := strings.Count(out, "http request refused"); got != 3 {
		t.Errorf("got %d refusals logged, want 3:\n%s", got, out)
	}
	if !strings.Contains(out, "request failed") || !strings.Contains(out, "path=/api/v1/coalitions") {
		t.Errorf("the failing handler's log is missing:\n%s", out)
	}
	for _, secret := range []string{wrong, readToken, writeToken, "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
}

func TestEqualTokens(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{"Same", "s3cret-token", "s3cret-token", true},
		{"BothEmpty", "", "", true},
		{"ErrOneByteDiffers", "s3cret-token", "s3cret-tokem", false},
		{"ErrPrefix", "s3cret", "s3cret-token", false},
		{"ErrLonger", "s3cret-token-and-more", "s3cret-token", false},
		{"ErrEmpty", "", "s3cret-token", false},
		{"ErrCase", "S3CRET-TOKEN", "s3cret-token", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := httpapi.EqualTokens(tc.a, tc.b); got != tc.want {
				t.Errorf("EqualTokens(%q, %q): got %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		tok, err := httpapi.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(tok) {
			t.Fatalf("token %q: want 43 base64url characters", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q twice", tok)
		}
		seen[tok] = true
	}
}
