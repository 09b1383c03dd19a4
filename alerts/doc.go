// Package alerts raises alerts from the event stream and delivers them.
//
// Rules live in a YAML file (see ParseRules and docs/alerts.md), reloaded
// when it changes (Watcher). The Engine reads COALITION_EVENTS with its own
// durable pull consumer ("alerts-evaluator", independent of the ClickHouse
// writer), keeps the set of distinct events of each coalition in memory,
// and raises each occurrence of a rule once: an alert's id is a UUIDv5 of
// the occurrence, so a redelivered or duplicated event raises nothing new.
// Alerts are published to coalition.alerts.<rule> on the COALITION_ALERTS
// stream (history and replay; JetStream also de-duplicates on the alert id
// for a day), and the events that raised them are acked only after the
// PubAcks. Progress is kept in the JetStream key-value bucket
// coalition_alerts, so that a restart rebuilds its state silently; engines
// of several processes take turns through a lease, one evaluating.
//
// The Deliverer POSTs every alert to the webhooks of the subscribers its
// rule names, signed with HMAC-SHA256 (see Sign and VerifySignature),
// retried with exponential backoff, and after the last attempt recorded on
// COALITION_ALERTS_DLQ; NewMetrics exports how the deliveries go to
// Prometheus. Start runs the three together as a Service.
package alerts
