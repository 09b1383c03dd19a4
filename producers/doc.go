// Package producers publishes Coalition events to NATS JetStream: a
// Publisher that validates and encodes events as CloudEvents, publishes them
// asynchronously with a bound on what is in flight, checks every PubAck, and
// retries failures with the same Nats-Msg-Id so a retry can never store an
// event twice.
//
// It also holds the producers that turn outside data into events: the
// GDELTImporter maps GDELT 2.0 event records to Coalition events by a
// documented table of CAMEO codes (CAMEORules, docs/gdelt.md) and publishes
// them with ids derived from the records, so that an import can be run
// again without storing anything twice.
package producers
