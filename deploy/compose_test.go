package deploy

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
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

// project is a compose file decoded twice: once with no variables set, so
// that ${VAR:-default} takes its default, and once with every variable set
// to a value of its own. Two settings agree under both only if they come
// from the same variable with the same default.
type project struct {
	dir      string // directory of the compose file: relative paths start here
	defaults *composeFile
	fromEnv  *composeFile
}

func loadProject(t *testing.T, file string) *project {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := &project{dir: filepath.Dir(file)}
	if p.defaults, err = parseCompose(data, noVariables); err != nil {
		t.Fatalf("%s with no variables set: %v", file, err)
	}
	if p.fromEnv, err = parseCompose(data, everyVariable); err != nil {
		t.Fatalf("%s with every variable set: %v", file, err)
	}
	return p
}

// lookupFunc finds a variable for interpolation, like os.LookupEnv.
type lookupFunc func(name string) (string, bool)

func noVariables(string) (string, bool) { return "", false }

func everyVariable(name string) (string, bool) { return "value-of-" + name, true }

// composeFile is the part of the compose specification these checks read.
// Other keys are ignored.
type composeFile struct {
	Services map[string]*service `yaml:"services"`
	// Volumes maps a declared name to its options, nil for none.
	Volumes map[string]*yaml.Node `yaml:"volumes"`

	lookup lookupFunc // the variables the file was interpolated with
}

type service struct {
	Image       string        `yaml:"image"`
	Build       *buildSpec    `yaml:"build"`
	Command     stringList    `yaml:"command"`
	Environment environment   `yaml:"environment"`
	Ports       []portMapping `yaml:"ports"`
	Volumes     []volumeMount `yaml:"volumes"`
	DependsOn   dependsOn     `yaml:"depends_on"`
	Healthcheck *healthcheck  `yaml:"healthcheck"`
}

// parseCompose interpolates every scalar value of a compose file, as
// compose does before anything else, and decodes the result.
func parseCompose(data []byte, lookup lookupFunc) (*composeFile, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if err := interpolateNode(&root, lookup); err != nil {
		return nil, err
	}
	c := &composeFile{lookup: lookup}
	if err := root.Decode(c); err != nil {
		return nil, err
	}
	return c, nil
}

func interpolateNode(n *yaml.Node, lookup lookupFunc) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := interpolateNode(c, lookup); err != nil {
				return err
			}
		}
	case yaml.MappingNode: // values only: compose does not interpolate keys
		for i := 1; i < len(n.Content); i += 2 {
			if err := interpolateNode(n.Content[i], lookup); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		v, err := interpolate(n.Value, lookup)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		n.Value = v
	}
	return nil
}

// interpolate expands $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?error} and ${VAR?error} the way compose does. Nested expressions
// are not supported.
func interpolate(s string, lookup lookupFunc) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i += 2
		case next == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q", s)
			}
			v, err := expand(s[i+2:i+2+end], lookup)
			if err != nil {
				return "", fmt.Errorf("%q: %w", s, err)
			}
			b.WriteString(v)
			i += 2 + end + 1
		case isNameByte(next, true):
			j := i + 1
			for j < len(s) && isNameByte(s[j], false) {
				j++
			}
			v, _ := lookup(s[i+1 : j])
			b.WriteString(v)
			i = j
		default:
			return "", fmt.Errorf("invalid interpolation in %q: write $$ for a literal $", s)
		}
	}
	return b.String(), nil
}

