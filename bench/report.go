package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Report holds a run's figures. Rates are events per second, times in
// milliseconds or seconds as their names say, memory in MiB.
type Report struct {
	Started time.Time    `json:"started"`
	Elapsed float64      `json:"elapsed_seconds"`
	Machine Machine      `json:"machine"`
	Config  ReportConfig `json:"config"`

	Ceilings Ceilings    `json:"ceilings"`
	EndToEnd *Throughput `json:"end_to_end,omitempty"`
	// Stored is the end-to-end run timed until every event was stored,
	// before the status was read.
	Stored  *Throughput    `json:"end_to_end_stored,omitempty"`
	Drain   *Throughput    `json:"drain,omitempty"`
	Latency []Latency      `json:"latency,omitempty"`
	Status  *StatusFigures `json:"status,omitempty"`
	// Scale is the drain with 1, 2, 4 consume processes; Ratio is to one.
	Scale  []Throughput `json:"scale,omitempty"`
	Memory Memory       `json:"memory"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs              int    `json:"cpus"`
	GOMAXPROCS        int    `json:"gomaxprocs"`
	OS                string `json:"os"`
	GoVersion         string `json:"go"`
	NATSVersion       string `json:"nats_server"`
	ClickHouseVersion string `json:"clickhouse"`
}

// ReportConfig is the configuration a report was made with.
type ReportConfig struct {
	Events       int     `json:"events"`
	Batch        int     `json:"batch"`
	Rates        []int   `json:"rates"`
	RateSeconds  float64 `json:"rate_seconds"`
	StatusEvents int     `json:"status_events"`
	Countries    int     `json:"countries"`
	Commitments  int     `json:"commitments"`
}

// Throughput is one timed run over a number of events. Ratio compares it
// with the ceiling named in Ceiling.
type Throughput struct {
	Events    int     `json:"events"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	PeakRSSMB float64 `json:"peak_rss_mib,omitempty"`
	Ceiling   string  `json:"ceiling,omitempty"`
	Ratio     float64 `json:"ratio,omitempty"`
	Note      string  `json:"note,omitempty"`
}

// Ceilings are the parts measured alone.
type Ceilings struct {
	Publish      Throughput `json:"jetstream_publish"`
	Fetch        Throughput `json:"jetstream_fetch"`
	PublishFetch Throughput `json:"jetstream_publish_and_fetch"`
	Insert1k     Throughput `json:"clickhouse_insert_1k"`
	Insert10k    Throughput `json:"clickhouse_insert_10k"`
}

// Latency is publish-to-queryable latency at one offered rate.
type Latency struct {
	Offered   int     `json:"offered_per_second"`
	Achieved  float64 `json:"achieved_per_second"`
	Events    int     `json:"events"`
	P50MS     float64 `json:"p50_ms"`
	P99MS     float64 `json:"p99_ms"`
	MaxMS     float64 `json:"max_ms"`
	PeakRSSMB float64 `json:"peak_rss_mib"`
}

// StatusFigures time the status of a coalition with Events stored events.
type StatusFigures struct {
	Events      int     `json:"events"`
	Countries   int     `json:"countries"`
	LoadSeconds float64 `json:"load_seconds"`
	// LiveMS is the time to compute the status from the stored events
	// (as the server measured it); RefreshMS adds storing it as the
	// coalition's snapshot. SnapshotP50MS and SnapshotMaxMS time reads of
	// the status while the snapshot is current.
	LiveMS        float64 `json:"live_ms"`
	RefreshMS     float64 `json:"refresh_ms"`
	SnapshotP50MS float64 `json:"snapshot_p50_ms"`
	SnapshotMaxMS float64 `json:"snapshot_max_ms"`
	Reads         int     `json:"snapshot_reads"`
}

// Memory is the process's resident memory: the peak of the whole run
// (which includes the events the run generates up front) and the peak while
// the consumer drained a full stream.
type Memory struct {
	PeakRSSMB       float64 `json:"peak_rss_mib"`
	DrainRSSMB      float64 `json:"drain_rss_mib"`
	DrainStartRSSMB float64 `json:"drain_start_rss_mib"`
}

