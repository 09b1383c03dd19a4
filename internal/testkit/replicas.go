package testkit

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
)

// ReplicaCluster is the name of the cluster ClickHouseReplicas and
// ClickHouseCluster set up.
const ReplicaCluster = "coalition"

// Replicas are private ClickHouse servers that are the replicas of one
// shard of the cluster ReplicaCluster, with a private ZooKeeper: Coalition's
// cluster mode on one machine.
type Replicas struct {
	Addrs   []string // native host:port of each replica
	servers []*clickhouse.LocalServer
	opts    []clickhouse.LocalOptions
}

// ClickHouseReplicas starts n private clickhouse-servers (and a ZooKeeper)
// as the n replicas of one shard of the cluster "coalition", each in its
// own tb.TempDir() on free loopback ports. They are stopped in tb.Cleanup.
func ClickHouseReplicas(tb testing.TB, n int) *Replicas {
	tb.Helper()
	return ClickHouseCluster(tb, 1, n)
}

// ClickHouseCluster is ClickHouseReplicas for a cluster "coalition" of
// shards shards of replicas replicas each: server i is replica
// i%replicas+1 of shard i/replicas+1.
func ClickHouseCluster(tb testing.TB, shards, replicas int) *Replicas {
	tb.Helper()
	n := shards * replicas
	zk := ZooKeeper(tb)
	r := &Replicas{}
	tb.Cleanup(func() {
		for _, s := range r.servers {
			if s != nil {
				s.Stop()
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The ports are picked before the servers bind them (each server's
	// configuration names the others'), so another test may take one
	// meanwhile: then start again on other ports.
	for attempt := 1; ; attempt++ {
		err := r.start(ctx, tb, zk, shards, replicas)
		if err == nil {
			return r
		}
		for _, s := range r.servers {
			s.Stop()
		}
		r.servers, r.opts, r.Addrs = nil, nil, nil
		if attempt == 3 {
			tb.Fatalf("testkit: start %d ClickHouse replicas: %v", n, err)
		}
		tb.Logf("testkit: start %d ClickHouse replicas (attempt %d): %v; trying other ports", n, attempt, err)
	}
}

func (r *Replicas) start(ctx context.Context, tb testing.TB, zk string, shards, replicas int) error {
	n := shards * replicas
	ports := freePorts(tb, 3*n) // native, HTTP and interserver of each replica
	var layout [][]int          // native ports by shard
	for sh := range shards {
		layout = append(layout, ports[sh*replicas:(sh+1)*replicas])
	}
	for i := range n {
		opts := clickhouse.LocalOptions{Dir: tb.TempDir(), TCPPort: ports[i], HTTPPort: ports[n+i],
			ExtraConfig: ClusterConfig(zk, i/replicas+1, fmt.Sprintf("r%d", i+1), ports[2*n+i], layout)}
		srv, err := clickhouse.StartLocal(ctx, opts)
		if err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
		r.servers = append(r.servers, srv)
		r.opts = append(r.opts, opts)
		r.Addrs = append(r.Addrs, srv.Addr())
	}
	return nil
}

// Stop stops replica i (from 0).
func (r *Replicas) Stop(i int) error {
	s := r.servers[i]
	r.servers[i] = nil
	if s == nil {
		return nil
	}
	return s.Stop()
}

// Start starts replica i again on its directory and ports.
func (r *Replicas) Start(ctx context.Context, i int) error {
	if r.servers[i] != nil {
		return nil
	}
	s, err := clickhouse.StartLocal(ctx, r.opts[i])
	if err != nil {
		return err
	}
	r.servers[i] = s
	return nil
}

// ReplicaConfig is the config.xml addition that makes a server replica name
// of the one shard of cluster "coalition" whose replicas listen on the
// given native ports, with ZooKeeper at zk (host:port).
func ReplicaConfig(zk, name string, interserver int, natives []int) string {
	return ClusterConfig(zk, 1, name, interserver, [][]int{natives})
}

// ClusterConfig is ReplicaConfig for a cluster of several shards: the
// server is replica name of shard (from 1); layout lists each shard's
// replicas' native ports.
func ClusterConfig(zk string, shard int, name string, interserver int, layout [][]int) string {
	shards := ""
	for _, natives := range layout {
		shards += "<shard><internal_replication>true</internal_replication>"
		for _, p := range natives {
			shards += fmt.Sprintf("<replica><host>127.0.0.1</host><port>%d</port></replica>", p)
		}
		shards += "</shard>"
	}
	zkHost, zkPort, _ := net.SplitHostPort(zk)
	return fmt.Sprintf(`<zookeeper><node><host>%s</host><port>%s</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>
    <macros><shard>%d</shard><replica>%s</replica></macros>
    <remote_servers><%s>%s</%s></remote_servers>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>%d</interserver_http_port>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>`, zkHost, zkPort, shard, name, ReplicaCluster, shards, ReplicaCluster, interserver)
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

// Dir returns replica i's data directory (its logs are in Dir(i)/log).
func (r *Replicas) Dir(i int) string { return r.opts[i].Dir }
