package deploy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// composePath is the compose file under test, relative to this package.
const composePath = "../docker-compose.yml"

// Service names and ports the coalition service is wired to.
const (
	natsService     = "nats"
	chService       = "clickhouse"
	appService      = "coalition"
	natsDefaultPort = "4222" // nats-server's client port unless -p/--port says otherwise
	chNativePort    = "9000" // ClickHouse's native protocol, which CLICKHOUSE_ADDR speaks
	appEntrypoint   = "/coalition"
	appPackage      = "./cmd/coalition"
)

// TestComposeWiring checks that docker-compose.yml connects the coalition
// service to the nats and clickhouse services it runs with.
func TestComposeWiring(t *testing.T) {
	p := loadProject(t, composePath)
	for _, tc := range wiringChecks {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.check(p); err != nil {
				t.Errorf("%s: %v", composePath, err)
			}
		})
	}
}

// wiringChecks are the checks TestComposeWiring runs, in order.
var wiringChecks = []struct {
	name  string
	check func(*project) error
}{
	{"services exist", checkServices},
	{"NATS_URL names the nats service and its client port", checkNATSURL},
	{"CLICKHOUSE_ADDR names the clickhouse service at 9000", checkClickHouseAddr},
	{"ClickHouse credentials match the clickhouse service", checkClickHouseCredentials},
	{"coalition waits for healthy nats and clickhouse", checkDependsOnHealthy},
	{"nats healthcheck probes the monitoring port", checkNATSHealthcheck},
	{"published port reaches COALITION_HTTP_ADDR", checkHTTPPort},
	{"Dockerfile builds and runs /coalition", checkDockerfile},
	{"named volumes are declared", checkNamedVolumes},
}

