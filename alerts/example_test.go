package alerts_test

import (
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/coalitiondev/coalition/alerts"
)

// A receiver checks each delivery's signature (and its age, against
// replays) before it trusts the alert, and answers 2xx once it has taken
// it. Deliveries are at least once: the X-Coalition-Alert-Id header is the
// same on every attempt.
func ExampleVerifyRequest() {
	secret := "the subscriber's secret from the rules file"
	http.HandleFunc("POST /hooks/coalition", func(w http.ResponseWriter, r *http.Request) {
		body, err := alerts.VerifyRequest(r, secret, 5*time.Minute)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		log.Printf("alert %s: %s", r.Header.Get(alerts.HeaderAlertID), body)
		w.WriteHeader(http.StatusNoContent)
	})
}

func ExampleSign() {
	body := []byte(`{"id":"a"}`)
	sig := alerts.Sign("k", "1700000000", body)
	fmt.Println(sig)
	fmt.Println(alerts.VerifySignature("k", "1700000000", body, sig))
	fmt.Println(alerts.VerifySignature("k", "1700000001", body, sig))
	// Output:
	// sha256=59483f04a864c91c84acd1d88af1270fb2fd955c0786a4e3e1a27e0235f00948
	// true
	// false
}

func ExampleParseRules() {
	doc := `
subscribers:
  - name: newsroom
    url: https://newsroom.example.org/hooks/coalition
    secret: ${NEWSROOM_SECRET}
rules:
  - {name: stance-drop, kind: stance_drop, steps: 2, subscribers: [newsroom], cooldown: 6h}
  - {name: undelivered-30d, kind: undelivered, days: 30}
`
	env := func(k string) (string, bool) {
		return map[string]string{"NEWSROOM_SECRET": "s3cret"}[k], k == "NEWSROOM_SECRET"
	}
	rs, err := alerts.ParseRules([]byte(doc), env)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rs.Rules {
		fmt.Println(r.Name, r.Kind, r.Steps, r.Days, r.Cooldown, r.Subscribers)
	}
	_, err = alerts.ParseRules([]byte(doc), func(string) (string, bool) { return "", false })
	fmt.Println(err)
	// Output:
	// stance-drop stance_drop 2 0 6h0m0s [newsroom]
	// undelivered-30d undelivered 0 30 0s []
	// invalid alert rules: line 5: subscribers[0].secret: subscriber "newsroom": environment variable NEWSROOM_SECRET is not set
}
