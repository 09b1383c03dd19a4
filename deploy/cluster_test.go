package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/alerts"
)

// clusterPath is the cluster stack (deploy/cluster), relative to this
// package.
const clusterPath = "cluster/docker-compose.yml"

var (
	clusterNATS     = []string{"nats-1", "nats-2", "nats-3"}
	clusterKeepers  = []string{"keeper-1", "keeper-2", "keeper-3"}
	clusterReplicas = []string{"clickhouse-1", "clickhouse-2"}
	clusterRoles    = map[string][]string{ // service: its command's first words
		"consume": {"consume"},
		"api":     {"api"},
		"alerts":  {"alerts", "run"},
	}
)

// TestClusterWiring checks deploy/cluster/docker-compose.yml: three NATS
// nodes that each route to the other two, every Coalition service given
// all three in NATS_URL with R3 streams, each service running its one role,
// Coalition in cluster mode on two ClickHouse replicas whose configuration
// (deploy/clickhouse/cluster) names them and the three Keeper nodes, and
// the alert rules file it mounts.
func TestClusterWiring(t *testing.T) {
	p := loadProject(t, clusterPath)
	for _, tc := range clusterChecks {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.check(p); err != nil {
				t.Errorf("%s: %v", clusterPath, err)
			}
		})
	}
}

var clusterChecks = []struct {
	name  string
	check func(*project) error
}{
	{"every NATS node routes to the other two", checkClusterRoutes},
	{"every service lists the three nodes in NATS_URL, with R3 streams", checkClusterNATSURL},
	{"each service runs its role", checkClusterRoles},
	{"ClickHouse credentials match every replica's, and the replicas mount the analyst user", checkClusterClickHouse},
	{"services wait for healthy NATS nodes and replicas, replicas for healthy keepers", checkClusterDepends},
	{"CLICKHOUSE_CLUSTER is the replicas' cluster, CLICKHOUSE_ADDR lists them at their native port", checkClusterMode},
	{"the cluster's one shard lists exactly the replicas, logging in as Coalition", checkClusterShard},
	{"each replica has its own replica macro and its service name as interserver host", checkClusterMacros},
	{"zookeeper lists exactly the keepers at their client port", checkClusterZooKeeper},
	{"raft_configuration lists exactly the keepers with the ids their env gives; same version as the servers", checkClusterRaft},
	{"the alert rules file is mounted where alerts run reads it, and is valid", checkClusterAlerts},
	{"the API is published on loopback at COALITION_HTTP_ADDR's port", checkClusterAPIPort},
	{"named volumes are declared", checkNamedVolumes},
}

// clusterFlag is flagValue for one flag name ("--routes" or "routes").
func clusterFlag(cmd []string, name string) string {
	v, _ := flagValue(cmd, strings.TrimLeft(name, "-"))
	return v
}

func checkClusterRoutes(p *project) error {
	var errs []error
	for _, name := range clusterNATS {
		s, err := p.service(name)
		if err != nil {
			return err
		}
		cmd := []string(s.Command)
		if !slices.Contains(cmd, "-js") {
			errs = append(errs, fmt.Errorf("%s: JetStream is off (no -js)", name))
		}
		if got := clusterFlag(cmd, "--server_name"); got != name {
			errs = append(errs, fmt.Errorf("%s: --server_name %q, want the service name", name, got))
		}
		if got := clusterFlag(cmd, "--cluster_name"); got != "coalition" {
			errs = append(errs, fmt.Errorf("%s: --cluster_name %q, want coalition", name, got))
		}
		if got := clusterFlag(cmd, "--cluster"); got != "nats://0.0.0.0:6222" {
			errs = append(errs, fmt.Errorf("%s: --cluster %q, want nats://0.0.0.0:6222", name, got))
		}
		var want []string
		for _, other := range clusterNATS {
			if other != name {
				want = append(want, "nats://"+other+":6222")
			}
		}
		got := strings.Split(clusterFlag(cmd, "--routes"), ",")
		slices.Sort(got)
		if !slices.Equal(got, want) {
			errs = append(errs, fmt.Errorf("%s: --routes %v, want %v", name, got, want))
		}
		if s.Healthcheck == nil || !strings.Contains(strings.Join(s.Healthcheck.Test, " "), "8222/healthz") {
			errs = append(errs, fmt.Errorf("%s: no healthcheck of the monitoring port", name))
		}
	}
	return errors.Join(errs...)
}

func checkClusterNATSURL(p *project) error {
	var want []string
	for _, n := range clusterNATS {
		want = append(want, "nats://"+n+":"+natsDefaultPort)
	}
	var errs []error
	for _, name := range sortedKeys(clusterRoles) {
		s, err := p.service(name)
		if err != nil {
			return err
		}
		v, _ := s.Environment.get("NATS_URL")
		got := strings.Split(v, ",")
		slices.Sort(got)
		if !slices.Equal(got, want) {
			errs = append(errs, fmt.Errorf("%s: NATS_URL %q, want the three nodes %v", name, v, want))
		}
		if r, _ := s.Environment.get("COALITION_STREAM_REPLICAS"); r != "3" {
			errs = append(errs, fmt.Errorf("%s: COALITION_STREAM_REPLICAS %q, want 3", name, r))
		}
	}
	return errors.Join(errs...)
}

