package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg commonConfig
	var coalition, country, kind, since, format string
	var once bool
	f := newFlags("watch", `Follows the live feed of accepted events in the terminal (straight from JetStream, like
GET /api/v1/feed), one line per event, until interrupted.`, stderr, nil)
	cfg.registerBase(f)
	cfg.registerNATS(f)
	f.str(&coalition, "coalition", "COALITION", "", "only this coalition")
	f.str(&country, "country", "", "", "only events with this actor (ISO alpha-3)")
	f.str(&kind, "kind", "", "", "only this kind of event")
	f.str(&since, "since", "", "", "first replay the events after a stream sequence (0: from the start), or those stored since a time (2015-11-27, 2015-11-27T12:00:00Z) or a duration ago (1h); default: new events only")
	f.str(&format, "format", "", "text", "text or json (one JSON object per line)")
	f.BoolVar(&once, "once", false, "print what the stream holds (from --since) and exit")
	if err := f.parse(args); err != nil {
		return err
	}
	if format != "text" && format != "json" {
		return usageError{fmt.Errorf("--format %q: want text or json", format)}
	}
	pattern, err := schema.SubjectFilter(coalition, country, schema.Kind(kind))
	if err != nil {
		return err
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{pattern}, DeliverPolicy: jetstream.DeliverNewPolicy}
	switch {
	case since == "" && once:
		occ.DeliverPolicy = jetstream.DeliverAllPolicy
	case since == "":
	default:
		if err := startFrom(&occ, since); err != nil {
			return err
		}
	}
	nc, err := connectForClient(&cfg)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	cons, err := js.OrderedConsumer(ctx, natsjs.EventStream, occ)
	if err != nil {
		return fmt.Errorf("follow %s: %w", natsjs.EventStream, err)
	}
	for {
		fctx, cancel := context.WithTimeout(ctx, time.Second)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if once {
				return nil // nothing more within a second: caught up
			}
			continue
		}
		md, _ := msg.Metadata()
		ev, err := schema.Decode(msg.Subject(), msg.Headers().Get, msg.Data())
		if err != nil {
			continue // invalid: the consumer dead-letters it
		}
		if format == "json" {
			b, _ := json.Marshal(map[string]any{"seq": md.Sequence.Stream, "subject": msg.Subject(), "event": ev})
			fmt.Fprintln(stdout, string(b))
		} else {
			fmt.Fprintln(stdout, describe(md.Sequence.Stream, &ev))
		}
		if once && md.NumPending == 0 {
			return nil
		}
	}
}

// describe renders an event as one line: when, who, what.
func describe(seq uint64, ev *schema.Event) string {
	who := ev.Actor
	if ev.Counterpart != "" {
		who += " → " + ev.Counterpart
	}
	what := string(ev.Kind)
	switch {
	case ev.Pledge != nil:
		q, unit := ev.Pledge.Measure()
		what = fmt.Sprintf("pledge %s", ev.Pledge.CommitmentID)
		if unit != "" {
			what += fmt.Sprintf(" (%g %s)", q, unit)
		}
	case ev.Deployment != nil:
		what = "deployment on " + ev.Deployment.CommitmentID
	case ev.Withdrawal != nil:
		what = "withdrawal of " + ev.Withdrawal.CommitmentID
	case ev.Statement != nil:
		what = fmt.Sprintf("statement %+d %s", ev.Statement.Stance, ev.Statement.Stance)
	}
	return fmt.Sprintf("%d  %s  %-12s %-9s %s  %s", seq, ev.OccurredAt.UTC().Format("2006-01-02 15:04"), ev.Coalition, who, what, ev.Summary)
}
