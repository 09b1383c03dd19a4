package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/httpapi"
	"github.com/coalitiondev/coalition/schema"
)

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg commonConfig
	var coalition, format, asOf string
	f := newFlags("status", "Prints each country's commitment status in a coalition, read from ClickHouse.", stderr, nil)
	cfg.registerBase(f)
	cfg.registerClickHouse(f)
	f.str(&coalition, "coalition", "COALITION", "", "coalition slug (default: the only one stored)")
	f.str(&format, "format", "", "table", "output format: table, json or csv")
	f.str(&asOf, "as-of", "", "now", "status from what was known at this moment: now, 2015-11-27T12:00:00Z, or a date such as 2015-11-27 for the end of that day (UTC), its reports included")
	if err := f.parse(args); err != nil {
		return err
	}
	if format != "table" && format != "json" && format != "csv" {
		return usageError{fmt.Errorf("--format %q: want table, json or csv", format)}
	}
	at, err := clickhouse.ParseMoment(asOf, time.Now())
	if err != nil {
		return usageError{fmt.Errorf("--as-of: %v", err)}
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	store, closeFn, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer closeFn()
	if coalition == "" {
		if coalition, err = onlyCoalition(ctx, store); err != nil {
			return err
		}
	}
	sts, err := store.CountryStatusAsOf(ctx, coalition, at)
	if err != nil {
		return err
	}
	return writeStatus(stdout, format, coalition, at, sts)
}

// openStore connects to CLICKHOUSE_ADDR, else to the private server of a
// running serve (found through the data directory), else starts the
// private server on the data directory for the duration of the command.
func openStore(ctx context.Context, cfg *commonConfig, log *slog.Logger) (*clickhouse.Store, func(), error) {
	addrs := splitList(cfg.CHAddrs)
	var local *clickhouse.LocalServer
	if len(addrs) == 0 {
		cfg.CHUser, cfg.CHPassword = "default", ""
		if a := readRuntimeFile(cfg.DataDir, chAddrFile); a != "" {
			addrs = []string{a}
		}
	}
	store, err := (*clickhouse.Store)(nil), error(nil)
	if len(addrs) > 0 {
		store, err = clickhouse.Open(ctx, cfg.clickhouseConfig(addrs, len(splitList(cfg.CHAddrs)) == 0, log))
	}
	if len(addrs) == 0 || (err != nil && len(splitList(cfg.CHAddrs)) == 0) {
		local, err = clickhouse.StartLocal(ctx, clickhouse.LocalOptions{Dir: filepath.Join(cfg.DataDir, "clickhouse"), Logger: log})
		if err != nil {
			return nil, nil, fmt.Errorf("no CLICKHOUSE_ADDR given and no private server could start under %s: %w", cfg.DataDir, err)
		}
		store, err = clickhouse.Open(ctx, cfg.clickhouseConfig([]string{local.Addr()}, true, log))
	}
	if err != nil {
		if local != nil {
			local.Stop()
		}
		return nil, nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		if local != nil {
			local.Stop()
		}
		return nil, nil, err
	}
	return store, func() {
		store.Close()
		if local != nil {
			local.Stop()
		}
	}, nil
}

