package alerts

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/coalitiondev/coalition/schema"
)

// Helpers of ParseRules: YAML errors and line numbers, and ${VAR}
// expansion.

var (
	envRE     = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)
	yamlErrRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// yamlProblems turns a YAML error into problems with line numbers.
func yamlProblems(err error) []schema.Problem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var ps []schema.Problem
	for _, m := range msgs {
		p := schema.Problem{Message: strings.TrimPrefix(m, "yaml: ")}
		if sm := yamlErrRE.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Message = sm[2]
		}
		ps = append(ps, p)
	}
	return ps
}

// expand replaces ${VAR} and ${VAR:-default}. An unset variable without a
// default is an error; the default applies when the variable is unset or
// empty.
func expand(s string, lookup LookupEnv) (string, error) {
	var missing []string
	out := envRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := envRE.FindStringSubmatch(m)
		v, ok := lookup(sm[1])
		if sm[2] != "" && v == "" {
			return sm[3]
		}
		if !ok {
			missing = append(missing, sm[1])
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}

// nodeLines finds the lines of fields in the parsed YAML, for messages.
type nodeLines struct{ root *yaml.Node }

func (n nodeLines) doc() *yaml.Node {
	if n.root == nil || len(n.root.Content) == 0 {
		return nil
	}
	return n.root.Content[0]
}

func mapValue(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// key returns the line of a top-level key.
func (n nodeLines) key(key string) int {
	if k, _ := mapValue(n.doc(), key); k != nil {
		return k.Line
	}
	return 0
}

func (n nodeLines) itemNode(list string, i int) *yaml.Node {
	_, seq := mapValue(n.doc(), list)
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return nil
	}
	return seq.Content[i]
}

// item returns the line where the i-th element of a top-level list starts.
func (n nodeLines) item(list string, i int) int {
	if it := n.itemNode(list, i); it != nil {
		return it.Line
	}
	return 0
}

// field returns the line of a field of the i-th element of a list, or of
// the element when the field is missing.
func (n nodeLines) field(list string, i int, field string) int {
	it := n.itemNode(list, i)
	if _, v := mapValue(it, field); v != nil {
		return v.Line
	}
	return n.item(list, i)
}

// elem returns the line of the j-th element of a list field.
func (n nodeLines) elem(list string, i int, field string, j int) int {
	_, v := mapValue(n.itemNode(list, i), field)
	if v != nil && v.Kind == yaml.SequenceNode && j < len(v.Content) {
		return v.Content[j].Line
	}
	return n.field(list, i, field)
}
