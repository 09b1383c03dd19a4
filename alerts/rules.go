package alerts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/coalitiondev/coalition/schema"
)

// Subscriber is a webhook that alerts are POSTed to.
type Subscriber struct {
	// Name identifies the subscriber ([a-z0-9-]+); its durable consumer is
	// webhook-<name> and its dead letters go to coalition.alerts-dlq.<name>.
	Name string `json:"name"`
	// URL is the http(s) endpoint, after ${VAR} expansion.
	URL string `json:"url"`
	// Secret keys the HMAC-SHA256 signature of each delivery. It is never
	// printed or encoded.
	Secret string `json:"-"`
}

// Rule is one alert rule. Which of Steps, Days and Threshold is set depends
// on Kind; the others are zero.
type Rule struct {
	// Name identifies the rule ([a-z0-9-]+). It is the last token of the
	// subject its alerts are published on, coalition.alerts.<name>, and
	// part of every alert's identity: renaming a rule makes its
	// occurrences new ones.
	Name string           `json:"name"`
	Kind schema.AlertKind `json:"kind"`
	// Coalition, when set, limits the rule to one coalition.
	Coalition string `json:"coalition,omitempty"`
	// Countries, when set, limits the rule to alerts about these countries
	// (the alert's country or counterpart); for support_below, only these
	// countries are counted.
	Countries []string `json:"countries,omitempty"`
	// Subscribers are the names of the subscribers its alerts are
	// delivered to. A rule without subscribers only publishes to the
	// stream.
	Subscribers []string `json:"subscribers,omitempty"`
	// Cooldown, when positive, suppresses a second alert of the rule about
	// the same coalition and country raised within it.
	Cooldown time.Duration `json:"cooldown,omitempty"`
	// Steps is the drop on the stance scale that stance_drop waits for (1..4).
	Steps int `json:"steps,omitempty"`
	// Days is how long undelivered lets a commitment stay open (>= 1).
	Days int `json:"days,omitempty"`
	// Threshold is the count of supporting countries support_below watches (>= 1).
	Threshold int `json:"threshold,omitempty"`
}

// Matches reports whether an alert about these countries in this coalition
// passes the rule's coalition and country filters.
func (r *Rule) Matches(coalition, country, counterpart string) bool {
	if r.Coalition != "" && r.Coalition != coalition {
		return false
	}
	if len(r.Countries) == 0 {
		return true
	}
	return slices.Contains(r.Countries, country) || (counterpart != "" && slices.Contains(r.Countries, counterpart))
}

// Counts reports whether support_below counts this country.
func (r *Rule) Counts(country string) bool {
	return len(r.Countries) == 0 || slices.Contains(r.Countries, country)
}

// RuleSet is a validated rules file. It is immutable once loaded: a reload
// makes a new one.
type RuleSet struct {
	Subscribers []Subscriber `json:"subscribers"`
	Rules       []Rule       `json:"rules"`
	// Path is the file it was read from ("" if parsed from bytes), Hash
	// the SHA-256 of its content, LoadedAt when it was read.
	Path     string    `json:"path,omitempty"`
	Hash     string    `json:"hash"`
	LoadedAt time.Time `json:"loaded_at"`
}

// Rule returns the rule with this name.
func (rs *RuleSet) Rule(name string) (Rule, bool) {
	for _, r := range rs.Rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}

// Subscriber returns the subscriber with this name.
func (rs *RuleSet) Subscriber(name string) (Subscriber, bool) {
	for _, s := range rs.Subscribers {
		if s.Name == name {
			return s, true
		}
	}
	return Subscriber{}, false
}

// RulesFor returns the names of the rules that name the subscriber, in file
// order.
func (rs *RuleSet) RulesFor(subscriber string) []string {
	var out []string
	for _, r := range rs.Rules {
		if slices.Contains(r.Subscribers, subscriber) {
			out = append(out, r.Name)
		}
	}
	return out
}

// LookupEnv returns an environment variable's value and whether it is set,
// like os.LookupEnv.
type LookupEnv func(name string) (string, bool)

// LoadRules reads and validates a rules file, expanding ${VAR} from the
// environment. Problems are reported together in a *schema.Error with code
// EINVALID, each with its line and field path.
func LoadRules(path string) (*RuleSet, error) {
	return LoadRulesEnv(path, os.LookupEnv)
}

// LoadRulesEnv is LoadRules with the environment given by lookup.
func LoadRulesEnv(path string, lookup LookupEnv) (*RuleSet, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, schema.Errorf(schema.ENOTFOUND, "alert rules: %v", err)
	}
	if err != nil {
		return nil, schema.Errorf(schema.EINVALID, "alert rules: %v", err)
	}
	rs, err := ParseRules(data, lookup)
	if err != nil {
		return nil, fmt.Errorf("alert rules %s: %w", path, err)
	}
	rs.Path = path
	return rs, nil
}