func checkClusterRoles(p *project) error {
	var errs []error
	for _, name := range sortedKeys(clusterRoles) {
		s, err := p.service(name)
		if err != nil {
			return err
		}
		want := clusterRoles[name]
		if cmd := []string(s.Command); len(cmd) < len(want) || !slices.Equal(cmd[:len(want)], want) {
			errs = append(errs, fmt.Errorf("%s: command %v, want it to start with %v", name, cmd, want))
		}
		if s.Build == nil {
			errs = append(errs, fmt.Errorf("%s: not built from the repository's Dockerfile", name))
		}
	}
	return errors.Join(errs...)
}

func checkClusterDepends(p *project) error {
	var errs []error
	healthy := func(name string, deps []string) {
		s, err := p.service(name)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, dep := range deps {
			if s.DependsOn[dep] != "service_healthy" {
				errs = append(errs, fmt.Errorf("%s: depends_on %s is %q, want service_healthy", name, dep, s.DependsOn[dep]))
			}
		}
	}
	for _, name := range sortedKeys(clusterRoles) {
		healthy(name, slices.Concat(clusterNATS, clusterReplicas))
	}
	for _, name := range clusterReplicas {
		healthy(name, clusterKeepers)
	}
	for _, name := range slices.Concat(clusterNATS, clusterKeepers, clusterReplicas) {
		if s, err := p.service(name); err == nil && !s.Healthcheck.usable() {
			errs = append(errs, fmt.Errorf("%s has no healthcheck, so service_healthy never holds", name))
		}
	}
	return errors.Join(errs...)
}

func checkClusterAlerts(p *project) error {
	s, err := p.service("alerts")
	if err != nil {
		return err
	}
	path := clusterFlag([]string(s.Command), "--alert-rules")
	if path == "" {
		return errors.New("alerts: no --alert-rules")
	}
	for _, v := range s.Volumes {
		if v.Target != path {
			continue
		}
		src := filepath.Join(p.dir, v.Source)
		if _, err := alerts.LoadRulesEnv(src, func(string) (string, bool) { return "", false }); err != nil {
			return fmt.Errorf("alerts: the rules file %s: %w", src, err)
		}
		return nil
	}
	return fmt.Errorf("alerts: nothing is mounted at --alert-rules %s", path)
}

func checkClusterAPIPort(p *project) error {
	s, err := p.service("api")
	if err != nil {
		return err
	}
	addr, _ := s.Environment.get("COALITION_HTTP_ADDR")
	_, port, _ := strings.Cut(addr, ":")
	for _, pm := range s.Ports {
		if pm.Target == port && pm.HostIP == "127.0.0.1" {
			return nil
		}
	}
	return fmt.Errorf("api: no port published on 127.0.0.1 to COALITION_HTTP_ADDR %q", addr)
}

// clusterFiles are the files of the cluster stack, relative to this
// package: the compose file and what it mounts.
var clusterFiles = []string{
	clusterPath,
	"cluster/alerts.yml",
	"clickhouse/cluster/cluster.xml",
	"clickhouse/cluster/keeper_config.xml",
	"clickhouse/users.d/analyst.xml",
}