// expand evaluates the inside of one ${...}.
func expand(expr string, lookup lookupFunc) (string, error) {
	if strings.Contains(expr, "${") {
		return "", fmt.Errorf("nested ${...} in ${%s} is not supported here", expr)
	}
	n := 0
	for n < len(expr) && isNameByte(expr[n], n == 0) {
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("invalid variable name in ${%s}", expr)
	}
	name, op := expr[:n], expr[n:]
	value, set := lookup(name)
	switch {
	case op == "":
		return value, nil
	case strings.HasPrefix(op, ":-"):
		if value == "" {
			return op[2:], nil
		}
	case strings.HasPrefix(op, "-"):
		if !set {
			return op[1:], nil
		}
	case strings.HasPrefix(op, ":?"):
		if value == "" {
			return "", fmt.Errorf("%s is unset or empty: %s", name, op[2:])
		}
	case strings.HasPrefix(op, "?"):
		if !set {
			return "", fmt.Errorf("%s is unset: %s", name, op[1:])
		}
	default:
		return "", fmt.Errorf("unsupported operator in ${%s}", expr)
	}
	return value, nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

// stringList is a command: a list, or a string split at spaces (compose
// splits like a shell; the files checked here use no quoting).
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = strings.Fields(n.Value)
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// environment maps a variable to its value, nil for one passed through from
// the host (`- NAME` or `NAME:` with no value).
type environment map[string]*string

func (e *environment) UnmarshalYAML(n *yaml.Node) error {
	env := environment{}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.ShortTag() == "!!merge" {
				// A YAML merge key (<<: *anchor): the anchored mapping's
				// variables, which this mapping's own keys override.
				if v.Kind == yaml.AliasNode {
					v = v.Alias
				}
				var merged environment
				if err := merged.UnmarshalYAML(v); err != nil {
					return err
				}
				for name, val := range merged {
					if _, set := env[name]; !set {
						env[name] = val
					}
				}
				continue
			}
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: environment %s: not a scalar", v.Line, k.Value)
			}
			if v.ShortTag() == "!!null" {
				env[k.Value] = nil
				continue
			}
			env[k.Value] = &v.Value
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			k, v, ok := strings.Cut(item.Value, "=")
			if !ok {
				env[k] = nil
				continue
			}
			env[k] = &v
		}
	default:
		return fmt.Errorf("line %d: environment must be a mapping or a list", n.Line)
	}
	*e = env
	return nil
}

// get returns a variable's value if the file sets one.
func (e environment) get(name string) (string, bool) {
	v := e[name]
	if v == nil {
		return "", false
	}
	return *v, true
}

type buildSpec struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

func (b *buildSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*b = buildSpec{Context: n.Value}
		return nil
	}
	type plain buildSpec
	return n.Decode((*plain)(b))
}

// portMapping is one entry of ports, in either syntax.
type portMapping struct {
	HostIP    string `yaml:"host_ip"`
	Published string `yaml:"published"`
	Target    string `yaml:"target"`
	Protocol  string `yaml:"protocol"`
}

func (p *portMapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		m, err := parseShortPort(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		*p = m
		return nil
	}
	type plain portMapping
	return n.Decode((*plain)(p))
}

// parseShortPort parses [[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]. Port
// ranges are not supported.
func parseShortPort(s string) (portMapping, error) {
	var p portMapping
	spec, proto, _ := strings.Cut(s, "/")
	p.Protocol = proto
	if rest, ok := strings.CutPrefix(spec, "["); ok {
		ip, after, ok := strings.Cut(rest, "]:")
		if !ok {
			return p, fmt.Errorf("port %q: unterminated [IPv6] host", s)
		}
		p.HostIP, spec = ip, after
	}
	parts := strings.Split(spec, ":")
	switch {
	case len(parts) == 1:
		p.Target = parts[0]
	case len(parts) == 2:
		p.Published, p.Target = parts[0], parts[1]
	case len(parts) == 3 && p.HostIP == "":
		p.HostIP, p.Published, p.Target = parts[0], parts[1], parts[2]
	default:
		return p, fmt.Errorf("port %q: want [[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]", s)
	}
	ports := []string{p.Target}
	if p.Published != "" {
		ports = append(ports, p.Published)
	}
	for _, port := range ports {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return p, fmt.Errorf("port %q: %q is not a single port", s, port)
		}
	}
	return p, nil
}

// volumeMount is one entry of a service's volumes, in either syntax.
type volumeMount struct {
	Type   string `yaml:"type"` // volume or bind (or tmpfs, ...)
	Source string `yaml:"source"`
	Target string `yaml:"target"`
}

func (v *volumeMount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		type plain volumeMount
		return n.Decode((*plain)(v))
	}
	parts := strings.Split(n.Value, ":")
	if len(parts) == 1 { // anonymous volume
		*v = volumeMount{Type: "volume", Target: parts[0]}
		return nil
	}
	*v = volumeMount{Type: "volume", Source: parts[0], Target: parts[1]}
	if strings.HasPrefix(v.Source, "/") || strings.HasPrefix(v.Source, ".") || strings.HasPrefix(v.Source, "~") {
		v.Type = "bind"
	}
	return nil
}

