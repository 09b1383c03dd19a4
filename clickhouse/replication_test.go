package clickhouse_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/testkit"
)

// replicaConfig is the config.xml addition of replica name of a one-shard
// cluster "coalition" whose replicas listen on the given native ports.
func replicaConfig(zk, name string, interserver int, natives []int) string {
	replicas := ""
	for _, p := range natives {
		replicas += fmt.Sprintf("<replica><host>127.0.0.1</host><port>%d</port></replica>", p)
	}
	zkHost, zkPort, _ := net.SplitHostPort(zk)
	return fmt.Sprintf(`<zookeeper><node><host>%s</host><port>%s</port></node><session_timeout_ms>10000</session_timeout_ms></zookeeper>
    <macros><shard>1</shard><replica>%s</replica></macros>
    <remote_servers><coalition><shard><internal_replication>true</internal_replication>%s</shard></coalition></remote_servers>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>%d</interserver_http_port>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>`, zkHost, zkPort, name, replicas, interserver)
}

func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var out []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// TestReplicatedLocalServers starts two private ClickHouse servers as the
// two replicas of one shard, with ZooKeeper: the ground the ClickHouse
// cluster mode of issue 8 will stand on. DDL made ON CLUSTER on one reaches
// both; a row written to one replica is read from the other; a Distributed
// table in front reads the shard.
func TestReplicatedLocalServers(t *testing.T) {
	t.Parallel()
	zk := testkit.ZooKeeper(t)
	ports := freePorts(t, 6) // native, http and interserver of each replica
	natives := []int{ports[0], ports[1]}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stores []*clickhouse.Store
	for i, name := range []string{"r1", "r2"} {
		srv, err := clickhouse.StartLocal(ctx, clickhouse.LocalOptions{Dir: t.TempDir(), TCPPort: natives[i], HTTPPort: ports[2+i],
			ExtraConfig: replicaConfig(zk, name, ports[4+i], natives)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Stop() })
		s, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{srv.Addr()}, Database: "default"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS rep ON CLUSTER coalition",
		"CREATE TABLE IF NOT EXISTS rep.events_local ON CLUSTER coalition (id UInt64, v String) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/rep/events_local', '{replica}') ORDER BY id",
		"CREATE TABLE IF NOT EXISTS rep.events ON CLUSTER coalition AS rep.events_local ENGINE = Distributed(coalition, rep, events_local)",
	} {
		if err := stores[0].Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := stores[0].Exec(ctx, "INSERT INTO rep.events_local SELECT number, 'from r1' FROM system.numbers LIMIT 2"); err != nil {
		t.Fatal(err)
	}
	if err := stores[1].Exec(ctx, "SYSTEM SYNC REPLICA rep.events_local"); err != nil {
		t.Fatal(err)
	}
	for i, s := range stores {
		for _, table := range []string{"rep.events_local", "rep.events"} {
			res, err := s.RunSQL(ctx, "SELECT count() FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			if n := res.Rows[0][0].(uint64); n != 2 {
				t.Errorf("replica r%d, %s: %d rows, want 2", i+1, table, n)
			}
		}
	}
}