// The YAML shapes; pointers tell a missing field from a zero one.
type fileYAML struct {
	Subscribers []subscriberYAML `yaml:"subscribers"`
	Rules       []ruleYAML       `yaml:"rules"`
}

type subscriberYAML struct {
	Name   string `yaml:"name"`
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
}

type ruleYAML struct {
	Name        string   `yaml:"name"`
	Kind        string   `yaml:"kind"`
	Coalition   string   `yaml:"coalition"`
	Countries   []string `yaml:"countries"`
	Subscribers []string `yaml:"subscribers"`
	Cooldown    string   `yaml:"cooldown"`
	Steps       *int     `yaml:"steps"`
	Days        *int     `yaml:"days"`
	Threshold   *int     `yaml:"threshold"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// maxNameLen bounds rule and subscriber names (they become subject tokens
// and consumer names).
const maxNameLen = 64

// ValidName reports whether s can name a rule or a subscriber: lower-case
// letters, digits and hyphens, starting with a letter or digit, at most 64
// characters. Such a name is safe as a NATS subject token and in a
// consumer name.
func ValidName(s string) bool { return nameRE.MatchString(s) && len(s) <= maxNameLen }

// ParseRules parses and validates a rules document. ${VAR} and
// ${VAR:-default} in subscriber URLs and secrets are expanded through
// lookup (nothing else is expanded, so no variable can change the YAML's
// structure). Every problem found is reported, not only the first.
func ParseRules(data []byte, lookup LookupEnv) (*RuleSet, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var doc fileYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, invalid(schema.Problem{Message: "the file is empty: want subscribers and rules"})
		}
		return nil, invalid(yamlProblems(err)...)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // decoded above, so it parses
	lines := nodeLines{&root}

	v := validator{lines: lines}
	rs := &RuleSet{Hash: hashOf(data), LoadedAt: time.Now().UTC()}
	subs := map[string]bool{}
	for i, sy := range doc.Subscribers {
		at := fmt.Sprintf("subscribers[%d]", i)
		s := Subscriber{Name: sy.Name}
		label := at
		if sy.Name != "" {
			label = fmt.Sprintf("subscriber %q", sy.Name)
		}
		v.name(label, at, "subscribers", i, sy.Name)
		if sy.Name != "" && subs[sy.Name] {
			v.add(at+".name", lines.field("subscribers", i, "name"), "%s: duplicate subscriber name", label)
		}
		subs[sy.Name] = true

		u, err := expand(sy.URL, lookup)
		switch {
		case err != nil:
			v.add(at+".url", lines.field("subscribers", i, "url"), "%s: %v", label, err)
		case u == "":
			v.add(at+".url", lines.field("subscribers", i, "url"), "%s: required: the webhook's http(s) URL", label)
		default:
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				v.add(at+".url", lines.field("subscribers", i, "url"), "%s: %q is not an http(s) URL with a host", label, redactURL(u))
			}
		}
		s.URL = u
		sec, err := expand(sy.Secret, lookup)
		switch {
		case err != nil:
			v.add(at+".secret", lines.field("subscribers", i, "secret"), "%s: %v", label, err)
		case sec == "":
			v.add(at+".secret", lines.field("subscribers", i, "secret"), "%s: required: the HMAC key deliveries are signed with, such as ${%s_SECRET}", label, envName(sy.Name))
		}
		s.Secret = sec
		rs.Subscribers = append(rs.Subscribers, s)
	}

	if len(doc.Rules) == 0 {
		v.add("rules", lines.key("rules"), "at least one rule is required")
	}
	names := map[string]bool{}
	for i, ry := range doc.Rules {
		at := fmt.Sprintf("rules[%d]", i)
		label := at
		if ry.Name != "" {
			label = fmt.Sprintf("rule %q", ry.Name)
		}
		field := func(f string) (string, int) { return at + "." + f, lines.field("rules", i, f) }
		r := Rule{Name: ry.Name, Kind: schema.AlertKind(ry.Kind), Coalition: ry.Coalition, Subscribers: ry.Subscribers}
		v.name(label, at, "rules", i, ry.Name)
		if ry.Name != "" && names[ry.Name] {
			p, l := field("name")
			v.add(p, l, "%s: duplicate rule name", label)
		}
		names[ry.Name] = true

		switch {
		case ry.Kind == "":
			p, l := field("kind")
			v.add(p, l, "%s: kind is required: one of %s", label, kindList())
		case !validKind(r.Kind):
			p, l := field("kind")
			v.add(p, l, "%s: unknown kind %q: want one of %s", label, ry.Kind, kindList())
		}
		known := validKind(r.Kind)
		for _, pf := range []struct {
			name     string
			val      *int
			dst      *int
			min, max int
			help     string
		}{
			{"steps", ry.Steps, &r.Steps, 1, 4, "the drop on the stance scale, 1 to 4 steps"},
			{"days", ry.Days, &r.Days, 1, 36500, "days a commitment may stay undelivered, at least 1"},
			{"threshold", ry.Threshold, &r.Threshold, 1, 1000, "the count of supporting countries, at least 1"},
		} {
			p, l := field(pf.name)
			wanted := known && paramOf[r.Kind] == pf.name
			switch {
			case wanted && pf.val == nil:
				v.add(p, lines.item("rules", i), "%s: required for kind %s: %s", label, r.Kind, pf.help)
			case wanted && (*pf.val < pf.min || *pf.val > pf.max):
				v.add(p, l, "%s: %d is out of range: %s", label, *pf.val, pf.help)
			case wanted:
				*pf.dst = *pf.val
			case pf.val != nil && known:
				v.add(p, l, "%s: %s applies only to kind %s, not %s", label, pf.name, kindFor(pf.name), r.Kind)
			}
		}
		if ry.Coalition != "" {
			if _, err := schema.SubjectFilter(ry.Coalition, "", ""); err != nil {
				p, l := field("coalition")
				v.add(p, l, "%s: %q is not a coalition slug (lower-case letters, digits, hyphens)", label, ry.Coalition)
			}
		}
		for j, c := range ry.Countries {
			if _, ok := schema.LookupCountry(c); !ok {
				p, _ := field("countries")
				v.add(fmt.Sprintf("%s[%d]", p, j), lines.elem("rules", i, "countries", j), "%s: %q is not an ISO 3166-1 alpha-3 country code", label, c)
			}
		}
		r.Countries = ry.Countries
		seen := map[string]bool{}
		for j, s := range ry.Subscribers {
			p, _ := field("subscribers")
			p = fmt.Sprintf("%s[%d]", p, j)
			l := lines.elem("rules", i, "subscribers", j)
			switch {
			case !subs[s]:
				v.add(p, l, "%s: unknown subscriber %q%s", label, s, knownNames(doc.Subscribers))
			case seen[s]:
				v.add(p, l, "%s: subscriber %q is listed twice", label, s)
			}
			seen[s] = true
		}
		if ry.Cooldown != "" {
			d, err := time.ParseDuration(ry.Cooldown)
			p, l := field("cooldown")
			switch {
			case err != nil:
				v.add(p, l, "%s: %q is not a duration such as 30m, 1h or 24h", label, ry.Cooldown)
			case d < 0:
				v.add(p, l, "%s: must not be negative", label)
			}
			r.Cooldown = d
		}
		rs.Rules = append(rs.Rules, r)
	}
	if len(v.problems) > 0 {
		return nil, invalid(v.problems...)
	}
	return rs, nil
}

func invalid(ps ...schema.Problem) error {
	return &schema.Error{Code: schema.EINVALID, Message: "invalid alert rules", Problems: ps}
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// validator collects problems.
type validator struct {
	lines    nodeLines
	problems []schema.Problem
}

func (v *validator) add(path string, line int, format string, args ...any) {
	v.problems = append(v.problems, schema.Problem{Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) name(label, at, list string, i int, name string) {
	switch {
	case name == "":
		v.add(at+".name", v.lines.item(list, i), "%s: name is required", label)
	case !ValidName(name):
		v.add(at+".name", v.lines.field(list, i, "name"), "%s: name must be lower-case letters, digits and hyphens, at most %d characters", label, maxNameLen)
	}
}

func envName(name string) string {
	if name == "" {
		return "WEBHOOK"
	}
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Kinds lists the alert kinds a rule may name, in documentation order.
var Kinds = []schema.AlertKind{
	schema.AlertWithdrawal, schema.AlertStanceDrop, schema.AlertUndelivered,
	schema.AlertMemberConflict, schema.AlertFirstPledge, schema.AlertSupportBelow,
}

// paramOf names the parameter each kind requires.
var paramOf = map[schema.AlertKind]string{
	schema.AlertStanceDrop: "steps", schema.AlertUndelivered: "days", schema.AlertSupportBelow: "threshold",
}

func validKind(k schema.AlertKind) bool { return slices.Contains(Kinds, k) }

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func kindFor(param string) schema.AlertKind {
	for k, f := range paramOf {
		if f == param {
			return k
		}
	}
	return ""
}

func knownNames(subs []subscriberYAML) string {
	if len(subs) == 0 {
		return " (the file defines no subscribers)"
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.Name
	}
	return " (defined: " + strings.Join(names, ", ") + ")"
}

// redactURL hides a password in a URL's user info.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}
