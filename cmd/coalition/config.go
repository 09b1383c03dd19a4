package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/natsjs"
)

// flags wraps a FlagSet whose flags fall back to environment variables.
type flags struct {
	*flag.FlagSet
	env func(string) string
}

func newFlags(name, summary string, stderr io.Writer, env func(string) string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: coalition %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	if env == nil {
		env = os.Getenv
	}
	return &flags{FlagSet: fs, env: env}
}

func (f *flags) str(p *string, name, envName, def, help string) {
	if v := f.env(envName); v != "" {
		def = v
	}
	if envName != "" {
		help += " (env " + envName + ")"
	}
	f.StringVar(p, name, def, help)
}

func (f *flags) int(p *int, name, envName string, def int, help string) {
	if v, err := strconv.Atoi(f.env(envName)); err == nil {
		def = v
	}
	if envName != "" {
		help += " (env " + envName + ")"
	}
	f.IntVar(p, name, def, help)
}

// isSet reports whether a flag was given on the command line.
func (f *flags) isSet(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err}
	}
	return nil
}

// Common configuration shared by the commands.
type commonConfig struct {
	DataDir   string
	LogLevel  string
	LogFormat string

	NATS natsjs.ClientConfig

	CHAddrs    string
	CHUser     string
	CHPassword string
	CHDatabase string
	CHCluster  string
	CHQuorum   int
}

// register adds every shared flag: the data directory and logging, NATS
// and ClickHouse.
func (c *commonConfig) register(f *flags) {
	c.registerBase(f)
	c.registerNATS(f)
	c.registerClickHouse(f)
}

// registerBase adds the flags every command has: the data directory (where
// a running serve's addresses are found) and logging.
func (c *commonConfig) registerBase(f *flags) {
	f.str(&c.DataDir, "data-dir", "COALITION_DATA_DIR", "coalition-data", "directory for the embedded NATS store and the private ClickHouse server")
	f.str(&c.LogLevel, "log-level", "COALITION_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	f.str(&c.LogFormat, "log-format", "COALITION_LOG_FORMAT", "text", "log format: text or json")
}

// registerNATS adds the NATS connection flags.
func (c *commonConfig) registerNATS(f *flags) {
	f.str(&c.NATS.URL, "nats-url", "NATS_URL", "", "NATS server URLs, comma-separated; empty runs an embedded server (serve) or finds the running one (other commands)")
	f.str(&c.NATS.User, "nats-user", "NATS_USER", "", "NATS user")
	secretFlag(f, &c.NATS.Password, "nats-password", "NATS_PASSWORD", "NATS password")
	secretFlag(f, &c.NATS.Token, "nats-token", "NATS_TOKEN", "NATS token")
	f.str(&c.NATS.CredsFile, "nats-creds", "NATS_CREDS", "", "NATS credentials file (JWT and nkey)")
	f.str(&c.NATS.NKeyFile, "nats-nkey", "NATS_NKEY", "", "NATS nkey seed file")
	f.str(&c.NATS.TLSCA, "nats-tls-ca", "NATS_TLS_CA", "", "CA certificate file for NATS TLS")
	f.str(&c.NATS.TLSCert, "nats-tls-cert", "NATS_TLS_CERT", "", "client certificate file for NATS TLS")
	f.str(&c.NATS.TLSKey, "nats-tls-key", "NATS_TLS_KEY", "", "client key file for NATS TLS")
}

// registerClickHouse adds the ClickHouse connection flags.
func (c *commonConfig) registerClickHouse(f *flags) {
	f.str(&c.CHAddrs, "clickhouse-addr", "CLICKHOUSE_ADDR", "", "ClickHouse native host:port, comma-separated for failover; empty runs a private clickhouse-server under --data-dir")
	f.str(&c.CHUser, "clickhouse-user", "CLICKHOUSE_USER", "default", "ClickHouse user")
	secretFlag(f, &c.CHPassword, "clickhouse-password", "CLICKHOUSE_PASSWORD", "ClickHouse password")
	f.str(&c.CHDatabase, "clickhouse-database", "CLICKHOUSE_DATABASE", "coalition", "ClickHouse database")
	f.str(&c.CHCluster, "clickhouse-cluster", "CLICKHOUSE_CLUSTER", "", "ClickHouse cluster (in the servers' remote_servers) to run on: replicated tables with Distributed tables in front, DDL ON CLUSTER; needs --clickhouse-addr")
	f.int(&c.CHQuorum, "clickhouse-insert-quorum", "CLICKHOUSE_INSERT_QUORUM", 0, "with --clickhouse-cluster: replicas of a shard that must have an insert before the consumer acks it (insert_quorum); 0: one")
}

func (c *commonConfig) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)}
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: want text or json", c.LogFormat)}
}

// clickhouseConfig is the store's configuration for addrs. The private
// server (local) is one server, never a cluster.
func (c *commonConfig) clickhouseConfig(addrs []string, local bool, log *slog.Logger) clickhouse.Config {
	cluster := c.CHCluster
	if local {
		cluster = ""
	}
	return clickhouse.Config{Addrs: addrs, User: c.CHUser, Password: c.CHPassword, Database: c.CHDatabase, Cluster: cluster, InsertQuorum: c.CHQuorum, Logger: log}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Files a running serve writes into the data directory so that other
// commands on the same machine can find its NATS and ClickHouse.
const (
	natsURLFile = "nats.url"
	chAddrFile  = "clickhouse.addr"
)

func writeRuntimeFile(dir, name, value string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(value+"\n"), 0o644)
}

func readRuntimeFile(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// defaultMemoryLimit is the Go runtime's soft memory limit of serve, demo
// and bench: none. A limit makes the garbage collector work harder as the
// heap nears it, which holds a consumer draining a backlog under it; but
// the embedded NATS server's working set grows with the stream (its message
// id window and block cache), and a limit below that working set makes the
// collector run without pause and throughput collapse (docs/performance.md
// measures both). Set --memory-limit (or GOMEMLIMIT) where the process is
// the consumer alone, against an external NATS.
const defaultMemoryLimit = "0"

// setMemoryLimit applies a --memory-limit value: a size such as 160MiB,
// 1GiB or 500MB, or 0 for none.
func setMemoryLimit(v string, explicit bool) error {
	if !explicit && os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	n, err := parseSize(v)
	if err != nil {
		return usageError{fmt.Errorf("--memory-limit %q: %v", v, err)}
	}
	if n == 0 {
		debug.SetMemoryLimit(math.MaxInt64)
		return nil
	}
	debug.SetMemoryLimit(n)
	return nil
}

// parseSize reads a byte size: a number with an optional unit B, KB, MB,
// GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
func parseSize(v string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	s := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, errors.New("want a size such as 160MiB, 1GiB or 0")
	}
	return n * mult, nil
}
