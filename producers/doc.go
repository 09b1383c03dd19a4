// Package producers publishes Coalition events to NATS JetStream: a
// Publisher that validates and encodes events as CloudEvents, publishes them
// asynchronously with a bound on what is in flight, checks every PubAck, and
// retries failures with the same Nats-Msg-Id so a retry can never store an
// event twice.
package producers
