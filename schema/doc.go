// Package schema is Coalition's event contract: the event types and their
// validation (Go rules plus embedded JSON Schema 2020-12 documents), the
// CloudEvents mapping used on the wire, NATS subject names, the country
// registry, and the reference fold that turns a set of events into each
// country's commitment status.
//
// The package imports no infrastructure. Everything that talks to NATS,
// ClickHouse or HTTP lives in a package named after what it talks to and
// depends on this one.
package schema
