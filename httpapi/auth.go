package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"path"
	"strings"
)

// Access control: bearer tokens (docs/security.md).
//
// Config.WriteToken, when set, guards every request that is not a read
// (anything but GET and HEAD; in practice POST /api/v1/events). It is
// accepted only in the Authorization header, so a link or a form on another
// site cannot write.
//
// Config.ReadToken, when set, guards every read except /livez, /readyz,
// the event contract's JSON Schemas and the dashboard's static files (which
// hold no data). A read accepts the read
// token or the write token, from the Authorization header, from ?token=
// (for EventSource, which cannot set headers), or from the cookie the
// dashboard gets by opening /?token=TOKEN once: that answer sets the cookie
// and redirects to the same page without the token, so the token leaves the
// address bar and the history, and the page's own requests and live feeds
// carry the cookie.
//
// Tokens are compared by their SHA-256 digests with crypto/subtle, so the
// time a comparison takes depends on neither the contents nor the length of
// what was sent. A refused request is logged without the token; handlers
// never see the Authorization header or the ?token= parameter.

const (
	// TokenQueryParam is the query parameter that carries a read token.
	TokenQueryParam = "token"
	// TokenCookie is the cookie the dashboard gets from /?token=.
	TokenCookie = "coalition_read"
	// codeUnauthorized is the error code of a 401 answer.
	codeUnauthorized = "unauthorized"
)

// NewToken returns a random token: 32 bytes from crypto/rand, base64url
// without padding (43 characters, safe in a header, a URL and a shell).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// EqualTokens reports whether a and b are the same token. It compares their
// SHA-256 digests with crypto/subtle.ConstantTimeCompare, so its running time
// reveals neither where they differ nor how long either is.
func EqualTokens(a, b string) bool {
	want := sha256.Sum256([]byte(b))
	return matches(a, &want)
}

// matches reports, in constant time, whether the digest of presented is
// want. A nil want matches nothing.
func matches(presented string, want *[sha256.Size]byte) bool {
	if want == nil {
		return false
	}
	got := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// tokenAuth is the middleware's state: the digests of the configured
// tokens (nil: not required).
type tokenAuth struct {
	write, read *[sha256.Size]byte
	// cookie is the digest of the dashboard cookie's value, an HMAC of the
	// read token: the browser never stores the token itself.
	cookie      *[sha256.Size]byte
	cookieValue string
	log         *slog.Logger
}

func newTokenAuth(writeToken, readToken string, log *slog.Logger) *tokenAuth {
	a := &tokenAuth{log: log}
	if writeToken != "" {
		d := sha256.Sum256([]byte(writeToken))
		a.write = &d
	}
	if readToken != "" {
		d := sha256.Sum256([]byte(readToken))
		a.read = &d
		mac := hmac.New(sha256.New, []byte(readToken))
		mac.Write([]byte("coalition dashboard cookie v1"))
		a.cookieValue = hex.EncodeToString(mac.Sum(nil))
		c := sha256.Sum256([]byte(a.cookieValue))
		a.cookie = &c
	}
	return a
}

// openPath reports whether a path is served without a token: the probes,
// the JSON Schemas and the dashboard's static files. The path is cleaned first, so that
// /static/../api/... is not open.
func openPath(p string) bool {
	p = path.Clean(p)
	return p == "/livez" || p == "/readyz" || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p+"/", schemaPrefix)
}

// wrap returns next behind the token checks.
func (a *tokenAuth) wrap(next http.Handler) http.Handler {
	if a.write == nil && a.read == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if openPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			a.serveWrite(w, r, next)
			return
		}
		a.serveRead(w, r, next)
	})
}

func (a *tokenAuth) serveWrite(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if a.write == nil {
		next.ServeHTTP(w, stripToken(r))
		return
	}
	tok, ok := bearer(r)
	switch {
	case !ok:
		a.refuse(w, r, "no token", "", "this request needs the write token: send the header Authorization: Bearer <write token>")
	case !matches(tok, a.write):
		a.refuse(w, r, "wrong token", "invalid_token", "the bearer token is not the write token")
	default:
		next.ServeHTTP(w, stripToken(r))
	}
}

func (a *tokenAuth) serveRead(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if a.read == nil {
		next.ServeHTTP(w, stripToken(r))
		return
	}
	if tok, ok := bearer(r); ok {
		if !a.readToken(tok) {
			a.refuse(w, r, "wrong token", "invalid_token", "the bearer token is neither the read token nor the write token")
			return
		}
		next.ServeHTTP(w, stripToken(r))
		return
	}
	if q := r.URL.Query(); q.Has(TokenQueryParam) {
		if !a.readToken(q.Get(TokenQueryParam)) {
			a.refuse(w, r, "wrong token", "invalid_token", "?token= is neither the read token nor the write token")
			return
		}
		if r.URL.Path == "/" {
			// The dashboard: keep the token in a cookie, not in the URL.
			http.SetCookie(w, &http.Cookie{
				Name: TokenCookie, Value: a.cookieValue, Path: "/",
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
			})
			q.Del(TokenQueryParam)
			target := "/"
			if len(q) > 0 {
				target += "?" + q.Encode()
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, stripToken(r))
		return
	}
	if c, err := r.Cookie(TokenCookie); err == nil {
		if !matches(c.Value, a.cookie) {
			a.refuse(w, r, "stale cookie", "invalid_token", "the dashboard cookie is out of date: open /?token=<read token> again")
			return
		}
		next.ServeHTTP(w, stripToken(r))
		return
	}
	a.refuse(w, r, "no token", "", "this request needs the read token: send the header Authorization: Bearer <read token>, or add ?token=<read token>; for the dashboard, open /?token=<read token> once")
}

// readToken reports whether tok is the read or the write token, comparing
// with both whatever the first answer.
func (a *tokenAuth) readToken(tok string) bool {
	r, w := matches(tok, a.read), matches(tok, a.write)
	return r || w
}

// refuse answers 401 and logs why, never the token.
func (a *tokenAuth) refuse(w http.ResponseWriter, r *http.Request, reason, bearerErr, msg string) {
	a.log.Warn("http request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "reason", reason)
	challenge := `Bearer realm="coalition"`
	if bearerErr != "" {
		challenge += `, error="` + bearerErr + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: msg, Code: codeUnauthorized})
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true // present but not a bearer token: matches nothing
	}
	return strings.TrimSpace(tok), true
}

// stripToken returns r without its Authorization header and ?token=, so
// that no handler can log or echo them.
func stripToken(r *http.Request) *http.Request {
	hasQuery := r.URL.RawQuery != "" && r.URL.Query().Has(TokenQueryParam)
	if r.Header.Get("Authorization") == "" && !hasQuery {
		return r
	}
	r2 := r.WithContext(r.Context()) // a shallow copy
	r2.Header = r.Header.Clone()
	r2.Header.Del("Authorization")
	if hasQuery {
		u := *r.URL
		q := u.Query()
		q.Del(TokenQueryParam)
		u.RawQuery = q.Encode()
		r2.URL = &u
		r2.RequestURI = u.RequestURI()
	}
	return r2
}
