package clickhouse

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// AnalystUser is the read-only user of the private server (no password,
// loopback only): it may run SELECT and SET, nothing that writes.
const AnalystUser = "analyst"

// ErrNoServer is returned (wrapped) by StartLocal when no clickhouse-server
// binary can be found.
var ErrNoServer = errors.New("clickhouse: no clickhouse-server binary found: " +
	`install one with "apt-get install -y clickhouse-server clickhouse-client" on Debian/Ubuntu, ` +
	"or set CLICKHOUSE_ADDR to a running server")

// LocalOptions configure StartLocal.
type LocalOptions struct {
	Dir string // data directory, created if missing; required
	// Binary is the server binary. Default: "clickhouse-server" on PATH or in
	// /usr/sbin or /usr/bin, else "clickhouse" (run as "clickhouse server").
	Binary       string
	TCPPort      int           // native protocol port; 0 picks a free loopback port
	HTTPPort     int           // HTTP port; 0 picks a free loopback port
	Logger       *slog.Logger  // progress messages; nil discards them
	StartTimeout time.Duration // bounds the whole start; default 60s
	// ExtraConfig is XML added inside config.xml's root element, such as
	// the <zookeeper>, <macros>, <remote_servers> and interserver settings
	// of a replica (see the replication test).
	ExtraConfig string
}

// LocalServer is a running private clickhouse-server started by StartLocal.
type LocalServer struct {
	HTTPAddr string // "127.0.0.1:PORT" of the HTTP interface
	Dir      string // absolute data directory: config, users, data and logs

	addr    string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has been reaped
	waitErr error         // cmd.Wait result, valid once done is closed
	log     *slog.Logger

	stopOnce sync.Once
	stopErr  error
}

const (
	localMaxPortRetries = 3
	localErrLog         = "clickhouse-server.err.log"
	localOutLog         = "stdout.log"
)

// StartLocal writes config.xml and users.xml into opts.Dir, starts a private
// clickhouse-server listening on 127.0.0.1 and waits until its native port
// answers a ping. The data in opts.Dir is kept, so a later StartLocal on the
// same Dir sees it again. The server is killed if this process dies.
func StartLocal(ctx context.Context, opts LocalOptions) (*LocalServer, error) {
	if opts.Dir == "" {
		return nil, errors.New("clickhouse: start local server: LocalOptions.Dir is required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: start local server: resolve dir %q: %w", opts.Dir, err)
	}
	bin, args, err := localServerBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "log"), 0o755); err != nil {
		return nil, fmt.Errorf("clickhouse: start local server: create dir: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	for try := 0; ; try++ {
		tcpPort, httpPort := opts.TCPPort, opts.HTTPPort
		if tcpPort == 0 || httpPort == 0 {
			picked, err := localFreePorts(2)
			if err != nil {
				return nil, err
			}
			if tcpPort == 0 {
				tcpPort = picked[0]
			}
			if httpPort == 0 {
				httpPort = picked[1]
			}
		}
		s, err := startLocalOnce(ctx, logger, dir, bin, args, tcpPort, httpPort, opts.ExtraConfig)
		if err == nil {
			return s, nil
		}
		if try >= localMaxPortRetries || !localPickedPortTaken(err, opts) {
			return nil, err
		}
		logger.Warn("clickhouse: picked port was taken, retrying with new ports", "err", err)
	}
}

// localPickedPortTaken reports whether err says a port is in use and that port is
// not one the caller fixed, so that new picked ports may help.
func localPickedPortTaken(err error, opts LocalOptions) bool {
	msg := err.Error()
	if opts.TCPPort != 0 && opts.HTTPPort != 0 || !strings.Contains(msg, "Address already in use") {
		return false
	}
	for _, fixed := range []int{opts.TCPPort, opts.HTTPPort} {
		if fixed != 0 && strings.Contains(msg, "Address already in use: 127.0.0.1:"+strconv.Itoa(fixed)) {
			return false
		}
	}
	return true
}

// Addr returns "127.0.0.1:PORT" of the server's native protocol.
func (s *LocalServer) Addr() string { return s.addr }

// Exec runs one statement that returns no rows, such as CREATE DATABASE or
// DROP DATABASE, through a short-lived native connection to the server.
func (s *LocalServer) Exec(ctx context.Context, query string) error {
	conn, err := ch.Open(&ch.Options{
		Addr: []string{s.addr}, Protocol: ch.Native,
		DialTimeout: 5 * time.Second, ReadTimeout: 2 * time.Minute, MaxOpenConns: 1,
	})
	if err != nil {
		return fmt.Errorf("clickhouse: connect to local server %s: %w", s.addr, err)
	}
	defer conn.Close()
	if err := conn.Exec(ctx, query); err != nil {
		return fmt.Errorf("clickhouse: exec %q on local server %s: %w", query, s.addr, err)
	}
	return nil
}

