// Package httpapi is Coalition's HTTP interface: country status, event
// intake (one JSON event or an NDJSON batch), health checks and Prometheus
// metrics. It maps Coalition's error codes to HTTP statuses, here and
// nowhere else.
package httpapi
