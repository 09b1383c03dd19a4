package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/bench"
	"github.com/coalitiondev/coalition/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// TestRun runs every phase on a few thousand events against a real
// ClickHouse server and in-process JetStream, and checks that the report
// is complete and consistent. It asserts no speed: the figures are for
// reading (docs/performance.md).
func TestRun(t *testing.T) {
	addr, _ := testkit.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	bin := testkit.Coalition(t, "../cmd/coalition")
	rep, err := bench.Run(ctx, bench.Config{
		Events: 3000, Rates: []int{500}, RateDuration: time.Second, StatusEvents: 4000,
		ConsumeCommand: []string{bin, "consume"}, Processes: []int{1, 2},
		ClickHouse: []string{addr}, Dir: t.TempDir(), Progress: &progress,
	})
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, progress.String())
	}
	for name, tp := range map[string]*bench.Throughput{
		"end to end": rep.EndToEnd, "stored": rep.Stored, "drain": rep.Drain,
		"publish": &rep.Ceilings.Publish, "fetch": &rep.Ceilings.Fetch, "publish and fetch": &rep.Ceilings.PublishFetch,
		"insert 1k": &rep.Ceilings.Insert1k, "insert 10k": &rep.Ceilings.Insert10k,
	} {
		if tp == nil || tp.Events != 3000 || tp.PerSecond <= 0 || tp.Seconds <= 0 {
			t.Errorf("%s: %+v, want 3000 events at a positive rate", name, tp)
		}
	}
	if rep.EndToEnd.Ratio <= 0 || rep.Drain.Ratio <= 0 {
		t.Errorf("ratios not set: end to end %v, drain %v", rep.EndToEnd.Ratio, rep.Drain.Ratio)
	}
	if len(rep.Latency) != 1 || rep.Latency[0].Events != 500 || rep.Latency[0].P50MS <= 0 || rep.Latency[0].P99MS < rep.Latency[0].P50MS || rep.Latency[0].MaxMS < rep.Latency[0].P99MS {
		t.Errorf("latency: %+v", rep.Latency)
	}
	if s := rep.Status; s == nil || s.Events != 4000 || s.Countries == 0 || s.Reads == 0 || s.SnapshotP50MS <= 0 {
		t.Errorf("status: %+v", s)
	}
	if len(rep.Scale) != 2 || rep.Scale[0].Events != 3000 || rep.Scale[1].PerSecond <= 0 || rep.Scale[0].Ratio != 1 || rep.Scale[1].PeakRSSMB <= 0 {
		t.Errorf("scale: %+v", rep.Scale)
	}
	if rep.Memory.PeakRSSMB <= 0 || rep.Memory.DrainRSSMB <= 0 {
		t.Errorf("memory: %+v", rep.Memory)
	}
	var table, js bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"end to end", "ceiling: JetStream publish and fetch together", "publish to queryable", "status of", "memory"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back bench.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("report JSON does not read back: %v", err)
	}
	if back.EndToEnd == nil || back.EndToEnd.Events != 3000 {
		t.Errorf("JSON end to end: %+v", back.EndToEnd)
	}
}

func TestUnknownPhase(t *testing.T) {
	t.Parallel()
	_, err := bench.Run(context.Background(), bench.Config{Only: []string{"warp"}})
	if err == nil || !strings.Contains(err.Error(), `unknown phase "warp"`) {
		t.Fatalf("err = %v, want an unknown phase error", err)
	}
}