// Stop sends SIGTERM to the server, waits up to 10s for it to exit and then
// sends SIGKILL. It is idempotent: later calls return the first call's result.
func (s *LocalServer) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(10 * time.Second) })
	return s.stopErr
}

func (s *LocalServer) stop(grace time.Duration) error {
	pid := s.cmd.Process.Pid
	select {
	case <-s.done: // exited on its own earlier
		if s.waitErr != nil {
			return fmt.Errorf("clickhouse: local server pid %d exited before Stop: %w%s",
				pid, s.waitErr, localLogTail(s.Dir, 0))
		}
		return nil
	default:
	}
	// The server runs in its own process group (Setpgid); signal the group.
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-s.done:
		s.log.Info("clickhouse: local server stopped", "pid", pid, "dir", s.Dir)
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-s.done
	return fmt.Errorf("clickhouse: local server pid %d did not exit within %s of SIGTERM; killed it", pid, grace)
}

// startLocalOnce runs one attempt with fixed ports.
func startLocalOnce(ctx context.Context, logger *slog.Logger, dir, bin string, args []string, tcpPort, httpPort int, extra string) (*LocalServer, error) {
	displayName := "coalition-local-" + localRandomHex(8)
	if err := writeLocalConfigs(dir, tcpPort, httpPort, displayName, extra); err != nil {
		return nil, err
	}
	errLogOffset := localFileSize(filepath.Join(dir, "log", localErrLog))
	out, err := os.OpenFile(filepath.Join(dir, "log", localOutLog), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: start local server: open output log: %w", err)
	}
	defer out.Close() // the child keeps its own descriptor

	cmd := exec.Command(bin, append(args, "--config-file="+filepath.Join(dir, "config.xml"))...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	s := &LocalServer{
		HTTPAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		Dir:      dir,
		addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(tcpPort)),
		cmd:      cmd,
		done:     make(chan struct{}),
		log:      logger,
	}
	began := time.Now()
	if err := s.spawn(); err != nil {
		return nil, fmt.Errorf("clickhouse: start local server %s: %w", bin, err)
	}
	logger.Info("clickhouse: local server starting", "pid", cmd.Process.Pid, "addr", s.addr, "dir", dir)

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("clickhouse: local server (%s) exited during start: %v%s",
				bin, s.waitErr, localLogTail(dir, errLogOffset))
		case <-ctx.Done():
			_ = s.stop(2 * time.Second)
			why := ""
			if lastErr != nil {
				why = " (last ping: " + lastErr.Error() + ")"
			}
			return nil, fmt.Errorf("clickhouse: local server at %s not ready%s: %w%s",
				s.addr, why, ctx.Err(), localLogTail(dir, errLogOffset))
		case <-tick.C:
		}
		if lastErr = pingLocal(ctx, s.addr, displayName); lastErr == nil {
			logger.Info("clickhouse: local server ready", "addr", s.addr, "took", time.Since(began).Round(time.Millisecond))
			return s, nil
		}
	}
}

// spawn starts the process from a goroutine locked to its OS thread and keeps
// it there until the process is reaped: Pdeathsig fires when the forking
// thread exits, so the thread must outlive the child.
func (s *LocalServer) spawn() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	return <-started
}

