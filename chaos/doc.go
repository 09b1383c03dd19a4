// Package chaos is Coalition's fault suite: scenarios that kill, stop and
// starve the real parts (the consumer process, NATS, ClickHouse) while
// events flow, and one checker that sorts every event into attempted,
// acknowledged, stored, lost and duplicated. A short form runs with the
// normal tests; `make chaos` (CHAOS_FULL=1) runs each scenario more times
// and with the full outage lengths. docs/reliability.md holds the figures.
package chaos
