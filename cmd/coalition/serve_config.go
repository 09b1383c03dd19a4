package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/httpapi"
	"github.com/coalitiondev/coalition/natsjs"
)

// serveConfig is the configuration of serve and demo.
type serveConfig struct {
	commonConfig
	HTTPAddr       string
	NATSListen     string
	Batch          int
	Durable        string
	StreamMaxBytes int
	StreamReplicas int
	StreamMaxAge   string
	StreamDupes    string
	StreamPlace    string
	AlertRules     string
	AckWait        string
	MaxDeliveries  int
	StatusRefresh  string
	MemoryLimit    string
	Roles          string
	// HTTP bearer tokens (docs/security.md): a value, or a file holding it.
	// WriteToken "none" lets anyone write; serve and demo generate one when
	// neither is given. An App opened with neither has no write token.
	WriteToken, WriteTokenFile string
	ReadToken, ReadTokenFile   string
}

func (c *serveConfig) register(f *flags) {
	c.commonConfig.register(f)
	f.str(&c.HTTPAddr, "http", "COALITION_HTTP_ADDR", "127.0.0.1:8080", "HTTP listen address (port 0 picks a free port)")
	f.str(&c.NATSListen, "nats-listen", "COALITION_NATS_LISTEN", "127.0.0.1:4222", "where the embedded NATS server also listens for other processes (empty: in-process only; a busy port falls back to a free one)")
	f.int(&c.Batch, "batch", "COALITION_BATCH", consumers.DefaultBatch, "events per fetch and per ClickHouse INSERT")
	f.str(&c.Durable, "durable", "COALITION_DURABLE", "clickhouse-writer", "name of the durable JetStream consumer shared by all writers")
	f.int(&c.StreamMaxBytes, "stream-max-bytes", "COALITION_STREAM_MAX_BYTES", 0, "event stream size limit in bytes (0: none); a full stream refuses publishes")
	f.int(&c.StreamReplicas, "stream-replicas", "COALITION_STREAM_REPLICAS", 1, "replicas of the streams (3 on a cluster)")
	f.str(&c.StreamMaxAge, "stream-max-age", "COALITION_STREAM_MAX_AGE", "0", "how long the event stream keeps events, such as 2160h; 0: forever (ClickHouse keeps them regardless)")
	f.str(&c.StreamDupes, "stream-duplicates", "COALITION_STREAM_DUPLICATES", "10m", "JetStream's de-duplication window on message ids; its memory grows with the publish rate times the window (docs/performance.md)")
	f.str(&c.StreamPlace, "stream-placement", "COALITION_STREAM_PLACEMENT", "", "where the streams live on a NATS super-cluster or tagged servers: cluster=NAME and/or tag=T, comma-separated")
	f.str(&c.AckWait, "ack-wait", "COALITION_ACK_WAIT", "60s", "how long a fetched batch may go unacknowledged before JetStream redelivers it (after a crash, recovery waits this long)")
	f.int(&c.MaxDeliveries, "max-deliveries", "COALITION_MAX_DELIVERIES", consumers.DefaultMaxDeliveries, "deliveries of an event that is never stored (one that crashes or stalls the consumer) before it is dead-lettered; at least 2")
	f.str(&c.Roles, "roles", "COALITION_ROLES", strings.Join(allRoles, ","), "what this process runs, comma-separated: consume (the ClickHouse writer and status refresher), api (HTTP API, feeds, dashboard), alerts (rule evaluation and deliveries); a process without every role joins NATS_URL and CLICKHOUSE_ADDR, or the serve running on --data-dir")
	f.str(&c.StatusRefresh, "status-refresh", "COALITION_STATUS_REFRESH", "1s", "how often status snapshots are checked and recomputed when events arrived (docs/performance.md); 0 turns the refresher off")
	f.str(&c.MemoryLimit, "memory-limit", "COALITION_MEMORY_LIMIT", defaultMemoryLimit, "Go runtime soft memory limit such as 192MiB (GOMEMLIMIT wins when set and this flag is not given); 0: none (docs/performance.md)")
	f.str(&c.AlertRules, "alert-rules", "COALITION_ALERT_RULES", "", "alert rules file (docs/alerts.md), reloaded on change; empty: no alerts")
	secretFlag(f, &c.WriteToken, "write-token", "COALITION_WRITE_TOKEN", "bearer token that POST /api/v1/events needs; none: no token (local development only); empty: a random one, printed once")
	f.str(&c.WriteTokenFile, "write-token-file", "COALITION_WRITE_TOKEN_FILE", "", "file holding the write token (instead of --write-token)")
	secretFlag(f, &c.ReadToken, "read-token", "COALITION_READ_TOKEN", "bearer token that reads (/api/v1, /metrics, the dashboard) need; empty: reads are open")
	f.str(&c.ReadTokenFile, "read-token-file", "COALITION_READ_TOKEN_FILE", "", "file holding the read token (instead of --read-token)")
}

