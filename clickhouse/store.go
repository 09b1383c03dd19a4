package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Config says how to reach ClickHouse.
type Config struct {
	Addrs    []string // host:port of the native protocol; several for failover
	User     string
	Password string
	Database string // created by Open if missing; default "coalition"
	// Cluster, if set, is the name of a cluster in the servers'
	// remote_servers: tables are replicated, with Distributed tables in
	// front, and DDL runs ON CLUSTER (cluster.go).
	Cluster string
	// DDLTimeout is how long an ON CLUSTER statement waits for every
	// server of the cluster; default 60s. A migration that times out
	// stops with an error (see execDDL); creating the database does not,
	// since a server that is down creates it from the queue when back.
	DDLTimeout time.Duration
	// InsertQuorum, in cluster mode, is how many replicas of a shard must
	// have written an INSERT before it returns (insert_quorum). 0 or 1:
	// one, so an ack means the rows are on one replica, which copies them
	// to the others; losing that replica's disk before then loses them.
	// 2 or more closes that gap at the price of refusing writes (retried)
	// while fewer replicas are up.
	InsertQuorum int
	Logger       *slog.Logger
}

// Store reads and writes Coalition's tables. It is safe for concurrent use.
type Store struct {
	conn       driver.Conn
	db         string
	cluster    string
	ddlTimeout time.Duration
	servers    *serverPools // cluster mode: a pool for each server alone
	shards     int          // cluster mode: the cluster's shards
	log        *slog.Logger
	slicing    slicing
	flight     flightGroup
	version    [2]int // server major and minor
	// computed counts the status computations from the events.
	computed atomic.Uint64
}

// StatusComputations returns how many times this Store has computed a
// status from the stored events (rather than reading a snapshot).
func (s *Store) StatusComputations() uint64 { return s.computed.Load() }

// Open connects to ClickHouse, creates the database if it does not exist,
// and checks the connection. It does not apply migrations: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("clickhouse: no address given")
	}
	if cfg.Database == "" {
		cfg.Database = "coalition"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DDLTimeout <= 0 {
		cfg.DDLTimeout = time.Minute
	}
	var settings ch.Settings
	if cfg.Cluster != "" {
		settings = ch.Settings{
			// An INSERT into a Distributed table returns once the rows
			// are on a replica of their shard, not when queued for it.
			"insert_distributed_sync": 1,
			// ON CLUSTER DDL waits this long for every server, then
			// fails; servers that were down run it when they return.
			"distributed_ddl_task_timeout": int(cfg.DDLTimeout.Seconds() + 0.5),
		}
		if cfg.InsertQuorum > 1 {
			settings["insert_quorum"] = cfg.InsertQuorum
			// Fail, to be retried, rather than wait ten minutes for a
			// replica that went away mid-insert.
			settings["insert_quorum_timeout"] = 30_000
		}
	}
	openAddrs := func(db string, addrs []string) (driver.Conn, error) {
		return ch.Open(&ch.Options{
			Settings:         settings,
			Addr:             addrs,
			Protocol:         ch.Native,
			Auth:             ch.Auth{Database: db, Username: cfg.User, Password: cfg.Password},
			DialTimeout:      5 * time.Second,
			ReadTimeout:      60 * time.Second,
			ConnOpenStrategy: ch.ConnOpenInOrder,
			DialStrategy:     dialInOrder,
			MaxOpenConns:     8,
			MaxIdleConns:     4,
		})
	}
	open := func(db string) (driver.Conn, error) { return openAddrs(db, cfg.Addrs) }
	conn, err := open(cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("clickhouse at %v: %w", cfg.Addrs, err)
	}
	err = conn.Ping(ctx)
	var ex *ch.Exception
	if errors.As(err, &ex) && ex.Code == 81 { // UNKNOWN_DATABASE: create it, then connect again
		conn.Close()
		if err := createDatabase(ctx, open, cfg.Database, cfg.Cluster); err != nil {
			return nil, fmt.Errorf("clickhouse at %v: %w", cfg.Addrs, err)
		}
		if conn, err = open(cfg.Database); err != nil {
			return nil, fmt.Errorf("clickhouse at %v: %w", cfg.Addrs, err)
		}
		err = conn.Ping(ctx)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse at %v: ping: %w", cfg.Addrs, err)
	}
	st := &Store{conn: conn, db: cfg.Database, cluster: cfg.Cluster, ddlTimeout: cfg.DDLTimeout, log: cfg.Logger, slicing: slicing{slicedRows, rowsPerSlice}}
	if cfg.Cluster != "" {
		st.servers = &serverPools{addrs: cfg.Addrs, open: func(addr string) (driver.Conn, error) {
			return openAddrs(cfg.Database, []string{addr})
		}}
	}
	if v, err := conn.ServerVersion(); err == nil {
		st.version = [2]int{int(v.Version.Major), int(v.Version.Minor)}
	}
	if cfg.Cluster != "" {
		if st.shards, err = st.clusterShards(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("clickhouse at %v: %w", cfg.Addrs, err)
		}
	}
	return st, nil
}

