package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// eventFlags maps command-line flags to event fields: flag name, JSON path.
var eventFlags = []struct{ flag, path, help string }{
	{"id", "id", "event id (UUID); made (UUIDv7) when missing"},
	{"revision", "revision", "correction number of the event id"},
	{"kind", "kind", "meeting, statement, pledge, deployment, withdrawal, sanction or incident"},
	{"coalition", "coalition", "coalition slug"},
	{"actor", "actor", "ISO 3166-1 alpha-3 code of the acting country"},
	{"counterpart", "counterpart", "ISO alpha-3 code of the other country"},
	{"occurred-at", "occurred_at", "when it happened, RFC 3339 (default now)"},
	{"reported-at", "reported_at", "when it was reported, RFC 3339 (default now)"},
	{"source", "source", "http(s) URL of the report"},
	{"confidence", "confidence", "0..1"},
	{"summary", "summary", "one-line summary"},
	{"stance", "statement.stance", "statement: -2 opposed .. 2 strongly_supportive"},
	{"quote", "statement.quote", "statement: quotation"},
	{"commitment", "", "pledge, deployment, withdrawal: commitment id"},
	{"category", "pledge.category", "pledge: military, financial, humanitarian, basing, diplomatic, intelligence, other"},
	{"asset", "pledge.asset", "pledge: troops, aircraft, ships, air_base, money, ..."},
	{"quantity", "", "pledge, deployment: quantity"},
	{"unit", "pledge.unit", "pledge: unit of the quantity"},
	{"amount", "pledge.amount", "pledge: money amount"},
	{"currency", "pledge.currency", "pledge: ISO 4217 currency of the amount"},
	{"destination", "pledge.destination", "pledge: ISO alpha-3 code of the destination"},
	{"complete", "deployment.complete", "deployment: true if the commitment is now delivered in full"},
	{"location", "", "meeting, deployment: location"},
	{"reason", "withdrawal.reason", "withdrawal: reason"},
	{"measure", "sanction.measure", "sanction: the measure imposed"},
	{"sector", "sanction.sector", "sanction: sector"},
	{"incident-type", "incident.type", "incident: type such as shootdown"},
	{"severity", "incident.severity", "incident: 1..5"},
	{"fatalities", "incident.fatalities", "incident: deaths"},
	{"description", "incident.description", "incident: description"},
	{"participants", "meeting.participants", "meeting: comma-separated ISO alpha-3 codes"},
	{"topic", "meeting.topic", "meeting: topic"},
}

func runPublish(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg commonConfig
	var file string
	var dryRun bool
	f := newFlags("publish", `Publishes events to JetStream. Give one event with flags (--kind pledge --actor DEU ...),
or JSON events on stdin or in an NDJSON file (--file F, "-" for stdin). Invalid lines are
reported with their line number and field path; valid lines are still published.`, stderr, nil)
	cfg.registerBase(f)
	cfg.registerNATS(f)
	f.str(&file, "file", "", "", "NDJSON file of events (\"-\" for stdin)")
	f.BoolVar(&dryRun, "dry-run", false, "validate only: report problems, publish nothing")
	vals := map[string]*string{}
	for _, ef := range eventFlags {
		v := new(string)
		vals[ef.flag] = v
		f.StringVar(v, ef.flag, "", ef.help)
	}
	if err := f.parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}

	var input io.Reader
	switch {
	case file == "-":
		input = compactIfOneDocument(stdin)
	case file != "":
		fh, err := os.Open(file)
		if err != nil {
			return schema.Errorf(schema.EINVALID, "open %s: %v", file, err)
		}
		defer fh.Close()
		input = fh
	case set["kind"]:
		doc, err := eventFromFlags(vals, set)
		if err != nil {
			return err
		}
		input = bytes.NewReader(doc)
	default:
		input = compactIfOneDocument(stdin)
	}

	if dryRun {
		return validateOnly(input, stdout, stderr)
	}
	nc, err := connectForClient(&cfg)
	if err != nil {
		return err
	}
	defer nc.Close()
	pub, err := producers.NewPublisher(nc, producers.WithSource("/producers/cli"), producers.WithLogger(log))
	if err != nil {
		return err
	}
	sum, err := publishNDJSON(ctx, pub, input, stdout, stderr)
	fmt.Fprintf(stderr, "published %d (%d already stored), invalid %d, failed %d\n", sum.published, sum.duplicates, sum.invalid, sum.failed)
	if err != nil {
		return err
	}
	if sum.failed > 0 {
		return fmt.Errorf("%d events could not be published", sum.failed)
	}
	if sum.invalid > 0 {
		return schema.Errorf(schema.EINVALID, "%d invalid events were not published", sum.invalid)
	}
	return nil
}