// streamConfig reads the stream flags.
func (c *serveConfig) streamConfig() (natsjs.StreamConfig, error) {
	sc := natsjs.StreamConfig{MaxBytes: int64(c.StreamMaxBytes), Replicas: c.StreamReplicas}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		return sc, usageError{fmt.Errorf("--stream-replicas %d: want 1 to 5", c.StreamReplicas)}
	}
	var err error
	if sc.MaxAge, err = time.ParseDuration(c.StreamMaxAge); err != nil || sc.MaxAge < 0 {
		return sc, usageError{fmt.Errorf("--stream-max-age %q: want a duration such as 2160h, or 0", c.StreamMaxAge)}
	}
	if sc.Duplicates, err = time.ParseDuration(c.StreamDupes); err != nil || sc.Duplicates <= 0 {
		return sc, usageError{fmt.Errorf("--stream-duplicates %q: want a positive duration such as 10m", c.StreamDupes)}
	}
	for _, p := range splitList(c.StreamPlace) {
		k, v, ok := strings.Cut(p, "=")
		switch {
		case ok && k == "cluster" && v != "":
			sc.PlacementCluster = v
		case ok && k == "tag" && v != "":
			sc.PlacementTags = append(sc.PlacementTags, v)
		default:
			return sc, usageError{fmt.Errorf("--stream-placement: %q is not cluster=NAME or tag=T", p)}
		}
	}
	return sc, nil
}

// secretFlag registers a string flag that falls back to an environment
// variable, like flags.str, but whose help never shows that value: tokens
// and passwords.
func secretFlag(f *flags, p *string, name, envName, help string) {
	f.StringVar(p, name, "", help+" (env "+envName+")")
	*p = f.env(envName)
}

// generateWriteToken gives serve and demo a random write token when none
// is configured, and reports whether it did.
func (c *serveConfig) generateWriteToken() (bool, error) {
	if c.WriteToken != "" || c.WriteTokenFile != "" {
		return false, nil
	}
	tok, err := httpapi.NewToken()
	if err != nil {
		return false, fmt.Errorf("generate a write token: %w", err)
	}
	c.WriteToken = tok
	return true, nil
}

// httpTokens returns the write and read tokens ("" for none), read from
// their files when given.
func (c *serveConfig) httpTokens() (write, read string, err error) {
	token := func(name, value, file string) (string, error) {
		if value != "" && file != "" {
			return "", usageError{fmt.Errorf("--%s and --%s-file: give one of them", name, name)}
		}
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return "", usageError{fmt.Errorf("--%s-file: %w", name, err)}
			}
			if value = strings.TrimSpace(string(b)); value == "" {
				return "", usageError{fmt.Errorf("--%s-file %s is empty", name, file)}
			}
		}
		if value == "none" {
			return "", nil
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return "", usageError{fmt.Errorf("--%s: the token must not contain spaces or control characters", name)}
		}
		return value, nil
	}
	if write, err = token("write-token", c.WriteToken, c.WriteTokenFile); err != nil {
		return "", "", err
	}
	if read, err = token("read-token", c.ReadToken, c.ReadTokenFile); err != nil {
		return "", "", err
	}
	return write, read, nil
}
