// Package clickhouse stores Coalition events and country status in ClickHouse:
// migrations, batch writes, status queries, and a private local server for
// development and tests.
package clickhouse
