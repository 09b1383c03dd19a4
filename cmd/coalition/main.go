// Command coalition tracks who promised what to a coalition, and who
// delivered: it publishes diplomatic events to NATS JetStream, consumes them
// into ClickHouse, and serves country status over HTTP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/coalitiondev/coalition/schema"
)

const usage = `coalition: who promised what to a coalition, and who delivered.

Usage:
  coalition serve     run NATS (embedded unless NATS_URL), the ClickHouse writer and the HTTP API
  coalition consume   run the ClickHouse writer alone (any number of processes share the work)
  coalition api       run the HTTP API, feeds and dashboard alone
  coalition demo      serve, replay the Paris 2015 scenario and print the country status
  coalition publish   publish events from flags, stdin or an NDJSON file
  coalition import    import events from an outside source (gdelt: GDELT 2.0 event exports)
  coalition status    print the country status table from ClickHouse
  coalition query     run a named query of the analytics catalog (--list lists them)
  coalition reference GDP and exchange rates for money_ranking (load gdp|fx FILE: World Bank CSV)
  coalition watch     follow the live feed of events in the terminal
  coalition alerts    follow raised alerts (tail), validate a rules file (check), evaluate rules alone (run)
  coalition migrate   apply the ClickHouse migrations
  coalition bench     measure throughput, latency and memory against the raw ceilings

Run "coalition COMMAND --help" for a command's flags. Every flag also reads
the environment variable named in its help.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Run runs one command and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "consume":
		err = runConsume(ctx, args[1:], stdout, stderr)
	case "api":
		err = runAPI(ctx, args[1:], stdout, stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	case "publish":
		err = runPublish(ctx, args[1:], stdin, stdout, stderr)
	case "import":
		err = runImport(ctx, args[1:], stdin, stdout, stderr)
	case "status":
		err = runStatus(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = runMigrate(ctx, args[1:], stdout, stderr)
	case "query":
		err = runQuery(ctx, args[1:], stdout, stderr)
	case "reference":
		err = runReference(ctx, args[1:], stdin, stdout, stderr)
	case "watch":
		err = runWatch(ctx, args[1:], stdout, stderr)
	case "alerts":
		err = runAlerts(ctx, args[1:], stdout, stderr)
	case "bench":
		err = runBench(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "coalition: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return exitCode(err, stderr)
}

// exitCode maps an error to the process exit code and prints it: the one
// place where that mapping lives. 0 ok, 1 internal or unavailable, 2 usage,
// 3 invalid input, 4 not found.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintf(stderr, "coalition: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "coalition: %v\n", err)
	switch schema.ErrorCode(err) {
	case schema.EINVALID, schema.ETOOLARGE:
		return 3
	case schema.ENOTFOUND:
		return 4
	}
	return 1
}

// usageError marks a mistake in the command line.
type usageError struct{ error }