// dependsOn maps a service to the condition waited for.
type dependsOn map[string]string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	deps := dependsOn{}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, item := range n.Content {
			deps[item.Value] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		for name, dep := range m {
			deps[name] = cmp.Or(dep.Condition, "service_started")
		}
	default:
		return fmt.Errorf("line %d: depends_on must be a list or a mapping", n.Line)
	}
	*d = deps
	return nil
}

type healthcheck struct {
	Test    healthTest `yaml:"test"`
	Disable bool       `yaml:"disable"`
}

// healthTest is ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]; a string
// means CMD-SHELL.
type healthTest []string

func (h *healthTest) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*h = healthTest{"CMD-SHELL", n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*h = s
	return nil
}

func (h *healthcheck) usable() bool {
	return h != nil && !h.Disable && len(h.Test) > 1 && h.Test[0] != "NONE"
}

// service returns a service of the file decoded with defaults.
func (p *project) service(name string) (*service, error) {
	return p.defaults.service(name)
}

func (c *composeFile) service(name string) (*service, error) {
	s := c.Services[name]
	if s == nil {
		return nil, fmt.Errorf("no service %q; services: %s", name, strings.Join(sortedKeys(c.Services), ", "))
	}
	return s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appEnv returns an environment variable the coalition service must set.
func (p *project) appEnv(name string) (string, error) {
	app, err := p.service(appService)
	if err != nil {
		return "", err
	}
	v, ok := app.Environment.get(name)
	if !ok || v == "" {
		return "", fmt.Errorf("%s does not set %s", appService, name)
	}
	return v, nil
}

// flagValue returns the last value given to any of names (without dashes)
// in args, accepting -name value, --name value and -name=value.
func flagValue(args []string, names ...string) (string, bool) {
	var value string
	var found bool
	for i, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		name, v, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !slices.Contains(names, name) {
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				continue
			}
			v = args[i+1]
		}
		value, found = v, true
	}
	return value, found
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

// checkDockerfile checks the Dockerfile of the coalition service's build.
func checkDockerfile(p *project) error {
	app, err := p.service(appService)
	if err != nil {
		return err
	}
	if app.Build == nil || app.Build.Context == "" {
		return fmt.Errorf("%s has no build context", appService)
	}
	file := filepath.Join(p.dir, app.Build.Context, cmp.Or(app.Build.Dockerfile, "Dockerfile"))
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	df, err := parseDockerfile(string(text))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	_, port, err := p.appHTTPPort()
	if err != nil {
		return err
	}
	if err := verifyDockerfile(df, port); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

type dockerfile struct {
	stages []stage
}

type stage struct {
	from, name string
	instrs     []instruction
}

type instruction struct {
	cmd  string // upper case: RUN, COPY, ...
	args string
}

// parseDockerfile splits a Dockerfile into stages of instructions, joining
// continued lines and dropping comments. Heredocs are not supported.
func parseDockerfile(text string) (*dockerfile, error) {
	df := &dockerfile{}
	var logical []string
	var cur strings.Builder
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // Docker drops comments and empty lines, also inside continuations
		}
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			cur.WriteString(body)
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		logical = append(logical, strings.TrimSpace(cur.String()))
		cur.Reset()
	}
	if cur.Len() > 0 {
		logical = append(logical, strings.TrimSpace(cur.String()))
	}
	for _, l := range logical {
		if l == "" {
			continue
		}
		cmd, args, _ := strings.Cut(l, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := nonFlags(strings.Fields(in.args))
			if len(f) == 0 {
				return nil, fmt.Errorf("FROM without an image")
			}
			st := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			df.stages = append(df.stages, st)
			continue
		}
		if len(df.stages) == 0 {
			if in.cmd == "ARG" {
				continue // global ARG before the first FROM
			}
			return nil, fmt.Errorf("%s before FROM", in.cmd)
		}
		last := &df.stages[len(df.stages)-1]
		last.instrs = append(last.instrs, in)
	}
	if len(df.stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	return df, nil
}

// nonFlags drops --flag and --flag=value arguments.
func nonFlags(fields []string) []string {
	var out []string
	for _, f := range fields {
		if !strings.HasPrefix(f, "--") {
			out = append(out, f)
		}
	}
	return out
}

