package deploy

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/clickhouse"
)

// TestAnalystFileOnAServer starts a private clickhouse-server with the
// deploy's analyst user file in its users.d, as docker-compose.yml mounts
// it, and checks that the analyst logs in with the password from
// CLICKHOUSE_ANALYST_PASSWORD, reads the coalition database, and can write
// nothing. The server here is 18.16: the file's root element is renamed to
// <yandex> and its <constraints> are left out, as 18.16 knows neither
// (current servers take the file as it is; chDB has no users to test it
// with).
func TestAnalystFileOnAServer(t *testing.T) {
	const password = "analyst-test-4d5e6f"
	t.Setenv("CLICKHOUSE_ANALYST_PASSWORD", password) // the server inherits it
	b, err := os.ReadFile("clickhouse/users.d/analyst.xml")
	if err != nil {
		t.Fatal(err)
	}
	xml := regexp.MustCompile(`(?s)<constraints>.*?</constraints>`).ReplaceAllString(string(b), "")
	xml = strings.ReplaceAll(strings.ReplaceAll(xml, "<clickhouse>", "<yandex>"), "</clickhouse>", "</yandex>")
	// The private server defines an analyst of its own (no password), which
	// the file would merge into; the deploy's user is tested under its own
	// name.
	xml = strings.ReplaceAll(strings.ReplaceAll(xml, "<analyst>", "<analyst_deploy>"), "</analyst>", "</analyst_deploy>")
	if !strings.Contains(xml, "<analyst_deploy>") {
		t.Fatal("analyst.xml defines no <analyst> user")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "users.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.d", "analyst.xml"), []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv, err := clickhouse.StartLocal(ctx, clickhouse.LocalOptions{Dir: dir})
	if err != nil {
		t.Fatal(err) // the tests need clickhouse-server: scripts/deps.sh installs it
	}
	t.Cleanup(func() { srv.Stop() })

	writer, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{srv.Addr()}, Database: "coalition"})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if err := writer.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := writer.Exec(ctx, "CREATE DATABASE IF NOT EXISTS other"); err != nil {
		t.Fatal(err)
	}
	if err := writer.Exec(ctx, "CREATE TABLE IF NOT EXISTS other.t (a UInt8) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}

	if _, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{srv.Addr()}, User: "analyst_deploy", Password: "wrong", Database: "coalition"}); err == nil {
		t.Error("the analyst logged in with a wrong password")
	}
	an, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{srv.Addr()}, User: "analyst_deploy", Password: password, Database: "coalition"})
	if err != nil {
		t.Fatalf("analyst with the password from the environment: %v", err)
	}
	defer an.Close()
	if _, err := an.RunSQL(ctx, "SELECT count() FROM commitments_latest"); err != nil {
		t.Errorf("analyst cannot read the coalition database: %v", err)
	}
	for _, stmt := range []string{
		"INSERT INTO events (id) VALUES (generateUUIDv4())",
		"DROP TABLE events",
		"CREATE TABLE x (a UInt8) ENGINE = Memory",
		"ALTER TABLE events DELETE WHERE 1",
		"SELECT count() FROM other.t",
	} {
		if err := an.Exec(ctx, stmt); err == nil {
			t.Errorf("the analyst could run %s", stmt)
		}
	}
}