// dialInOrder tries the addresses in order, as ConnOpenInOrder does, but
// when none can be used it returns the error of the first server that
// answered (an exception, such as UNKNOWN_DATABASE, which Open acts on)
// rather than the last address's, which may only say it was down.
func dialInOrder(ctx context.Context, connID int, opt *ch.Options, dial ch.Dial) (ch.DialResult, error) {
	var answered, last error
	for _, addr := range opt.Addr {
		r, err := dial(ctx, addr, opt)
		if err == nil {
			return r, nil
		}
		var ex *ch.Exception
		if answered == nil && errors.As(err, &ex) {
			answered = err
		}
		last = err
	}
	if answered != nil {
		return ch.DialResult{}, answered
	}
	if last == nil {
		last = errors.New("clickhouse: no address to dial")
	}
	return ch.DialResult{}, last
}

// Close closes the connections.
func (s *Store) Close() error {
	err := s.conn.Close()
	if s.servers != nil {
		err = errors.Join(err, s.servers.close())
	}
	return err
}

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Database returns the name of the database the store uses.
func (s *Store) Database() string { return s.db }

// Migrate applies the embedded migrations that are not yet recorded in
// schema_migrations. Statements are idempotent, so concurrent or repeated
// runs are safe.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	applied := map[uint32]bool{}
	rows, err := s.conn.Query(ctx, "SELECT version FROM schema_migrations")
	var ex *ch.Exception
	switch {
	case errors.As(err, &ex) && ex.Code == codeUnknownTable: // first run
	case err != nil:
		return fmt.Errorf("read schema_migrations: %w", err)
	default:
		for rows.Next() {
			var v uint32
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			applied[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		for i, stmt := range m.Statements {
			stmts := []string{stmt}
			if s.cluster != "" {
				if stmts, err = clusterStatements(stmt, s.cluster, s.db); err != nil {
					return fmt.Errorf("migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
				}
			}
			for _, q := range stmts {
				if err := s.execDDL(ctx, q); err != nil && !AlreadyApplied(err) {
					return fmt.Errorf("migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
				}
			}
		}
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
		if err != nil {
			return fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		if err := b.Append(m.Version, m.Name, time.Now().UTC()); err != nil {
			return fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		s.log.Info("applied migration", "version", m.Version, "name", m.Name)
	}
	return s.restoreViews(ctx, ms)
}

// restoreViews makes again, from their latest definitions, the views of the
// migrations that are missing. A migration that rebuilds views (0008) drops
// them before it makes them: a process stopped in between, while another
// had already recorded the migration as applied, would leave them missing
// for good. Views are made in the order their definitions come in, which is
// the order they depend on each other.
func (s *Store) restoreViews(ctx context.Context, ms []Migration) error {
	latest := map[string]string{}
	var order []string
	for _, m := range ms {
		for _, stmt := range m.Statements {
			if v := createViewRe.FindStringSubmatch(stmt); v != nil {
				if _, ok := latest[v[1]]; !ok {
					order = append(order, v[1])
				}
				latest[v[1]] = stmt
			}
		}
	}
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase()")
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("list tables: %w", err)
		}
		have[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	for _, name := range order {
		if have[name] {
			continue
		}
		stmts := []string{latest[name]}
		if s.cluster != "" {
			if stmts, err = clusterStatements(latest[name], s.cluster, s.db); err != nil {
				return fmt.Errorf("view %s: %w", name, err)
			}
		}
		for _, q := range stmts {
			if err := s.execDDL(ctx, q); err != nil && !AlreadyApplied(err) {
				return fmt.Errorf("make the missing view %s again: %w", name, err)
			}
		}
		s.log.Warn("made a missing view again from its latest definition", "view", name)
	}
	return nil
}

// execDDL runs a migration statement. Another process may be migrating at
// the same moment and making a table or view again: a view that 0008
// drops and creates, or in cluster mode a Distributed table
// (clusterStatements). So a statement that finds a table missing is tried
// again for a while before the error is returned.
func (s *Store) execDDL(ctx context.Context, q string) error {
	var ex *ch.Exception
	slow := 0
	for wait := 100 * time.Millisecond; ; wait *= 2 {
		err := s.conn.Exec(ctx, q)
		if s.cluster != "" && ddlQueued(err) && ddlHostsActive(err) && slow < 4 && ctx.Err() == nil {
			// Every server that has not run it yet is up, only slow (a
			// long queue): run it again, which queues it behind the first
			// (the statements are idempotent) and waits for both.
			slow++
			s.log.Warn("migration: the cluster's servers are up but slow to run a statement; waiting again", "attempt", slow, "err", err)
			wait /= 2
			continue
		}
		if s.cluster != "" && ddlQueued(err) {
			// The servers that are down run the statement from the
			// cluster's DDL queue when they return; the migration must
			// stop here, since a replicated table made from the queue
			// after later ALTERs would not match ZooKeeper's structure.
			return fmt.Errorf("not every server of cluster %s has run it in %v (it waits in the cluster's DDL queue for those that are down); bring them back, or take them out of remote_servers, and migrate again: %w",
				s.cluster, s.ddlTimeout, err)
		}
		if err == nil || !errors.As(err, &ex) || ex.Code != codeUnknownTable || wait > 10*time.Second {
			return err
		}
		s.log.Info("migration: a table is missing, perhaps made again by another process; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// ddlUnfinishedRe reads the hosts an ON CLUSTER statement still waits for
// from its timeout message.
var ddlUnfinishedRe = regexp.MustCompile(`There are (\d+) unfinished hosts \((\d+) of them are currently active\)`)

// ddlHostsActive reports whether every server an ON CLUSTER statement timed
// out waiting for is up (so it is slow, not down).
func ddlHostsActive(err error) bool {
	var ex *ch.Exception
	if !errors.As(err, &ex) {
		return false
	}
	m := ddlUnfinishedRe.FindStringSubmatch(ex.Message)
	return m != nil && m[1] == m[2]
}

// ddlQueued reports whether err is an ON CLUSTER statement that ran on the
// servers that are up and waits in the cluster's DDL queue for the others.
func ddlQueued(err error) bool {
	var ex *ch.Exception
	return errors.As(err, &ex) && ex.Code == codeTimeout && strings.Contains(ex.Message, "in background")
}

// createDatabase creates db through a connection to the default database.
// With a cluster it is created on every server of the cluster.
func createDatabase(ctx context.Context, open func(string) (driver.Conn, error), db, cluster string) error {
	boot, err := open("default")
	if err != nil {
		return err
	}
	defer boot.Close()
	q := "CREATE DATABASE IF NOT EXISTS " + quoteIdent(db)
	if cluster != "" {
		q += " ON CLUSTER " + quoteIdent(cluster)
	}
	if err := boot.Exec(ctx, q); err != nil && !(cluster != "" && ddlQueued(err)) {
		return fmt.Errorf("create database %s: %w", db, err)
	}
	return nil
}

// ClickHouse error codes the store handles.
const (
	codeUnknownTable   = 60
	codeTimeout        = 159
	codeIllegalColumn  = 44 // 18.16: "Cannot add column x: column with this name already exists"
	codeDuplicateColum = 15
)

// IsRefusal reports whether err is ClickHouse refusing the statement (an
// exception from the server, such as a value it cannot store), as opposed
// to not being reached (a refused connection, a timeout) or being unable
// to take any write for now (transientCodes), which may pass.
func IsRefusal(err error) bool {
	var ex *ch.Exception
	return errors.As(err, &ex) && !transientCodes[ex.Code]
}

// transientCodes are the exceptions that say the server or cluster cannot
// take a write at the moment, whatever the rows: a table being made again
// by a migration, a replica that lost ZooKeeper and went read-only, a shard
// whose replicas cannot be reached, too few replicas for the insert quorum,
// a full disk, too many parts, memory, a timeout, a server shutting down.
// The consumer retries them like an outage instead of looking for a poison
// event among the rows: dead-lettering good events for a full disk would
// be worse than waiting. (A batch too large for the server's memory limit
// would wait for ever too; a batch is at most --batch events of at most
// schema's size limit, far below ClickHouse's default limit.)
var transientCodes = map[int32]bool{
	codeUnknownTable: true,
	81:               true, // UNKNOWN_DATABASE
	173:              true, // CANNOT_ALLOCATE_MEMORY
	codeTimeout:      true, // TIMEOUT_EXCEEDED
	164:              true, // READONLY
	202:              true, // TOO_MANY_SIMULTANEOUS_QUERIES
	203:              true, // NO_FREE_CONNECTION
	209:              true, // SOCKET_TIMEOUT
	210:              true, // NETWORK_ERROR
	225:              true, // NO_ZOOKEEPER
	236:              true, // ABORTED (a server shutting down mid-insert)
	241:              true, // MEMORY_LIMIT_EXCEEDED
	242:              true, // TABLE_IS_READ_ONLY
	243:              true, // NOT_ENOUGH_SPACE
	252:              true, // TOO_MANY_PARTS
	279:              true, // ALL_CONNECTION_TRIES_FAILED
	285:              true, // TOO_FEW_LIVE_REPLICAS (insert_quorum)
	286:              true, // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
	289:              true, // REPLICA_IS_NOT_IN_QUORUM
	319:              true, // UNKNOWN_STATUS_OF_INSERT
	394:              true, // QUERY_WAS_CANCELLED
	425:              true, // SYSTEM_ERROR
	439:              true, // CANNOT_SCHEDULE_TASK
	473:              true, // DEADLOCK_AVOIDED (a lock held by a migration)
	497:              true, // ACCESS_DENIED
	516:              true, // AUTHENTICATION_FAILED
	999:              true, // KEEPER_EXCEPTION
}

// AlreadyApplied reports whether a DDL error says the change is already
// there (a column added by an earlier or concurrent run), which a migration
// treats as done: 18.16 has no ADD COLUMN IF NOT EXISTS.
func AlreadyApplied(err error) bool {
	var ex *ch.Exception
	if errors.As(err, &ex) && (ex.Code == codeIllegalColumn || ex.Code == codeDuplicateColum) {
		return strings.Contains(ex.Message, "already exists")
	}
	return false
}

func quoteIdent(s string) string { return "`" + s + "`" }

// ServerVersion returns the server's version, such as "18.16.1".
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	v, err := s.conn.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("clickhouse server version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch), nil
}