func flagArg(fields []string, name string) string {
	for _, f := range fields {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// execForm parses the arguments of ENTRYPOINT, CMD or COPY: a JSON array, or
// else shell words.
func execForm(args string) ([]string, bool) {
	if strings.HasPrefix(args, "[") {
		var l []string
		if err := json.Unmarshal([]byte(args), &l); err == nil {
			return l, true
		}
	}
	return strings.Fields(args), false
}

// verifyDockerfile checks that some stage builds ./cmd/coalition statically,
// that the final stage copies that binary to where ENTRYPOINT runs it, and
// that the final stage runs as a non-root user and exposes httpPort.
func verifyDockerfile(df *dockerfile, httpPort string) error {
	final := &df.stages[len(df.stages)-1]
	var errs []error

	var entrypoint []string
	for _, in := range final.instrs {
		if in.cmd == "ENTRYPOINT" {
			var isExec bool
			if entrypoint, isExec = execForm(in.args); !isExec {
				entrypoint = []string{"/bin/sh", "-c", in.args}
			}
		}
	}
	if len(entrypoint) == 0 || entrypoint[0] != appEntrypoint {
		errs = append(errs, fmt.Errorf("final stage: got ENTRYPOINT %q, want exec form [%q]", entrypoint, appEntrypoint))
	}

	buildIdx, output, cgoOff := -1, "", false
	for i, st := range df.stages {
		stageCgoOff := false
		for _, in := range st.instrs {
			switch in.cmd {
			case "ENV":
				if envSets(in.args, "CGO_ENABLED", "0") {
					stageCgoOff = true
				}
			case "RUN":
				f := strings.Fields(in.args)
				goAt := slices.Index(f, "go")
				if goAt < 0 || goAt+1 == len(f) || f[goAt+1] != "build" || !slices.Contains(f, appPackage) {
					continue
				}
				buildIdx = i
				if out, ok := flagValue(f, "o"); ok {
					output = out
				}
				cgoOff = stageCgoOff || slices.Contains(f[:goAt], "CGO_ENABLED=0")
			}
		}
	}
	switch {
	case buildIdx < 0:
		errs = append(errs, fmt.Errorf("no RUN go build ... %s", appPackage))
	case output == "":
		errs = append(errs, fmt.Errorf("go build %s has no -o output path", appPackage))
	default:
		if !cgoOff {
			errs = append(errs, fmt.Errorf("go build %s without CGO_ENABLED=0: the binary must be static", appPackage))
		}
		if err := checkCopied(df, buildIdx, output, entrypoint); err != nil {
			errs = append(errs, err)
		}
	}

	user := ""
	var exposed []string
	for _, in := range final.instrs {
		switch in.cmd {
		case "USER":
			user, _, _ = strings.Cut(in.args, ":")
		case "EXPOSE":
			for _, f := range strings.Fields(in.args) {
				port, _, _ := strings.Cut(f, "/")
				exposed = append(exposed, port)
			}
		}
	}
	if user == "" || user == "root" || user == "0" {
		errs = append(errs, fmt.Errorf("final stage: got USER %q, want a non-root user", user))
	}
	if !slices.Contains(exposed, httpPort) {
		errs = append(errs, fmt.Errorf("final stage: got EXPOSE %q, want %s (COALITION_HTTP_ADDR)", exposed, httpPort))
	}
	return errors.Join(errs...)
}

// checkCopied checks that the binary built in stage buildIdx at output is
// at the ENTRYPOINT path of the final stage.
func checkCopied(df *dockerfile, buildIdx int, output string, entrypoint []string) error {
	if len(entrypoint) == 0 {
		return nil // already reported
	}
	finalIdx := len(df.stages) - 1
	if buildIdx == finalIdx {
		if output != entrypoint[0] {
			return fmt.Errorf("go build -o %s, but ENTRYPOINT runs %s", output, entrypoint[0])
		}
		return nil
	}
	refs := []string{strconv.Itoa(buildIdx)}
	if name := df.stages[buildIdx].name; name != "" {
		refs = append(refs, name)
	}
	for _, in := range df.stages[finalIdx].instrs {
		if in.cmd != "COPY" {
			continue
		}
		fields, isExec := execForm(in.args)
		if !slices.Contains(refs, flagArg(fields, "from")) {
			continue
		}
		if !isExec {
			fields = nonFlags(fields)
		}
		if len(fields) < 2 || !slices.Contains(fields[:len(fields)-1], output) {
			continue
		}
		dest := fields[len(fields)-1]
		if strings.HasSuffix(dest, "/") {
			dest = path.Join(dest, path.Base(output))
		}
		if dest == entrypoint[0] {
			return nil
		}
	}
	return fmt.Errorf("final stage has no COPY --from=%s %s %s", refs[len(refs)-1], output, entrypoint[0])
}

// envSets reports whether the arguments of an ENV instruction set key to
// value, in the KEY=VALUE ... or the KEY VALUE form.
func envSets(args, key, value string) bool {
	f := strings.Fields(args)
	if len(f) == 2 && !strings.Contains(f[0], "=") {
		return f[0] == key && f[1] == value
	}
	return slices.Contains(f, key+"="+value)
}

func TestInterpolate(t *testing.T) {
	vars := map[string]string{"SET": "v", "EMPTY": ""}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "no variables", in: "nats://nats:4222", want: "nats://nats:4222"},
		{name: "escaped dollar", in: "$$USER", want: "$USER"},
		{name: "braced", in: "${SET}", want: "v"},
		{name: "bare", in: "a/$SET/b", want: "a/v/b"},
		{name: "unset is empty", in: "x${UNSET}y", want: "xy"},
		{name: "colon default when unset", in: "${UNSET:-d}", want: "d"},
		{name: "colon default when empty", in: "${EMPTY:-d}", want: "d"},
		{name: "colon default when set", in: "${SET:-d}", want: "v"},
		{name: "default when unset", in: "${UNSET-d}", want: "d"},
		{name: "no default when empty", in: "${EMPTY-d}", want: ""},
		{name: "required and set", in: "${SET:?need SET}", want: "v"},
		{name: "required and empty", in: "${EMPTY:?need EMPTY}", wantErr: true},
		{name: "required and unset", in: "${UNSET?need UNSET}", wantErr: true},
		{name: "unterminated", in: "${SET", wantErr: true},
		{name: "bad name", in: "${1X}", wantErr: true},
		{name: "lone dollar before digit", in: "$1", wantErr: true},
		{name: "trailing dollar", in: "a$", want: "a$"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := interpolate(tc.in, lookup)
			if tc.wantErr {
				if err == nil {
					t.Errorf("interpolate(%q) = %q, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("interpolate(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseShortPort(t *testing.T) {
	tests := []struct {
		in      string
		want    portMapping
		wantErr bool
	}{
		{in: "8080", want: portMapping{Target: "8080"}},
		{in: "18080:8080", want: portMapping{Published: "18080", Target: "8080"}},
		{in: "127.0.0.1:8080:8080", want: portMapping{HostIP: "127.0.0.1", Published: "8080", Target: "8080"}},
		{in: "127.0.0.1:8080:8080/tcp", want: portMapping{HostIP: "127.0.0.1", Published: "8080", Target: "8080", Protocol: "tcp"}},
		{in: "[::1]:8080:8080", want: portMapping{HostIP: "::1", Published: "8080", Target: "8080"}},
		{in: "8000-8010:8000-8010", wantErr: true},
		{in: "a:b:c:d", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseShortPort(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Errorf("got %+v, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestFlagValue(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		want   string
		wantOK bool
	}{
		{name: "short", args: []string{"-js", "-m", "8222"}, want: "8222", wantOK: true},
		{name: "long", args: []string{"--http_port", "8222"}, want: "8222", wantOK: true},
		{name: "equals", args: []string{"-m=8222"}, want: "8222", wantOK: true},
		{name: "last wins", args: []string{"-m", "1", "-m", "2"}, want: "2", wantOK: true},
		{name: "absent", args: []string{"-js", "-sd", "/data"}},
		{name: "no value", args: []string{"-m"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := flagValue(tc.args, "m", "http_port")
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestDecodeComposeForms checks that the decoder reads both syntaxes of the
// keys whose form the compose file may switch between.
func TestDecodeComposeForms(t *testing.T) {
	const file = `
services:
  a:
    build:
      context: ./app
      dockerfile: Containerfile
    command: serve --verbose
    environment:
      - NATS_URL=nats://nats:4222
      - PASSTHROUGH
      - EMPTY=
    ports:
      - target: 8080
        published: 18080
        host_ip: 127.0.0.1
    volumes:
      - data:/data
      - ./conf:/conf:ro
      - /cache
      - type: volume
        source: logs
        target: /logs
    depends_on: [b]
    healthcheck:
      test: wget -q -O /dev/null http://127.0.0.1/
  b:
    image: x
    environment:
      NUMBER: 1
      PASS:
    healthcheck:
      test: ["NONE"]
volumes:
  data:
  logs: {}
`
	c, err := parseCompose([]byte(file), noVariables)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Services["a"], c.Services["b"]
	str := func(s string) *string { return &s }
	tests := []struct {
		name      string
		got, want any
	}{
		{"build map", *a.Build, buildSpec{Context: "./app", Dockerfile: "Containerfile"}},
		{"command string", a.Command, stringList{"serve", "--verbose"}},
		{"environment list", a.Environment, environment{"NATS_URL": str("nats://nats:4222"), "PASSTHROUGH": nil, "EMPTY": str("")}},
		{"environment map", b.Environment, environment{"NUMBER": str("1"), "PASS": nil}},
		{"long port", a.Ports, []portMapping{{HostIP: "127.0.0.1", Published: "18080", Target: "8080"}}},
		{"volumes", a.Volumes, []volumeMount{
			{Type: "volume", Source: "data", Target: "/data"},
			{Type: "bind", Source: "./conf", Target: "/conf"},
			{Type: "volume", Target: "/cache"},
			{Type: "volume", Source: "logs", Target: "/logs"},
		}},
		{"depends_on list", a.DependsOn, dependsOn{"b": "service_started"}},
		{"healthcheck string", a.Healthcheck.Test, healthTest{"CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1/"}},
		{"healthcheck usable", a.Healthcheck.usable(), true},
		{"healthcheck NONE", b.Healthcheck.usable(), false},
		{"declared volumes", sortedKeys(c.Volumes), []string{"data", "logs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := fmt.Sprint(deref(tc.got)), fmt.Sprint(deref(tc.want)); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// deref turns an environment into a map of plain strings, "<nil>" for
// pass-through, so that fmt.Sprint compares values instead of pointers.
func deref(v any) any {
	env, ok := v.(environment)
	if !ok {
		return v
	}
	m := map[string]string{}
	for k, p := range env {
		m[k] = "<nil>"
		if p != nil {
			m[k] = strconv.Quote(*p)
		}
	}
	return m
}

func TestVerifyDockerfile(t *testing.T) {
	const good = `
FROM golang:1.26-bookworm AS build
ENV CGO_ENABLED=0
RUN go build -trimpath \
    -o /coalition ./cmd/coalition
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /coalition /coalition
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/coalition"]
CMD ["serve"]
`
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr string // "" for none
	}{
		{name: "good", edit: func(s string) string { return s }},
		{name: "shell form entrypoint", edit: replace(`ENTRYPOINT ["/coalition"]`, `ENTRYPOINT /coalition`), wantErr: "ENTRYPOINT"},
		{name: "other package", edit: replace("./cmd/coalition", "./cmd/other"), wantErr: "no RUN go build"},
		{name: "cgo on", edit: replace("ENV CGO_ENABLED=0", "ENV CGO_ENABLED=1"), wantErr: "CGO_ENABLED=0"},
		{name: "inline cgo off", edit: func(s string) string {
			return replace("RUN go build", "RUN CGO_ENABLED=0 go build")(replace("ENV CGO_ENABLED=0", "ENV GOFLAGS=-mod=mod")(s))
		}},
		{name: "binary not copied", edit: replace("COPY --from=build /coalition /coalition", "COPY --from=build /coalition /usr/bin/coalition"), wantErr: "no COPY"},
		{name: "copy into directory", edit: replace("COPY --from=build /coalition /coalition", "COPY --from=build /coalition /")},
		{name: "copy by stage index", edit: replace("--from=build", "--from=0")},
		{name: "root user", edit: replace("USER nonroot:nonroot", "USER root"), wantErr: "non-root"},
		{name: "other port", edit: replace("EXPOSE 8080", "EXPOSE 9090/tcp"), wantErr: "EXPOSE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			df, err := parseDockerfile(tc.edit(good))
			if err != nil {
				t.Fatal(err)
			}
			err = verifyDockerfile(df, "8080")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func replace(old, with string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, with, 1) }
}