// pingLocal checks that the server at addr answers and is the one we started
// (another server may have grabbed the port first).
func pingLocal(ctx context.Context, addr, displayName string) error {
	conn, err := ch.Open(&ch.Options{
		Addr: []string{addr}, Protocol: ch.Native,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, MaxOpenConns: 1,
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		return err
	}
	v, err := conn.ServerVersion()
	if err != nil {
		return err
	}
	if v.DisplayName != "" && v.DisplayName != displayName {
		return fmt.Errorf("%s is served by another server (display name %q)", addr, v.DisplayName)
	}
	return nil
}

// localServerBinary resolves the server binary and the arguments it needs
// before --config-file.
func localServerBinary(bin string) (string, []string, error) {
	argsFor := func(p string) []string {
		if filepath.Base(p) == "clickhouse" {
			return []string{"server"}
		}
		return nil
	}
	if bin != "" {
		p, err := exec.LookPath(bin)
		if err != nil {
			return "", nil, fmt.Errorf("%w (Binary %q: %v)", ErrNoServer, bin, err)
		}
		return p, argsFor(p), nil
	}
	for _, name := range []string{"clickhouse-server", "clickhouse"} {
		for _, c := range []string{name, "/usr/sbin/" + name, "/usr/bin/" + name} {
			if p, err := exec.LookPath(c); err == nil {
				return p, argsFor(p), nil
			}
		}
	}
	return "", nil, fmt.Errorf("%w (looked for clickhouse-server and clickhouse on PATH, in /usr/sbin and /usr/bin)", ErrNoServer)
}

// writeLocalConfigs writes config.xml and users.xml into dir. The root element is
// <yandex>, which 18.16 requires and current servers still accept.
func writeLocalConfigs(dir string, tcpPort, httpPort int, displayName, extra string) error {
	p := func(parts ...string) string {
		return localXMLEscape(filepath.Join(append([]string{dir}, parts...)...))
	}
	config := `<?xml version="1.0"?>
<!-- Written by coalition's clickhouse.StartLocal on every start; edits are overwritten. -->
<yandex>
    <logger>
        <level>information</level>
        <log>` + p("log", "clickhouse-server.log") + `</log>
        <errorlog>` + p("log", localErrLog) + `</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <display_name>` + localXMLEscape(displayName) + `</display_name>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>` + strconv.Itoa(tcpPort) + `</tcp_port>
    <http_port>` + strconv.Itoa(httpPort) + `</http_port>
    <path>` + p("data") + `/</path>
    <tmp_path>` + p("tmp") + `/</tmp_path>
    <user_files_path>` + p("user_files") + `/</user_files_path>
    <format_schema_path>` + p("format_schemas") + `/</format_schema_path>
    <users_config>` + p("users.xml") + `</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mlock_executable>false</mlock_executable>
    <max_table_size_to_drop>0</max_table_size_to_drop>
    <max_partition_size_to_drop>0</max_partition_size_to_drop>
` + extra + `
</yandex>
`
	users := `<?xml version="1.0"?>
<!-- Written by coalition's clickhouse.StartLocal on every start; edits are overwritten. -->
<yandex>
    <profiles><default>
        <max_memory_usage>4000000000</max_memory_usage>
        <use_uncompressed_cache>0</use_uncompressed_cache>
        <load_balancing>random</load_balancing>
    </default>
    <!-- readonly 2: SELECT and SET only, no writes and no DDL. -->
    <readonly>
        <readonly>2</readonly>
        <max_memory_usage>4000000000</max_memory_usage>
        <max_execution_time>60</max_execution_time>
    </readonly></profiles>
    <users><default>
        <password></password>
        <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
        <profile>default</profile>
        <quota>default</quota>
    </default>
    <!-- ` + AnalystUser + `: read-only, for clickhouse-client, Grafana and notebooks. -->
    <` + AnalystUser + `>
        <password></password>
        <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
        <profile>readonly</profile>
        <quota>default</quota>
    </` + AnalystUser + `></users>
    <!-- One interval without limits: usage is only counted. -->
    <quotas><default><interval>
        <duration>3600</duration>
        <queries>0</queries><errors>0</errors><result_rows>0</result_rows>
        <read_rows>0</read_rows><execution_time>0</execution_time>
    </interval></default></quotas>
</yandex>
`
	for name, body := range map[string]string{"config.xml": config, "users.xml": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return fmt.Errorf("clickhouse: write local server %s: %w", name, err)
		}
	}
	return nil
}

// localFreePorts returns n distinct loopback ports that were free a moment ago.
func localFreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("clickhouse: pick a free loopback port: %w", err)
		}
		defer l.Close() // hold all n open so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// localLogTail returns the end of what the server wrote to its error log after
// offset, or else the end of its stdout/stderr, formatted for an error message.
func localLogTail(dir string, offset int64) string {
	const max = 4096
	read := func(name string, from int64) string {
		b, err := os.ReadFile(filepath.Join(dir, "log", name))
		if err != nil || int64(len(b)) <= from {
			return ""
		}
		b = b[from:]
		if len(b) > max {
			b = b[len(b)-max:]
			if i := bytes.IndexByte(b, '\n'); i >= 0 {
				b = b[i+1:]
			}
		}
		return strings.TrimSpace(string(b))
	}
	if t := read(localErrLog, offset); t != "" {
		return "\nserver error log (" + filepath.Join(dir, "log", localErrLog) + "):\n" + t
	}
	if t := read(localOutLog, 0); t != "" {
		return "\nserver output (" + filepath.Join(dir, "log", localOutLog) + "):\n" + t
	}
	return ""
}

func localFileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func localXMLEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func localRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