// TestWiringChecksCatchMistakes breaks the real compose file in one place at
// a time and expects the matching check to say so, so that a check which
// silently passes everything cannot go unnoticed.
func TestWiringChecksCatchMistakes(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *composeFile)
		check   func(*project) error
		wantErr string
	}{
		{
			name:    "missing nats service",
			mutate:  func(c *composeFile) { delete(c.Services, natsService) },
			check:   checkServices,
			wantErr: `no service "nats"`,
		},
		{
			name:    "NATS_URL names another host",
			mutate:  setEnv(appService, "NATS_URL", "nats://localhost:4222"),
			check:   checkNATSURL,
			wantErr: `host "localhost"`,
		},
		{
			name:    "NATS_URL names the monitoring port",
			mutate:  setEnv(appService, "NATS_URL", "nats://nats:8222"),
			check:   checkNATSURL,
			wantErr: "port 8222",
		},
		{
			name: "nats listens on another port",
			mutate: func(c *composeFile) {
				c.Services[natsService].Command = append(c.Services[natsService].Command, "-p", "4333")
			},
			check:   checkNATSURL,
			wantErr: "listens on 4333",
		},
		{
			name:    "CLICKHOUSE_ADDR uses the HTTP port",
			mutate:  setEnv(appService, "CLICKHOUSE_ADDR", "clickhouse:8123"),
			check:   checkClickHouseAddr,
			wantErr: "port 8123",
		},
		{
			name:    "CLICKHOUSE_ADDR names another host",
			mutate:  setEnv(appService, "CLICKHOUSE_ADDR", "ch:9000"),
			check:   checkClickHouseAddr,
			wantErr: `host "ch"`,
		},
		{
			name:    "database differs",
			mutate:  setEnv(appService, "CLICKHOUSE_DATABASE", "default"),
			check:   checkClickHouseCredentials,
			wantErr: "CLICKHOUSE_DATABASE",
		},
		{
			name:    "password default differs",
			mutate:  setEnv(appService, "CLICKHOUSE_PASSWORD", "${CLICKHOUSE_PASSWORD:-other}"),
			check:   checkClickHouseCredentials,
			wantErr: "CLICKHOUSE_PASSWORD",
		},
		{
			name:    "password from another variable",
			mutate:  setEnv(appService, "CLICKHOUSE_PASSWORD", "${COALITION_CH_PASSWORD:-coalition-local-only}"),
			check:   checkClickHouseCredentials,
			wantErr: "with every variable set",
		},
		{
			name:    "user missing on clickhouse",
			mutate:  func(c *composeFile) { delete(c.Services[chService].Environment, "CLICKHOUSE_USER") },
			check:   checkClickHouseCredentials,
			wantErr: "clickhouse does not set CLICKHOUSE_USER",
		},
		{
			name:    "depends_on without condition",
			mutate:  func(c *composeFile) { c.Services[appService].DependsOn[natsService] = "service_started" },
			check:   checkDependsOnHealthy,
			wantErr: `condition "service_started"`,
		},
		{
			name:    "clickhouse healthcheck disabled",
			mutate:  func(c *composeFile) { c.Services[chService].Healthcheck = &healthcheck{Disable: true} },
			check:   checkDependsOnHealthy,
			wantErr: "clickhouse has no healthcheck",
		},
		{
			name: "nats without monitoring",
			mutate: func(c *composeFile) {
				c.Services[natsService].Command = stringList{"-js", "-sd", "/data"}
			},
			check:   checkNATSHealthcheck,
			wantErr: "no monitoring port",
		},
		{
			name:    "app listens on loopback",
			mutate:  setEnv(appService, "COALITION_HTTP_ADDR", "127.0.0.1:8080"),
			check:   checkHTTPPort,
			wantErr: "loopback",
		},
		{
			name:    "app listens on another port",
			mutate:  setEnv(appService, "COALITION_HTTP_ADDR", "0.0.0.0:9090"),
			check:   checkHTTPPort,
			wantErr: "no port publishes container port 9090",
		},
		{
			name: "port published on all interfaces",
			mutate: func(c *composeFile) {
				c.Services[appService].Ports = []portMapping{{Published: "8080", Target: "8080"}}
			},
			check:   checkHTTPPort,
			wantErr: "loopback",
		},
		{
			name:    "build context without Dockerfile",
			mutate:  func(c *composeFile) { c.Services[appService].Build = &buildSpec{Context: "deploy"} },
			check:   checkDockerfile,
			wantErr: "no such file",
		},
		{
			name: "undeclared volume",
			mutate: func(c *composeFile) {
				c.Services[natsService].Volumes = append(c.Services[natsService].Volumes,
					volumeMount{Type: "volume", Source: "nats-logs", Target: "/logs"})
			},
			check:   checkNamedVolumes,
			wantErr: `"nats-logs"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := loadProject(t, composePath)
			if err := tc.check(p); err != nil {
				t.Fatalf("unmodified %s fails already: %v", composePath, err)
			}
			tc.mutate(p.defaults)
			tc.mutate(p.fromEnv)
			err := tc.check(p)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// setEnv returns a mutation that sets one environment entry of a service.
// The value goes through interpolation as if it had been in the file.
func setEnv(svc, key, value string) func(*composeFile) {
	return func(c *composeFile) {
		v, err := interpolate(value, c.lookup)
		if err != nil {
			panic(err)
		}
		c.Services[svc].Environment[key] = &v
	}
}

// TestDockerComposeConfig validates docker-compose.yml with docker-compose
// itself, which knows the full compose schema. It needs no Docker engine.
func TestDockerComposeConfig(t *testing.T) { dockerComposeConfig(t, composePath) }

// dockerComposeConfig runs docker-compose config -q on a compose file: in
// CI docker-compose must be there, elsewhere the check is skipped without.
func dockerComposeConfig(t *testing.T, file string) {
	t.Helper()
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("docker-compose is not on PATH (%v): .ci/run must install Debian's docker-compose package (apt-get install -y docker-compose) so that CI validates %s", err, file)
		}
		t.Skipf("docker-compose is not on PATH (%v); install Debian's docker-compose package to validate %s", err, file)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-f", file, "config", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose -f %s config -q: %v\n%s", file, err, out)
	}
}

func checkServices(p *project) error {
	var errs []error
	for _, name := range []string{natsService, chService, appService} {
		if _, err := p.service(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkNATSURL(p *project) error {
	raw, err := p.appEnv("NATS_URL")
	if err != nil {
		return err
	}
	nats, err := p.service(natsService)
	if err != nil {
		return err
	}
	listen, ok := flagValue(nats.Command, "p", "port")
	if !ok {
		listen = natsDefaultPort
	}
	var errs []error
	for _, s := range strings.Split(raw, ",") { // NATS_URL may list several servers
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			errs = append(errs, fmt.Errorf("NATS_URL: %w", err))
			continue
		}
		if u.Scheme != "nats" && u.Scheme != "tls" {
			errs = append(errs, fmt.Errorf("NATS_URL %q: got scheme %q, want nats or tls", s, u.Scheme))
		}
		if got, want := u.Hostname(), natsService; got != want {
			errs = append(errs, fmt.Errorf("NATS_URL %q: got host %q, want the service name %q", s, got, want))
		}
		port := cmp.Or(u.Port(), natsDefaultPort)
		if got, want := port, listen; got != want {
			errs = append(errs, fmt.Errorf("NATS_URL %q: got port %s, want %s: the nats service listens on %s", s, got, want, listen))
		}
	}
	return errors.Join(errs...)
}

func checkClickHouseAddr(p *project) error {
	addr, err := p.appEnv("CLICKHOUSE_ADDR")
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("CLICKHOUSE_ADDR %q: %w", addr, err)
	}
	if _, err := p.service(chService); err != nil {
		return err
	}
	var errs []error
	if got, want := host, chService; got != want {
		errs = append(errs, fmt.Errorf("CLICKHOUSE_ADDR %q: got host %q, want the service name %q", addr, got, want))
	}
	if got, want := port, chNativePort; got != want {
		errs = append(errs, fmt.Errorf("CLICKHOUSE_ADDR %q: got port %s, want %s (native protocol)", addr, got, want))
	}
	return errors.Join(errs...)
}

// checkClickHouseCredentials compares the coalition service's ClickHouse
// login with the one the clickhouse image creates from its environment.
func checkClickHouseCredentials(p *project) error {
	pairs := []struct{ app, ch string }{
		{"CLICKHOUSE_USER", "CLICKHOUSE_USER"},
		{"CLICKHOUSE_PASSWORD", "CLICKHOUSE_PASSWORD"},
		{"CLICKHOUSE_DATABASE", "CLICKHOUSE_DB"},
	}
	var errs []error
	for _, variant := range []struct {
		desc string
		file *composeFile
	}{
		{"with no variables set", p.defaults},
		{"with every variable set", p.fromEnv},
	} {
		app, err := variant.file.service(appService)
		if err != nil {
			return err
		}
		ch, err := variant.file.service(chService)
		if err != nil {
			return err
		}
		for _, pair := range pairs {
			got, ok := app.Environment.get(pair.app)
			if !ok || got == "" {
				errs = append(errs, fmt.Errorf("%s: %s does not set %s", variant.desc, appService, pair.app))
				continue
			}
			want, ok := ch.Environment.get(pair.ch)
			if !ok || want == "" {
				errs = append(errs, fmt.Errorf("%s: %s does not set %s", variant.desc, chService, pair.ch))
				continue
			}
			if got != want {
				errs = append(errs, fmt.Errorf("%s: got %s %s=%q, want %q from %s %s", variant.desc, appService, pair.app, got, want, chService, pair.ch))
			}
		}
	}
	return errors.Join(errs...)
}

func checkDependsOnHealthy(p *project) error {
	app, err := p.service(appService)
	if err != nil {
		return err
	}
	var errs []error
	for _, dep := range []string{natsService, chService} {
		if got, want := app.DependsOn[dep], "service_healthy"; got != want {
			errs = append(errs, fmt.Errorf("%s depends_on %s: got condition %q, want %q", appService, dep, got, want))
		}
		s, err := p.service(dep)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !s.Healthcheck.usable() {
			errs = append(errs, fmt.Errorf("%s has no healthcheck, so service_healthy never holds", dep))
		}
	}
	return errors.Join(errs...)
}

// checkNATSHealthcheck checks that the nats healthcheck asks /healthz on the
// monitoring port that the nats command line opens.
func checkNATSHealthcheck(p *project) error {
	nats, err := p.service(natsService)
	if err != nil {
		return err
	}
	port, ok := flagValue(nats.Command, "m", "http_port")
	if !ok {
		return fmt.Errorf("%s command %q opens no monitoring port (-m), which /healthz needs", natsService, nats.Command)
	}
	if !nats.Healthcheck.usable() {
		return fmt.Errorf("%s has no healthcheck", natsService)
	}
	test := strings.Join(nats.Healthcheck.Test[1:], " ")
	if want := ":" + port + "/healthz"; !strings.Contains(test, want) {
		return fmt.Errorf("%s healthcheck %q: want a request to %s", natsService, test, want)
	}
	return nil
}

// appHTTPPort returns the port of COALITION_HTTP_ADDR.
func (p *project) appHTTPPort() (host, port string, err error) {
	addr, err := p.appEnv("COALITION_HTTP_ADDR")
	if err != nil {
		return "", "", err
	}
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("COALITION_HTTP_ADDR %q: %w", addr, err)
	}
	return host, port, nil
}

func checkHTTPPort(p *project) error {
	host, port, err := p.appHTTPPort()
	if err != nil {
		return err
	}
	app, err := p.service(appService)
	if err != nil {
		return err
	}
	var errs []error
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		errs = append(errs, fmt.Errorf("COALITION_HTTP_ADDR host %q is loopback inside the container, so no published port reaches it; want 0.0.0.0", host))
	}
	var published []portMapping
	for _, m := range app.Ports {
		if m.Target == port {
			published = append(published, m)
		}
	}
	if len(published) == 0 {
		errs = append(errs, fmt.Errorf("%s: no port publishes container port %s of COALITION_HTTP_ADDR; got ports %+v", appService, port, app.Ports))
	}
	for _, m := range published {
		// The API has no authentication: publish it on the host's loopback.
		if ip := net.ParseIP(m.HostIP); ip == nil || !ip.IsLoopback() {
			errs = append(errs, fmt.Errorf("%s: port %s is published on host IP %q, want a loopback address such as 127.0.0.1", appService, port, m.HostIP))
		}
	}
	return errors.Join(errs...)
}

func checkNamedVolumes(p *project) error {
	var errs []error
	for _, name := range sortedKeys(p.defaults.Services) {
		for _, v := range p.defaults.Services[name].Volumes {
			if v.Type != "volume" || v.Source == "" {
				continue
			}
			if _, ok := p.defaults.Volumes[v.Source]; !ok {
				errs = append(errs, fmt.Errorf("service %s mounts volume %q, which the top-level volumes do not declare", name, v.Source))
			}
		}
	}
	return errors.Join(errs...)
}
