// Package failpoint lets the fault suite kill a process at an exact point
// of its work, the way etcd's gofail does: COALITION_FAILPOINTS names the
// points and when each fires, "name:N[,name=V1|V2...]". A counted point
// (name:N) fires at the N-th call of Hit(name); a matched point (name=V)
// fires at every call of HitValue(name, V) with one of the values, so a
// process restarted with the same variable dies again on the same value. A firing point makes the process
// send itself SIGKILL: no deferred function, no flush, no ack runs, as when
// a machine dies. Without the variable, Hit and HitValue are a map lookup
// that never fires.
package failpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The failpoints the consumer has.
const (
	BeforeInsert = "consumer-before-insert" // a batch fetched, nothing written
	AfterInsert  = "consumer-after-insert"  // the batch in ClickHouse, not acked
	AfterAck     = "consumer-after-ack"     // the batch written and acked
	// StoreEvent is matched against the id of each event the consumer is
	// about to write: the event that crashes the consumer on every delivery.
	StoreEvent = "consumer-store-event"
)

var (
	mu             sync.Mutex
	armed, matched = parse(os.Getenv("COALITION_FAILPOINTS"))
	counts         = map[string]int{}
)

func parse(s string) (map[string]int, map[string]map[string]bool) {
	counted, matched := map[string]int{}, map[string]map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if name, vs, ok := strings.Cut(part, "="); ok {
			for _, v := range strings.Split(vs, "|") {
				if name != "" && v != "" {
					if matched[name] == nil {
						matched[name] = map[string]bool{}
					}
					matched[name][v] = true
				}
			}
			continue
		}
		name, n, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		if v, err := strconv.Atoi(n); err == nil && v > 0 {
			counted[name] = v
		}
	}
	return counted, matched
}

// Hit counts a pass through the named point and kills the process if this
// is the hit the environment asked for.
func Hit(name string) {
	if len(armed) == 0 {
		return
	}
	mu.Lock()
	counts[name]++
	fire := armed[name] == counts[name]
	mu.Unlock()
	if fire {
		kill()
	}
}

// Matched reports whether the environment names values for the point, so
// that a caller can skip working out the values it would pass to HitValue.
func Matched(name string) bool { return len(matched[name]) > 0 }

// HitValue kills the process if the environment names this value for the
// point.
func HitValue(name, value string) {
	if matched[name][value] {
		kill()
	}
}

func kill() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // wait for the signal
}
