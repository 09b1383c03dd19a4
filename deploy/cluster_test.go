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
	clusterNATS  = []string{"nats-1", "nats-2", "nats-3"}
	clusterRoles = map[string][]string{ // service: its command's first words
		"consume": {"consume"},
		"api":     {"api"},
		"alerts":  {"alerts", "run"},
	}
)

// TestClusterWiring checks deploy/cluster/docker-compose.yml: three NATS
// nodes that each route to the other two, every Coalition service given
// all three in NATS_URL with R3 streams, each service running its one role,
// the ClickHouse wiring of the single-node stack, and the alert rules file
// it mounts.
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
	{"ClickHouse address and credentials match the clickhouse service", checkClusterClickHouse},
	{"services wait for healthy NATS nodes and ClickHouse", checkClusterDepends},
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

func checkClusterClickHouse(p *project) error {
	ch, err := p.service(chService)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range []*composeFile{p.defaults, p.fromEnv} {
		chs := f.Services[chService]
		for _, name := range []string{"consume", "api"} {
			s := f.Services[name]
			if s == nil {
				return fmt.Errorf("no service %s", name)
			}
			if v, _ := s.Environment.get("CLICKHOUSE_ADDR"); v != chService+":"+chNativePort {
				errs = append(errs, fmt.Errorf("%s: CLICKHOUSE_ADDR %q, want %s:%s", name, v, chService, chNativePort))
			}
			for _, pair := range [][2]string{{"CLICKHOUSE_USER", "CLICKHOUSE_USER"}, {"CLICKHOUSE_PASSWORD", "CLICKHOUSE_PASSWORD"}, {"CLICKHOUSE_DATABASE", "CLICKHOUSE_DB"}} {
				a, _ := s.Environment.get(pair[0])
				c, _ := chs.Environment.get(pair[1])
				if a == "" || a != c {
					errs = append(errs, fmt.Errorf("%s: %s %q differs from clickhouse's %s %q", name, pair[0], a, pair[1], c))
				}
			}
		}
	}
	if ch.Healthcheck == nil {
		errs = append(errs, errors.New("clickhouse has no healthcheck"))
	}
	return errors.Join(errs...)
}

func checkClusterDepends(p *project) error {
	var errs []error
	for _, name := range sortedKeys(clusterRoles) {
		s, err := p.service(name)
		if err != nil {
			return err
		}
		for _, dep := range append(slices.Clone(clusterNATS), chService) {
			if s.DependsOn[dep] != "service_healthy" {
				errs = append(errs, fmt.Errorf("%s: depends_on %s is %q, want service_healthy", name, dep, s.DependsOn[dep]))
			}
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

// TestClusterChecksCatchMistakes breaks the cluster stack in one place at a
// time; the matching check must say so.
func TestClusterChecksCatchMistakes(t *testing.T) {
	orig, err := os.ReadFile(clusterPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct{ check, from, to string }{
		{"every NATS node routes to the other two", `"nats://nats-2:6222,nats://nats-3:6222"`, `"nats://nats-2:6222"`},
		{"every NATS node routes to the other two", `"--server_name", "nats-3"`, `"--server_name", "nats-9"`},
		{"every service lists the three nodes in NATS_URL, with R3 streams", "NATS_URL: nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", "NATS_URL: nats://nats-1:4222,nats://nats-2:4222"},
		{"every service lists the three nodes in NATS_URL, with R3 streams", `COALITION_STREAM_REPLICAS: "3"`, `COALITION_STREAM_REPLICAS: "1"`},
		{"each service runs its role", `command: ["consume"]`, `command: ["serve"]`},
		{"ClickHouse address and credentials match the clickhouse service", "CLICKHOUSE_ADDR: clickhouse:9000", "CLICKHOUSE_ADDR: clickhouse:8123"},
		{"the alert rules file is mounted where alerts run reads it, and is valid", "./alerts.yml:/etc/coalition/alerts.yml:ro", "./alerts.yml:/etc/alerts.yml:ro"},
	} {
		if !strings.Contains(string(orig), m.from) {
			t.Errorf("%s no longer contains %q: update this mutation", clusterPath, m.from)
			continue
		}
		dir := t.TempDir()
		broken := filepath.Join(dir, "docker-compose.yml")
		if err := os.WriteFile(broken, []byte(strings.Replace(string(orig), m.from, m.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "alerts.yml"), mustRead(t, "cluster/alerts.yml"), 0o644); err != nil {
			t.Fatal(err)
		}
		p := loadProject(t, broken)
		for _, c := range clusterChecks {
			if c.name == m.check {
				if err := c.check(p); err == nil {
					t.Errorf("%q instead of %q: %q still passes", m.to, m.from, m.check)
				}
			}
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