type publishSummary struct{ published, duplicates, invalid, failed int }

// publishNDJSON reads events and publishes them in batches, writing one
// line per published event to stdout and one per problem to stderr.
func publishNDJSON(ctx context.Context, pub *producers.Publisher, r io.Reader, stdout, stderr io.Writer) (publishSummary, error) {
	var sum publishSummary
	var batch []*schema.Event
	flush := func() {
		for _, res := range pub.PublishBatch(ctx, batch) {
			switch {
			case schema.ErrorCode(res.Err) == schema.EINVALID:
				sum.invalid++
				fmt.Fprintf(stderr, "event %s: %v\n", res.ID, res.Err)
			case res.Err != nil:
				sum.failed++
				fmt.Fprintf(stderr, "event %s: %v\n", res.ID, res.Err)
			case res.Duplicate:
				sum.duplicates++
				sum.published++
				fmt.Fprintf(stdout, "%s\t%s\tduplicate\n", res.ID, res.Subject)
			default:
				sum.published++
				fmt.Fprintf(stdout, "%s\t%s\tseq %d\n", res.ID, res.Subject, res.Seq)
			}
		}
		batch = batch[:0]
	}
	now := time.Now()
	err := schema.ReadNDJSON(r, func(line int, ev schema.Event, perr error) error {
		if perr == nil {
			perr = schema.CheckTimes(&ev, now)
		}
		if perr != nil {
			sum.invalid++
			for _, p := range schema.ErrorProblems(perr) {
				p.Line = line
				fmt.Fprintf(stderr, "%s\n", p)
			}
			if len(schema.ErrorProblems(perr)) == 0 {
				fmt.Fprintf(stderr, "line %d: %v\n", line, perr)
			}
			return nil
		}
		batch = append(batch, &ev)
		if len(batch) >= 1000 {
			flush()
		}
		return ctx.Err()
	})
	if len(batch) > 0 && ctx.Err() == nil {
		flush()
	}
	return sum, err
}

// eventFromFlags builds the JSON document of one event from flags, so that
// it is validated exactly like any other input.
func eventFromFlags(vals map[string]*string, set map[string]bool) ([]byte, error) {
	doc := map[string]any{}
	kind := *vals["kind"]
	put := func(path string, v any) {
		parts := strings.Split(path, ".")
		m := doc
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = v
	}
	for _, ef := range eventFlags {
		if !set[ef.flag] {
			continue
		}
		raw := *vals[ef.flag]
		path := ef.path
		switch ef.flag {
		case "commitment":
			path = kind + ".commitment_id"
		case "quantity":
			path = kind + ".quantity"
		case "location":
			path = kind + ".location"
		}
		var v any = raw
		switch ef.flag {
		case "revision", "stance", "severity", "fatalities":
			n, err := strconv.Atoi(raw)
			if err != nil {
				return nil, &schema.Error{Code: schema.EINVALID, Message: "invalid flag", Problems: []schema.Problem{{Path: "--" + ef.flag, Message: "must be an integer"}}}
			}
			v = n
		case "confidence", "quantity", "amount":
			x, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return nil, &schema.Error{Code: schema.EINVALID, Message: "invalid flag", Problems: []schema.Problem{{Path: "--" + ef.flag, Message: "must be a number"}}}
			}
			v = x
		case "complete":
			b, err := strconv.ParseBool(raw)
			if err != nil {
				return nil, &schema.Error{Code: schema.EINVALID, Message: "invalid flag", Problems: []schema.Problem{{Path: "--" + ef.flag, Message: "must be true or false"}}}
			}
			v = b
		case "participants":
			v = splitList(raw)
		}
		put(path, v)
	}
	if _, ok := doc["occurred_at"]; !ok {
		doc["occurred_at"] = time.Now().UTC().Format(time.RFC3339)
	}
	if _, ok := doc[kind]; !ok && schema.Kind(kind).Valid() {
		doc[kind] = map[string]any{}
	}
	return json.Marshal(doc)
}

