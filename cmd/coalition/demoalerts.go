package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/schema"
)

// demoRules are the alert rules demo uses when it is given none: one rule
// of every kind, delivered to a webhook receiver inside the demo process.
const demoRules = `# Written by coalition demo: one rule of every kind (docs/alerts.md).
subscribers:
  - name: demo-receiver
    url: %s
    secret: %s
rules:
  - {name: pledge-withdrawn, kind: withdrawal, subscribers: [demo-receiver]}
  - {name: stance-drop, kind: stance_drop, steps: 2, subscribers: [demo-receiver]}
  - {name: undelivered-30d, kind: undelivered, days: 30, subscribers: [demo-receiver]}
  - {name: member-conflict, kind: member_conflict, subscribers: [demo-receiver]}
  - {name: first-pledge, kind: first_pledge, subscribers: [demo-receiver]}
  - {name: support-low, kind: support_below, threshold: 5, subscribers: [demo-receiver]}
`

// demoReceiver is a webhook receiver that checks each delivery's signature
// and logs it, so the demo shows alerts travelling end to end.
type demoReceiver struct {
	srv      *http.Server
	url      string
	received atomic.Int64
}

// startDemoAlerts starts the receiver and writes the rules file into the
// data directory; it returns the file's path.
func startDemoAlerts(dataDir string, log *slog.Logger) (*demoReceiver, string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	secret := hex.EncodeToString(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("demo webhook receiver: %w", err)
	}
	d := &demoReceiver{url: "http://" + ln.Addr().String() + "/hooks/coalition"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/coalition", func(w http.ResponseWriter, r *http.Request) {
		body, err := alerts.VerifyRequest(r, secret, 5*time.Minute)
		if err != nil {
			log.Warn("demo webhook: rejected a delivery", "err", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var a schema.Alert
		if err := json.Unmarshal(body, &a); err == nil {
			d.received.Add(1)
			log.Info("demo webhook: alert received", "rule", a.Rule, "country", a.Country, "message", a.Message)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go d.srv.Serve(ln)
	path := filepath.Join(dataDir, "demo-alerts.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(demoRules, d.url, secret)), 0o600); err != nil {
		d.srv.Close()
		return nil, "", err
	}
	return d, path, nil
}

func (d *demoReceiver) Close() error { return d.srv.Close() }
