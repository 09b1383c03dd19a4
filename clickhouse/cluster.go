package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Cluster mode (Config.Cluster): Coalition's tables on a ClickHouse
// cluster, the way ClickHouse's documentation lays one out. Each table of
// the migrations becomes two:
//
//   - <table>_local on every server, with the Replicated version of its
//     engine, kept in ZooKeeper (or ClickHouse Keeper) under
//     /clickhouse/tables/{shard}/<database>/<table>_local with the
//     server's {replica} macro;
//   - <table> in front of them, a Distributed table over the cluster,
//     which the rest of Coalition reads and writes as before.
//
// Every DDL statement runs ON CLUSTER, so one `coalition migrate` (or the
// first process to start) sets up every server. Inserts through a
// Distributed table are synchronous (insert_distributed_sync=1): when
// InsertEvents returns, the rows are on a replica of their shard (on
// Config.InsertQuorum replicas, if set), which the others copy. Each shard
// replicates its own rows; remote_servers must say internal_replication.
//
// The migrations are written once, for one server; clusterStatements
// rewrites each statement. It knows the four forms the migrations use and
// refuses anything else, so a new migration cannot silently skip the
// cluster (TestClusterStatements rewrites all of them). The fourth, DROP
// TABLE IF EXISTS, is for views only (a migration makes a view again by
// dropping it: ClickHouse 18.16 can neither replace a view nor DROP VIEW):
// a table is two tables in cluster mode, and holds rows.

// shardingKeys are the Distributed tables' sharding keys: the rows of one
// event id on one shard (where ReplacingMergeTree merges them away), one
// coalition's snapshots together, the figures of one country or currency
// together. Tables not listed spread at random.
var shardingKeys = map[string]string{
	"events":           "cityHash64(toString(event_id))",
	"status_snapshots": "cityHash64(coalition)",
	"reference_gdp":    "cityHash64(country)",
	"reference_fx":     "cityHash64(currency)",
}

