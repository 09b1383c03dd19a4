package deploy

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

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
