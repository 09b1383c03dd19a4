// Package consumers turns the event stream into rows in ClickHouse. A
// Consumer reads a durable JetStream pull consumer in batches, writes each
// batch with one INSERT, and acknowledges the messages only after ClickHouse
// has taken the batch. Messages that cannot be decoded or validated go to
// the dead-letter stream with the reason and are then acknowledged, so
// nothing is dropped silently and nothing blocks the stream. So do an event
// that ClickHouse keeps refusing (Config.PoisonAttempts) and a message
// delivered more than Config.MaxDeliveries times that a consumer died
// storing alone (one that crashes the consumer process: see
// TrialsBucket).
//
// Delivery is at least once; storage reads one row per event id, so a
// redelivered or duplicated event never counts twice, and any number of
// Consumers may share the same durable consumer.
package consumers