var (
	createTableRe = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS (\w+)\s*(\(.*\))\s*ENGINE = (\w+)(\([^)]*\))?(\s.*)?$`)
	createViewRe  = regexp.MustCompile(`(?s)^CREATE VIEW IF NOT EXISTS (\w+) AS\s(.*)$`)
	alterAddRe    = regexp.MustCompile(`(?s)^ALTER TABLE (\w+) ADD COLUMN (.*)$`)
	dropTableRe   = regexp.MustCompile(`^DROP TABLE IF EXISTS (\w+)$`)
	// fromRe finds the tables a view reads: a name after FROM or JOIN
	// (not a subquery, not already qualified). A name after ARRAY JOIN is
	// a column, which qualifyTables leaves alone.
	fromRe = regexp.MustCompile(`\b(ARRAY\s+)?(FROM|JOIN)(\s+)([A-Za-z_]\w*)\b([^.]|$)`)
)

// clusterStatements rewrites one migration statement for cluster mode
// (see above) on cluster in database db.
func clusterStatements(stmt, cluster, db string) ([]string, error) {
	stmt = strings.TrimSpace(stmt)
	on := " ON CLUSTER " + quoteIdent(cluster)
	qual := func(table string) string { return quoteIdent(db) + "." + quoteIdent(table) }
	if m := createTableRe.FindStringSubmatch(stmt); m != nil {
		table, columns, engine, args, rest := m[1], m[2], m[3], m[4], m[5]
		if strings.HasPrefix(engine, "Replicated") || engine == "Distributed" {
			return nil, fmt.Errorf("table %s: engine %s is for one server; cluster mode makes it replicated itself", table, engine)
		}
		if !strings.HasSuffix(engine, "MergeTree") {
			return nil, fmt.Errorf("table %s: engine %s has no Replicated form", table, engine)
		}
		local := table + "_local"
		replArgs := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", db, local)
		if inner := strings.TrimSuffix(strings.TrimPrefix(args, "("), ")"); strings.TrimSpace(inner) != "" {
			replArgs += ", " + inner
		}
		return []string{
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s%s\n%s\nENGINE = Replicated%s(%s)%s", qual(local), on, columns, engine, replArgs, rest),
			distributedDDL(table, cluster, db),
		}, nil
	}
	if m := createViewRe.FindStringSubmatch(stmt); m != nil {
		// Each server runs the DDL in its default database, so the
		// tables the view reads are named with theirs.
		body := qualifyTables(m[2], db)
		return []string{fmt.Sprintf("CREATE VIEW IF NOT EXISTS %s%s AS\n%s", qual(m[1]), on, body)}, nil
	}
	if m := alterAddRe.FindStringSubmatch(stmt); m != nil {
		// The replicated table takes the column; the Distributed table in
		// front is made again with the new columns, since ClickHouse
		// runs an ALTER ON CLUSTER of a shard with internal_replication
		// only for replicated tables. A Distributed table holds no rows
		// (inserts are synchronous), so nothing is lost; a query in the
		// moment between the two fails and is retried like an outage.
		return []string{
			fmt.Sprintf("ALTER TABLE %s%s ADD COLUMN %s", qual(m[1]+"_local"), on, m[2]),
			fmt.Sprintf("DROP TABLE IF EXISTS %s%s", qual(m[1]), on),
			distributedDDL(m[1], cluster, db),
		}, nil
	}
	if m := dropTableRe.FindStringSubmatch(stmt); m != nil {
		views, err := migrationViews()
		if err != nil {
			return nil, err
		}
		if !views[m[1]] {
			return nil, fmt.Errorf("DROP TABLE %s: cluster mode drops only the views the migrations create, not a table (replicated and Distributed, with its rows)", m[1])
		}
		return []string{fmt.Sprintf("DROP TABLE IF EXISTS %s%s", qual(m[1]), on)}, nil
	}
	first, _, _ := strings.Cut(stmt, "\n")
	return nil, fmt.Errorf("cluster mode cannot rewrite the statement %q: it knows CREATE TABLE IF NOT EXISTS, CREATE VIEW IF NOT EXISTS, ALTER TABLE ADD COLUMN and DROP TABLE IF EXISTS of a view", first)
}

// migrationViews returns the names of the views the migrations create,
// which are the only names cluster mode drops.
var migrationViews = sync.OnceValues(func() (map[string]bool, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	views := map[string]bool{}
	for _, m := range ms {
		for _, stmt := range m.Statements {
			if v := createViewRe.FindStringSubmatch(strings.TrimSpace(stmt)); v != nil {
				views[v[1]] = true
			}
		}
	}
	return views, nil
})

// qualifyTables names the tables a view's body reads with database db.
func qualifyTables(body, db string) string {
	return fromRe.ReplaceAllStringFunc(body, func(match string) string {
		m := fromRe.FindStringSubmatch(match)
		if m[1] != "" { // ARRAY JOIN: a column
			return match
		}
		return m[2] + m[3] + quoteIdent(db) + "." + m[4] + m[5]
	})
}

// distributedDDL creates the Distributed table in front of table's
// replicated table.
func distributedDDL(table, cluster, db string) string {
	key := shardingKeys[table]
	if key == "" {
		key = "rand()"
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s ON CLUSTER %s AS %s.%s\nENGINE = Distributed(%s, %s, %s, %s)",
		quoteIdent(db), quoteIdent(table), quoteIdent(cluster), quoteIdent(db), quoteIdent(table+"_local"),
		quoteIdent(cluster), quoteIdent(db), quoteIdent(table+"_local"), key)
}

// localTable is the table that holds a table's rows on the connected
// server: the table itself, or its replicated table in cluster mode.
func (s *Store) localTable(table string) string {
	if s.cluster != "" {
		return table + "_local"
	}
	return table
}

// Status snapshots in cluster mode. On one server a snapshot is exact
// because InsertEvents writes a batch's events before its ingest mark: a
// reader that counts the mark sees the events. Replicas copy the two tables
// independently, so a replica may have a batch's mark and not yet its
// events. A snapshot is therefore computed and stored only by a server that
// is caught up (caughtUp): after reading the marks, its replication log
// for events_local is read to the end and no part is waiting to be
// fetched, so every batch whose mark it counted is in its events. Every
// statement of that refresh runs on that one server (pinServer), not
// wherever the shared pool's connections lead after a fail-over.
//
// What this leaves: a Replicated table takes an insert's block number from
// ZooKeeper before the part is visible, so two writers' parts can appear
// out of number order. If the writer of the lower-numbered part is killed
// between its INSERT and its mark, and a snapshot is taken in between, the
// snapshot's block fingerprint does not see that part. The snapshot stays
// current only until the next mark by any writer, and the killed writer's
// batch comes back (it was not acked) and is written again and marked.

// serverPools holds a connection pool to each server alone, opened when
// first used.
type serverPools struct {
	addrs []string
	open  func(addr string) (driver.Conn, error)
	mu    sync.Mutex
	conns map[string]driver.Conn
}

func (p *serverPools) get(addr string) (driver.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[addr]; ok {
		return c, nil
	}
	c, err := p.open(addr)
	if err != nil {
		return nil, err
	}
	if p.conns == nil {
		p.conns = map[string]driver.Conn{}
	}
	p.conns[addr] = c
	return c, nil
}

func (p *serverPools) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, c := range p.conns {
		errs = append(errs, c.Close())
	}
	p.conns = nil
	return errors.Join(errs...)
}

type pinnedConn struct{}

// c returns the connection a statement runs on: the server ctx is pinned
// to, if any, else the shared pool.
func (s *Store) c(ctx context.Context) driver.Conn {
	if c, ok := ctx.Value(pinnedConn{}).(driver.Conn); ok {
		return c
	}
	return s.conn
}

// pinServer returns ctx pinned to the first server, in address order, that
// answers: every statement run with it goes to that server. Outside
// cluster mode it returns ctx.
func (s *Store) pinServer(ctx context.Context) (context.Context, error) {
	if s.servers == nil {
		return ctx, nil
	}
	if _, ok := ctx.Value(pinnedConn{}).(driver.Conn); ok {
		return ctx, nil
	}
	var errs []error
	for _, addr := range s.servers.addrs {
		c, err := s.servers.get(addr)
		if err == nil {
			err = c.Ping(ctx)
		}
		if err == nil {
			return context.WithValue(ctx, pinnedConn{}, c), nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return ctx, fmt.Errorf("no server of cluster %s answers: %w", s.cluster, errors.Join(errs...))
}

// caughtUp reports whether the server ctx is pinned to has every part of
// the events table that its replication log names, up to the log's end now
// (see above). marks is the coalition's ingest marks read before: with no
// mark, an empty log says nothing is missing. It also says why not.
func (s *Store) caughtUp(ctx context.Context, marks uint64) (bool, string, error) {
	q, err := Bind("SELECT inserts_in_queue, log_pointer, log_max_index FROM system.replicas WHERE database = currentDatabase() AND table = @table",
		map[string]any{"table": s.localTable("events")})
	if err != nil {
		return false, "", err
	}
	var queued uint32
	var pointer, maxIndex uint64
	if err := s.c(ctx).QueryRow(ctx, q).Scan(&queued, &pointer, &maxIndex); err != nil {
		return false, "", fmt.Errorf("read the replication state of %s: %w", s.localTable("events"), err)
	}
	switch {
	case queued > 0:
		return false, fmt.Sprintf("%d parts of events to fetch", queued), nil
	case pointer <= maxIndex && (pointer > 0 || marks > 0):
		// log_pointer is one past the last entry read; an empty log reads 0, 0.
		return false, fmt.Sprintf("replication log read to %d of %d", pointer, maxIndex+1), nil
	}
	return true, "", nil
}

// clusterShards returns the number of shards of the store's cluster as the
// connected server defines it, and an error that says so if the server
// does not know the cluster.
func (s *Store) clusterShards(ctx context.Context) (int, error) {
	q, err := Bind("SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = @cluster", map[string]any{"cluster": s.cluster})
	if err != nil {
		return 0, err
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("read cluster %s: %w", s.cluster, err)
	}
	if n == 0 {
		return 0, fmt.Errorf("cluster %s is not in the server's remote_servers (system.clusters)", s.cluster)
	}
	return int(n), nil
}

// keepsSnapshots reports whether status snapshots can be exact here. On a
// cluster of several shards a server's replication state says nothing of
// the other shards' replicas, whose events a status reads too, so the
// status is always computed there (slower, never stale). One shard with any
// number of replicas keeps snapshots.
func (s *Store) keepsSnapshots() bool { return s.cluster == "" || s.shards == 1 }
