package schema

import (
	"fmt"
	"strings"
)

// SubjectPrefix is the first token of every event subject.
const SubjectPrefix = "coalition"

// StreamSubjects is the subject filter of the event stream: exactly four
// tokens, so that three-token subjects such as coalition.dlq.events and
// coalition.alerts.<rule> can live on streams of their own.
const StreamSubjects = SubjectPrefix + ".*.*.*"

// Subject returns the NATS subject coalition.<coalition>.<country>.<kind> for
// an event. Every token is validated, so no input can put '.', '*', '>' or
// whitespace into a subject.
func Subject(coalition, country string, k Kind) (string, error) {
	if !slugRE.MatchString(coalition) {
		return "", Errorf(EINVALID, "subject: coalition %q is not a slug of lower-case letters, digits and hyphens", coalition)
	}
	if _, ok := LookupCountry(country); !ok {
		return "", Errorf(EINVALID, "subject: country %q is not an ISO 3166-1 alpha-3 code", country)
	}
	if !k.Valid() {
		return "", Errorf(EINVALID, "subject: unknown kind %q", k)
	}
	return SubjectPrefix + "." + coalition + "." + country + "." + string(k), nil
}

// Subject returns the event's NATS subject.
func (e *Event) Subject() (string, error) { return Subject(e.Coalition, e.Actor, e.Kind) }

// ParseSubject splits an event subject into its tokens and validates each.
func ParseSubject(subject string) (coalition, country string, k Kind, err error) {
	parts := strings.Split(subject, ".")
	if len(parts) != 4 || parts[0] != SubjectPrefix {
		return "", "", "", Errorf(EINVALID, "subject %q: want %s.<coalition>.<country>.<kind>", subject, SubjectPrefix)
	}
	if _, err := Subject(parts[1], parts[2], Kind(parts[3])); err != nil {
		return "", "", "", fmt.Errorf("subject %q: %w", subject, err)
	}
	return parts[1], parts[2], Kind(parts[3]), nil
}

// SubjectFilter returns a subject pattern selecting events by coalition,
// country and kind, where an empty value matches any token. Values are
// validated like Subject's.
func SubjectFilter(coalition, country string, k Kind) (string, error) {
	tok := []string{SubjectPrefix, "*", "*", "*"}
	if coalition != "" {
		if !slugRE.MatchString(coalition) {
			return "", Errorf(EINVALID, "filter: coalition %q is not a slug", coalition)
		}
		tok[1] = coalition
	}
	if country != "" {
		if _, ok := LookupCountry(country); !ok {
			return "", Errorf(EINVALID, "filter: country %q is not an ISO 3166-1 alpha-3 code", country)
		}
		tok[2] = country
	}
	if k != "" {
		if !k.Valid() {
			return "", Errorf(EINVALID, "filter: unknown kind %q", k)
		}
		tok[3] = string(k)
	}
	return strings.Join(tok, "."), nil
}