// ratios fills each figure's ratio to the ceiling it is held against.
func (r *Report) ratios() {
	set := func(t *Throughput, name string, c Throughput) {
		if t == nil || c.PerSecond == 0 {
			return
		}
		t.Ceiling, t.Ratio = name, t.PerSecond/c.PerSecond
	}
	set(r.EndToEnd, "jetstream_publish_and_fetch", r.Ceilings.PublishFetch)
	set(r.Stored, "jetstream_publish_and_fetch", r.Ceilings.PublishFetch)
	set(r.Drain, "jetstream_fetch", r.Ceilings.Fetch)
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as a table for people.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Coalition benchmark, %s (%.0f s)\n", r.Started.Format(time.RFC3339), r.Elapsed)
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s, nats-server %s, ClickHouse %s\n", r.Machine.CPUs, r.Machine.OS, r.Machine.GoVersion, r.Machine.NATSVersion, r.Machine.ClickHouseVersion)
	fmt.Fprintf(w, "events: %d per throughput phase, %d countries, %d commitments, consumer batch %s\n\n",
		r.Config.Events, r.Config.Countries, r.Config.Commitments, orDefault(r.Config.Batch))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measure\tevents/s\tseconds\tratio\tpeak RSS MiB\t")
	row := func(name string, t *Throughput) {
		if t == nil || t.Events == 0 {
			return
		}
		ratio := ""
		if t.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", t.Ratio)
		}
		rssCol := ""
		if t.PeakRSSMB > 0 {
			rssCol = fmt.Sprintf("%.0f", t.PeakRSSMB)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%s\t%s\t\n", name, t.PerSecond, t.Seconds, ratio, rssCol)
	}
	row("end to end (publish, validate, store, status)", r.EndToEnd)
	row("end to end until stored (before the status)", r.Stored)
	row("drain (consumer alone, full stream)", r.Drain)
	row("ceiling: JetStream publish alone", &r.Ceilings.Publish)
	row("ceiling: JetStream fetch alone", &r.Ceilings.Fetch)
	row("ceiling: JetStream publish and fetch together", &r.Ceilings.PublishFetch)
	row("ceiling: ClickHouse insert, batches of 1k", &r.Ceilings.Insert1k)
	row("ceiling: ClickHouse insert, batches of 10k", &r.Ceilings.Insert10k)
	tw.Flush()
	var notes []string
	if r.EndToEnd != nil && r.EndToEnd.Note != "" {
		notes = append(notes, "end to end: "+r.EndToEnd.Note)
	}
	if r.EndToEnd != nil && r.EndToEnd.Ratio > 0 {
		notes = append(notes, "end to end is held against publish-and-fetch-together; drain against fetch alone")
	}
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	if len(r.Latency) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "publish to queryable\tachieved/s\tevents\tp50 ms\tp99 ms\tmax ms\tpeak RSS MiB\t")
		for _, l := range r.Latency {
			fmt.Fprintf(tw, "offered %d events/s\t%.0f\t%d\t%.1f\t%.1f\t%.1f\t%.0f\t\n", l.Offered, l.Achieved, l.Events, l.P50MS, l.P99MS, l.MaxMS, l.PeakRSSMB)
		}
		tw.Flush()
	}
	if len(r.Scale) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "drain, coalition consume processes\tevents/s\tseconds\tratio to one\tpeak RSS MiB per process\t")
		for _, t := range r.Scale {
			fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.0f\t\n", t.Note, t.PerSecond, t.Seconds, t.Ratio, t.PeakRSSMB)
		}
		tw.Flush()
	}
	if s := r.Status; s != nil {
		fmt.Fprintf(w, "\nstatus of %d countries over %d stored events (loaded in %.0f s):\n", s.Countries, s.Events, s.LoadSeconds)
		fmt.Fprintf(w, "  computed from the events: %.0f ms\n", s.LiveMS)
		if s.Reads > 0 {
			fmt.Fprintf(w, "  snapshot refresh: %.0f ms; read while current: p50 %.1f ms, max %.1f ms (%d reads)\n", s.RefreshMS, s.SnapshotP50MS, s.SnapshotMaxMS, s.Reads)
		}
	}
	fmt.Fprintf(w, "\nmemory: peak RSS %.0f MiB over the run (generated events included); %.0f MiB at most while draining a full stream (%.0f MiB before the consumer started)\n",
		r.Memory.PeakRSSMB, r.Memory.DrainRSSMB, r.Memory.DrainStartRSSMB)
	return nil
}

func orDefault(n int) string {
	if n == 0 {
		return "default"
	}
	return fmt.Sprint(n)
}
