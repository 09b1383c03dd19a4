// Package failpoint lets the fault suite kill a process at an exact point
// of its work, the way etcd's gofail does: COALITION_FAILPOINTS names the
// points and on which hit each fires, "name:N[,name:N]". At the N-th call
// of Hit(name) the process sends itself SIGKILL: no deferred function, no
// flush, no ack runs, as when a machine dies. Without the variable, Hit is
// a map lookup that never fires.
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
)

var (
	mu     sync.Mutex
	armed  = parse(os.Getenv("COALITION_FAILPOINTS"))
	counts = map[string]int{}
)

func parse(s string) map[string]int {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		name, n, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			continue
		}
		if v, err := strconv.Atoi(n); err == nil && v > 0 {
			out[name] = v
		}
	}
	return out
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
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // wait for the signal
	}
}