// TestClusterChecksCatchMistakes breaks the cluster stack (the compose file
// or a file it mounts) in one place at a time; the matching check must say
// so.
func TestClusterChecksCatchMistakes(t *testing.T) {
	const (
		compose = clusterPath
		chXML   = "clickhouse/cluster/cluster.xml"
		keeper  = "clickhouse/cluster/keeper_config.xml"
	)
	for _, m := range []struct{ file, check, from, to string }{
		{compose, "every NATS node routes to the other two", `"nats://nats-2:6222,nats://nats-3:6222"`, `"nats://nats-2:6222"`},
		{compose, "every NATS node routes to the other two", `"--server_name", "nats-3"`, `"--server_name", "nats-9"`},
		{compose, "every service lists the three nodes in NATS_URL, with R3 streams", "NATS_URL: nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", "NATS_URL: nats://nats-1:4222,nats://nats-2:4222"},
		{compose, "every service lists the three nodes in NATS_URL, with R3 streams", `COALITION_STREAM_REPLICAS: "3"`, `COALITION_STREAM_REPLICAS: "1"`},
		{compose, "each service runs its role", `command: ["consume"]`, `command: ["serve"]`},
		{compose, "ClickHouse credentials match every replica's, and the replicas mount the analyst user", "CLICKHOUSE_PASSWORD: ${CLICKHOUSE_PASSWORD:-coalition-local-only}\n    CLICKHOUSE_DEFAULT", "CLICKHOUSE_PASSWORD: ${CH_PASSWORD:-coalition-local-only}\n    CLICKHOUSE_DEFAULT"},
		{compose, "ClickHouse credentials match every replica's, and the replicas mount the analyst user", "      - ../clickhouse/users.d/analyst.xml:/etc/clickhouse-server/users.d/analyst.xml:ro\n  clickhouse-2:", "  clickhouse-2:"},
		{compose, "services wait for healthy NATS nodes and replicas, replicas for healthy keepers", "    clickhouse-2:\n      condition: service_healthy\n  restart", "    clickhouse-2:\n      condition: service_started\n  restart"},
		{compose, "services wait for healthy NATS nodes and replicas, replicas for healthy keepers", "    keeper-3:\n      condition: service_healthy\n  restart", "  restart"},
		{compose, "CLICKHOUSE_CLUSTER is the replicas' cluster, CLICKHOUSE_ADDR lists them at their native port", "CLICKHOUSE_CLUSTER: coalition", "CLICKHOUSE_CLUSTER: default"},
		{compose, "CLICKHOUSE_CLUSTER is the replicas' cluster, CLICKHOUSE_ADDR lists them at their native port", "CLICKHOUSE_ADDR: clickhouse-1:9000,clickhouse-2:9000", "CLICKHOUSE_ADDR: clickhouse-1:9000"},
		{compose, "CLICKHOUSE_CLUSTER is the replicas' cluster, CLICKHOUSE_ADDR lists them at their native port", "CLICKHOUSE_ADDR: clickhouse-1:9000,clickhouse-2:9000", "CLICKHOUSE_ADDR: clickhouse-1:9000,clickhouse-2:8123"},
		{chXML, "CLICKHOUSE_CLUSTER is the replicas' cluster, CLICKHOUSE_ADDR lists them at their native port", "</distributed_ddl>", "</distributed_ddl>\n    <tcp_port>9440</tcp_port>"},
		{chXML, "the cluster's one shard lists exactly the replicas, logging in as Coalition", "<host>clickhouse-2</host>", "<host>clickhouse-3</host>"},
		{chXML, "the cluster's one shard lists exactly the replicas, logging in as Coalition", "<internal_replication>true", "<internal_replication>false"},
		{chXML, "the cluster's one shard lists exactly the replicas, logging in as Coalition", `<password from_env="CLICKHOUSE_PASSWORD"/>`, "<password/>"},
		{chXML, "the cluster's one shard lists exactly the replicas, logging in as Coalition", "            </shard>", "            </shard>\n            <shard/>"},
		{compose, "each replica has its own replica macro and its service name as interserver host", "CLICKHOUSE_REPLICA: clickhouse-2", "CLICKHOUSE_REPLICA: clickhouse-1"},
		{compose, "each replica has its own replica macro and its service name as interserver host", "CLICKHOUSE_INTERSERVER_HOST: clickhouse-2", "CLICKHOUSE_INTERSERVER_HOST: localhost"},
		{chXML, "each replica has its own replica macro and its service name as interserver host", `<replica from_env="CLICKHOUSE_REPLICA"/>`, "<replica>r1</replica>"},
		{chXML, "each replica has its own replica macro and its service name as interserver host", "<path>/clickhouse/task_queue/ddl</path>", ""},
		{chXML, "zookeeper lists exactly the keepers at their client port", "<host>keeper-3</host>", "<host>keeper-1</host>"},
		{keeper, "zookeeper lists exactly the keepers at their client port", "<tcp_port>9181</tcp_port>", "<tcp_port>2181</tcp_port>"},
		{compose, "raft_configuration lists exactly the keepers with the ids their env gives; same version as the servers", `KEEPER_SERVER_ID: "3"`, `KEEPER_SERVER_ID: "2"`},
		{keeper, "raft_configuration lists exactly the keepers with the ids their env gives; same version as the servers", "<hostname>keeper-3</hostname>", "<hostname>keeper-4</hostname>"},
		{keeper, "raft_configuration lists exactly the keepers with the ids their env gives; same version as the servers", "<id>3</id>", "<id>2</id>"},
		{compose, "raft_configuration lists exactly the keepers with the ids their env gives; same version as the servers", "image: clickhouse/clickhouse-keeper:26.3", "image: clickhouse/clickhouse-keeper:25.8"},
		{compose, "the alert rules file is mounted where alerts run reads it, and is valid", "./alerts.yml:/etc/coalition/alerts.yml:ro", "./alerts.yml:/etc/alerts.yml:ro"},
	} {
		dir := t.TempDir()
		found := false
		for _, f := range clusterFiles {
			b := mustRead(t, f)
			if f == m.file {
				found = strings.Contains(string(b), m.from)
				b = []byte(strings.Replace(string(b), m.from, m.to, 1))
			}
			dst := filepath.Join(dir, f)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if !found {
			t.Errorf("%s no longer contains %q: update this mutation", m.file, m.from)
			continue
		}
		p := loadProject(t, filepath.Join(dir, clusterPath))
		matched := false
		for _, c := range clusterChecks {
			if c.name == m.check {
				matched = true
				if err := c.check(p); err == nil {
					t.Errorf("%s with %q instead of %q: %q still passes", m.file, m.to, m.from, m.check)
				}
			}
		}
		if !matched {
			t.Errorf("no check named %q", m.check)
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestClusterComposeConfig validates the cluster stack with docker-compose.
func TestClusterComposeConfig(t *testing.T) { dockerComposeConfig(t, clusterPath) }
