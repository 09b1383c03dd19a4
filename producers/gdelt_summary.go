package producers

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/coalitiondev/coalition/schema"
)

// GDELTSummary counts what an import did. Every row read is either mapped
// or skipped for one reason: Read = Mapped + the sum of Skipped. Every
// mapped event is then published or failed, unless the run is a dry run or
// was interrupted: Mapped = Published + Failed.
type GDELTSummary struct {
	Coalition string `json:"coalition"`
	DryRun    bool   `json:"dry_run"`
	Files     int    `json:"files"`
	// FileErrors counts files, or archive entries, that could not be read
	// to their end: missing, not GDELT, not a readable archive, cut short.
	FileErrors int `json:"file_errors"`

	Read   int                 `json:"read"`
	Mapped int                 `json:"mapped"`
	ByKind map[schema.Kind]int `json:"by_kind"`
	ByCode map[string]int      `json:"by_code"` // mapped events by CAMEO code
	// CounterpartDropped counts mapped pledges whose Actor2CountryCode was
	// a region or unknown: kept, without counterpart or destination.
	CounterpartDropped int `json:"counterpart_dropped"`

	Skipped map[GDELTSkip]int `json:"skipped"`
	// SkippedBy breaks some reasons down by the code behind them: the
	// CAMEO code for unmapped_cameo, the country code for not_a_state,
	// unknown_country and filtered_country.
	SkippedBy map[GDELTSkip]map[string]int `json:"skipped_by"`

	// Published counts the events JetStream acknowledged; Duplicates, the
	// part of them it already had (PubAck.Duplicate); Failed, the events
	// not acknowledged after the publisher's retries.
	Published  int `json:"published"`
	Duplicates int `json:"duplicates"`
	Failed     int `json:"failed"`
}

func newGDELTSummary(coalition string, dryRun bool) GDELTSummary {
	return GDELTSummary{Coalition: coalition, DryRun: dryRun, ByKind: map[schema.Kind]int{}, ByCode: map[string]int{},
		Skipped: map[GDELTSkip]int{}, SkippedBy: map[GDELTSkip]map[string]int{}}
}

func (s *GDELTSummary) skip(reason GDELTSkip, detail string) {
	s.Skipped[reason]++
	if detail == "" {
		return
	}
	if s.SkippedBy[reason] == nil {
		s.SkippedBy[reason] = map[string]int{}
	}
	s.SkippedBy[reason][detail]++
}

func (s *GDELTSummary) mapped(ev *schema.Event, counterpartDropped bool) {
	s.Mapped++
	s.ByKind[ev.Kind]++
	s.ByCode[ev.GDELT.EventCode]++
	if counterpartDropped {
		s.CounterpartDropped++
	}
}

func (s GDELTSummary) clone() GDELTSummary {
	c := s
	c.ByKind, c.ByCode, c.Skipped = maps.Clone(s.ByKind), maps.Clone(s.ByCode), maps.Clone(s.Skipped)
	c.SkippedBy = map[GDELTSkip]map[string]int{}
	for k, v := range s.SkippedBy {
		c.SkippedBy[k] = maps.Clone(v)
	}
	return c
}

// SkippedTotal is the number of rows not imported, for every reason.
func (s *GDELTSummary) SkippedTotal() int {
	n := 0
	for _, v := range s.Skipped {
		n += v
	}
	return n
}

// Bad is the number of things lost to bad input: malformed rows, events
// the contract rejects, and files not read to their end. A clean import
// has none; skips for the other reasons are the mapping doing its job.
func (s *GDELTSummary) Bad() int {
	return s.Skipped[SkipMalformed] + s.Skipped[SkipInvalid] + s.FileErrors
}

// WriteText writes the summary for people: counts, with the CAMEO codes
// and country codes behind them named.
func (s *GDELTSummary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	files := "files"
	if s.Files == 1 {
		files = "file"
	}
	fmt.Fprintf(tw, "GDELT import into coalition %s: %d %s", s.Coalition, s.Files, files)
	if s.FileErrors > 0 {
		fmt.Fprintf(tw, ", %d not read to the end", s.FileErrors)
	}
	if s.DryRun {
		fmt.Fprint(tw, " (dry run: nothing published)")
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "read\t%d\trows\n", s.Read)
	var kinds []string
	for _, k := range schema.Kinds {
		if n := s.ByKind[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
	}
	fmt.Fprintf(tw, "mapped\t%d\t%s\n", s.Mapped, strings.Join(kinds, ", "))
	if !s.DryRun {
		fmt.Fprintf(tw, "published\t%d\tnew %d, duplicates %d\n", s.Published, s.Published-s.Duplicates, s.Duplicates)
		fmt.Fprintf(tw, "failed\t%d\t\n", s.Failed)
	}
	fmt.Fprintf(tw, "skipped\t%d\t\n", s.SkippedTotal())
	for _, r := range GDELTSkips {
		n := s.Skipped[r]
		if n == 0 {
			continue
		}
		detail := ""
		if by := s.SkippedBy[r]; len(by) > 0 {
			name := func(c string) string { return c }
			if r == SkipUnmappedCAMEO {
				name = describeCAMEO
			}
			detail = topCounts(by, 5, name)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", r, n, detail)
	}
	if s.CounterpartDropped > 0 {
		fmt.Fprintf(tw, "counterpart left out\t%d\tpledges with a region or unknown code as Actor2, kept without destination\n", s.CounterpartDropped)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.ByCode) > 0 {
		_, err := fmt.Fprintf(w, "mapped by CAMEO code: %s\n", topCounts(s.ByCode, 10, describeCAMEO))
		return err
	}
	return nil
}

// topCounts renders the n largest counts, largest first (ties by key),
// as "name (count)", and how many others there are.
func topCounts(m map[string]int, n int, name func(string) string) string {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	var parts []string
	for i, k := range keys {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", name(k), m[k]))
	}
	return strings.Join(parts, ", ")
}
