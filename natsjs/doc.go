// Package natsjs sets up Coalition's NATS side: an in-process nats-server
// with JetStream for the all-in-one program, client connections to an
// external cluster (URL, user and password, token, credentials file, nkey,
// TLS), and the streams events and dead letters live on.
package natsjs