// connectForClient connects to NATS_URL, else to the embedded server of a
// running serve found through the data directory.
func connectForClient(cfg *commonConfig) (*nats.Conn, error) {
	if cfg.NATS.URL == "" {
		cfg.NATS.URL = readRuntimeFile(cfg.DataDir, natsURLFile)
	}
	if cfg.NATS.URL == "" {
		return nil, schema.Errorf(schema.EUNAVAIL, "no NATS to publish to: start `coalition serve` (it listens on 127.0.0.1:4222) or set NATS_URL")
	}
	cfg.NATS.Name = "coalition-cli"
	nc, err := natsjs.Connect(cfg.NATS, nil, nil)
	if err != nil {
		return nil, errors.Join(schema.Errorf(schema.EUNAVAIL, "NATS at %s is not reachable", natsjs.RedactURLs(cfg.NATS.URL)), err)
	}
	return nc, nil
}

// compactIfOneDocument lets stdin hold one pretty-printed JSON event as well
// as NDJSON. If the first line is a JSON value by itself, the input is
// NDJSON and is streamed, whatever its size. Otherwise it is read whole (at
// most MaxEventBytes, one event's limit) and, if it is one JSON value,
// compacted onto one line.
func compactIfOneDocument(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := br.ReadBytes('\n')
	if t := bytes.TrimSpace(first); len(t) == 0 || json.Valid(t) || (err != nil && err != io.EOF) {
		// NDJSON (or empty, or a read error that the reader will report).
		rest := io.Reader(br)
		if err != nil && err != io.EOF {
			rest = errReader{err}
		}
		return io.MultiReader(bytes.NewReader(first), rest)
	}
	rest, err := io.ReadAll(io.LimitReader(br, schema.MaxEventBytes+1))
	doc := append(first, rest...)
	if err != nil {
		return io.MultiReader(bytes.NewReader(doc), errReader{err})
	}
	if len(doc) > schema.MaxEventBytes {
		return errReader{schema.Errorf(schema.ETOOLARGE, "stdin holds neither NDJSON nor one JSON event under %d bytes", schema.MaxEventBytes)}
	}
	var out bytes.Buffer
	if json.Compact(&out, bytes.TrimSpace(doc)) == nil {
		return &out
	}
	return bytes.NewReader(doc)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// validateOnly reports every invalid line and the count of valid ones.
func validateOnly(r io.Reader, stdout, stderr io.Writer) error {
	valid, invalid := 0, 0
	now := time.Now()
	err := schema.ReadNDJSON(r, func(line int, ev schema.Event, perr error) error {
		if perr == nil {
			perr = schema.CheckTimes(&ev, now)
		}
		if perr != nil {
			invalid++
			for _, p := range schema.ErrorProblems(perr) {
				p.Line = line
				fmt.Fprintln(stderr, p)
			}
			return nil
		}
		valid++
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d valid, %d invalid\n", valid, invalid)
	if invalid > 0 {
		return schema.Errorf(schema.EINVALID, "%d invalid events", invalid)
	}
	return nil
}
