// Package chaos is Coalition's fault suite: scenarios that kill, stop and
// starve the real parts (the consumer process, NATS, ClickHouse) or feed
// them poison events while events flow, and one checker that sorts every
// event into attempted, acknowledged, stored, lost, duplicated and (poison
// events) dead-lettered. A short form runs with the
// normal tests; `make chaos` (CHAOS_FULL=1) runs each scenario more times
// and with the full outage lengths. docs/reliability.md holds the figures.
package chaos