// writeStatus renders country status as known at asOf as a table, JSON or
// CSV. The table shows each line's fulfilment and how long the oldest open
// commitment has been open at asOf; JSON and CSV give every field.
func writeStatus(w io.Writer, format, coalition string, asOf time.Time, sts []schema.CountryStatus) error {
	switch format {
	case "json":
		for i := range sts {
			if sts[i].Lines == nil {
				sts[i].Lines = []schema.StatusLine{} // [] like the API, not null
			}
			if sts[i].ConflictsWith == nil {
				sts[i].ConflictsWith = []string{}
			}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"coalition": coalition, "countries": sts})
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"coalition", "country", "name", "label", "stance", "stance_name", "prev_stance", "events", "meetings", "last_meeting_at",
			"pledges", "deployments", "withdrawals", "commitments", "open", "announced", "committed", "allocated", "partly_delivered",
			"delivered", "withdrawn", "lapsed", "oldest_open_at", "unmatched", "anomalies", "sanctions_imposed", "sanctions_received",
			"incidents", "member_conflicts", "conflicts_with", "last_activity_at", "pledged_delivered"})
		for _, st := range sts {
			stance, name, prev := "", "", ""
			if st.HasStance {
				stance, name = strconv.Itoa(int(st.Stance)), st.Stance.String()
			}
			if st.HasPrevStance {
				prev = strconv.Itoa(int(st.PrevStance))
			}
			b := st.ByState
			cw.Write([]string{coalition, st.Country, schema.CountryName(st.Country), string(st.Label), stance, name, prev,
				u(st.Events), u(st.Meetings), ts(st.LastMeetingAt), u(st.Pledges), u(st.Deployments), u(st.Withdrawals),
				u(st.Commitments), u(st.Open), u(b.Announced), u(b.Committed), u(b.Allocated), u(b.PartlyDelivered),
				u(b.Delivered), u(b.Withdrawn), u(b.Lapsed), ts(st.OldestOpenAt), u(st.Unmatched), u(st.Anomalies),
				u(st.SanctionsImposed), u(st.SanctionsReceived), u(st.Incidents), u(st.MemberConflicts), strings.Join(st.ConflictsWith, " "),
				ts(st.LastActivityAt), linesSummary(st.Lines)})
		}
		cw.Flush()
		return cw.Error()
	}
	fmt.Fprintf(w, "Coalition %s: %d countries\n\n", coalition, len(sts))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNTRY\tLABEL\tSTANCE\tPLEDGED → DELIVERED (FULFILMENT)\tOPEN\tOLDEST OPEN\tMEETINGS\tSANCTIONS BY/ON\tINCIDENTS\tANOMALIES\tLAST ACTIVITY")
	for _, st := range sts {
		stance := "-"
		if st.HasStance {
			stance = fmt.Sprintf("%+d %s", st.Stance, st.Stance)
		}
		last := "-"
		if !st.LastActivityAt.IsZero() {
			last = st.LastActivityAt.Format("2006-01-02")
		}
		oldest := "-"
		if st.Open > 0 && !st.OldestOpenAt.IsZero() {
			oldest = age(asOf.Sub(st.OldestOpenAt))
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%d/%d\t%s\t%d\t%d/%d\t%d\t%d\t%s\n", st.Country, schema.CountryName(st.Country), st.Label, stance,
			orDash(linesSummary(st.Lines)), st.Open, st.Commitments, oldest, st.Meetings, st.SanctionsImposed, st.SanctionsReceived, st.Incidents, st.Anomalies, last)
	}
	return tw.Flush()
}

// linesSummary says what each status line pledged and delivered, with its
// fulfilment where something quantified was pledged.
func linesSummary(ls []schema.StatusLine) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		if l.Unit == "" {
			parts = append(parts, fmt.Sprintf("%s (%d unquantified)", l.Category, l.Commitments))
			continue
		}
		part := fmt.Sprintf("%s %s %s → %s", l.Category, httpapi.FormatQty(l.Pledged), l.Unit, httpapi.FormatQty(l.Delivered))
		if l.Pledged > 0 {
			part += fmt.Sprintf(" (%.0f%%)", 100*l.Fulfilment)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// age says how long a duration is in one short figure: hours under two
// days, days under 90, months (of 30 days) under two years, else years (of
// 365 days), each rounded down.
func age(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < 0:
		return "0h"
	case d < 2*day:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d < 90*day:
		return fmt.Sprintf("%dd", d/day)
	case d < 730*day:
		return fmt.Sprintf("%dmo", d/(30*day))
	}
	return fmt.Sprintf("%dy", d/(365*day))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
