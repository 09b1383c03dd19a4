package main

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// TestRoles runs serve's parts as separate Apps on one NATS server and one
// ClickHouse database, as separate processes would: an api, and two
// consume processes sharing one durable consumer. The numbers must equal
// the reference fold, as with one process.
func TestRoles(t *testing.T) {
	t.Parallel()
	_, natsURL := testkit.NATSListening(t)
	addr, db := testkit.ClickHouse(t)
	shared := []string{"--nats-url", natsURL, "--clickhouse-addr", addr, "--clickhouse-database", db, "--write-token", "none"}
	api := MustOpenApp(t, append([]string{"--roles", "api"}, shared...)...)
	consumers := []*App{
		MustOpenApp(t, append([]string{"--roles", "consume"}, shared...)...),
		MustOpenApp(t, append([]string{"--roles", "consume"}, shared...)...),
	}
	if api.Consumer != nil || api.HTTP == nil {
		t.Fatal("the api role runs a consumer, or no HTTP API")
	}
	for i, c := range consumers {
		if c.Consumer == nil || c.HTTP != nil || c.health == nil {
			t.Fatalf("consume process %d: consumer %v, API %v, health server %v", i, c.Consumer != nil, c.HTTP != nil, c.health != nil)
		}
	}

	const coalition = "roles"
	evs := eventgen.Events(rand.New(rand.NewPCG(8, 8)), 3000, eventgen.Options{Coalitions: []string{coalition}, Commitments: 40, Revisions: true})
	nc, err := natsjs.Connect(natsjs.ClientConfig{URL: natsURL}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	pub, err := producers.NewPublisher(nc)
	if err != nil {
		t.Fatal(err)
	}
	ptrs := make([]*schema.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	for _, r := range pub.PublishBatch(context.Background(), ptrs) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := natsjs.WaitAcked(ctx, js, natsjs.EventStream, "clickhouse-writer", 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	a, b := consumers[0].Consumer.Stats().Stored, consumers[1].Consumer.Stats().Stored
	t.Logf("stored by the two consume processes: %d and %d", a, b)
	if a+b < uint64(len(evs)) {
		t.Fatalf("the consume processes stored %d events, want at least %d", a+b, len(evs))
	}
	got, err := store.CountryStatus(ctx, coalition)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, evs, time.Now()))

	// The consume processes answer probes and scrapes.
	for i, c := range consumers {
		for _, path := range []string{"/livez", "/readyz", "/metrics"} {
			resp, err := http.Get(c.URL() + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("consume %d %s: %d %s", i, path, resp.StatusCode, body)
			}
			if path == "/metrics" && !strings.Contains(string(body), "coalition_") {
				t.Errorf("consume %d /metrics has no coalition_ metric", i)
			}
		}
	}
}

// TestRoleAloneNeedsADeployment: a role on its own does not start its own
// NATS or ClickHouse; with neither configured nor a serve on the data
// directory, it says what to set.
func TestRoleAloneNeedsADeployment(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"consume", "--data-dir", t.TempDir()},
		{"api", "--data-dir", t.TempDir()},
		{"alerts", "run", "--data-dir", t.TempDir()},
		{"serve", "--roles", "consume,warp", "--data-dir", t.TempDir()},
		{"serve", "--clickhouse-cluster", "coalition", "--data-dir", t.TempDir()},
	} {
		var stderr strings.Builder
		code := Run(context.Background(), args, strings.NewReader(""), io.Discard, &stderr)
		if code != 2 {
			t.Errorf("%v: exit code %d, want 2 (usage)\n%s", args, code, stderr.String())
		}
		want := "NATS_URL"
		switch {
		case args[0] == "serve" && args[1] == "--roles":
			want = `unknown role "warp"`
		case args[0] == "serve":
			want = "--clickhouse-addr"
		}
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("%v: stderr %q does not mention %s", args, stderr.String(), want)
		}
	}
}

func TestStreamFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--stream-replicas", "3", "--stream-max-age", "2160h", "--stream-duplicates", "2m", "--stream-placement", "cluster=east,tag=ssd,tag=eu"}, true},
		{[]string{"--stream-replicas", "0"}, false},
		{[]string{"--stream-max-age", "forever"}, false},
		{[]string{"--stream-duplicates", "0"}, false},
		{[]string{"--stream-placement", "rack=3"}, false},
	} {
		var cfg serveConfig
		f := newFlags("serve", "", io.Discard, func(string) string { return "" })
		cfg.register(f)
		if err := f.parse(tc.args); err != nil {
			t.Fatal(err)
		}
		sc, err := cfg.streamConfig()
		if (err == nil) != tc.ok {
			t.Errorf("%v: err %v, want ok %v", tc.args, err, tc.ok)
			continue
		}
		if tc.ok && len(tc.args) > 0 {
			if sc.Replicas != 3 || sc.MaxAge != 2160*time.Hour || sc.Duplicates != 2*time.Minute || sc.PlacementCluster != "east" || strings.Join(sc.PlacementTags, ",") != "ssd,eu" {
				t.Errorf("%v: %+v", tc.args, sc)
			}
		}
		if tc.ok && len(tc.args) == 0 && (sc.Replicas != 1 || sc.MaxAge != 0 || sc.Duplicates != 10*time.Minute) {
			t.Errorf("defaults: %+v", sc)
		}
	}
}

// TestCountriesStaleOK asks for the latest stored status with ?stale=ok:
// it comes with its snapshot's times and whether it is current.
func TestCountriesStaleOK(t *testing.T) {
	t.Parallel()
	app := MustOpenApp(t, "--write-token", "none", "--status-refresh", "0")
	const coalition = "stale-ok"
	evs := eventgen.Events(rand.New(rand.NewPCG(5, 5)), 200, eventgen.Options{Coalitions: []string{coalition}, Commitments: 10})
	ptrs := make([]*schema.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	for _, r := range app.Publisher.PublishBatch(context.Background(), ptrs) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	js, err := jetstream.New(app.NC)
	if err != nil {
		t.Fatal(err)
	}
	if err := natsjs.WaitAcked(context.Background(), js, natsjs.EventStream, "clickhouse-writer", time.Minute); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(app.URL() + "/api/v1/countries?coalition=" + coalition + "&stale=ok")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Countries []map[string]any `json:"countries"`
		Snapshot  *struct {
			AsOf       time.Time `json:"as_of"`
			ComputedAt time.Time `json:"computed_at"`
			Current    bool      `json:"current"`
		} `json:"snapshot"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || body.Snapshot == nil || !body.Snapshot.Current || body.Snapshot.AsOf.IsZero() || len(body.Countries) != len(schema.FoldAsOf(coalition, evs, time.Now())) {
		t.Errorf("status %d, snapshot %+v, %d countries", resp.StatusCode, body.Snapshot, len(body.Countries))
	}
}
