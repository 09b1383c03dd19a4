//go:build linux && (amd64 || arm64)

package clickhouse

import "testing"

// TestCurrentClickHouseClusterDDL parses every statement of cluster mode
// (migrations rewritten ON CLUSTER, replicated, with Distributed tables) on
// current ClickHouse. chDB has no ZooKeeper to run them against; the
// replication tests run them for real on 18.16.
func TestCurrentClickHouseClusterDDL(t *testing.T) {
	s := openChdb(t)
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		for _, stmt := range m.Statements {
			qs, err := clusterStatements(stmt, "coalition", "coalition")
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range qs {
				if _, err := s.run("SELECT formatQuery("+quote(q)+")", "TSV"); err != nil {
					t.Errorf("migration %04d: current ClickHouse cannot parse\n%s\n%v", m.Version, q, err)
				}
				n++
			}
		}
	}
	if _, err := s.run("SELECT formatQuery('CREATE TABLE x ON CLUSTER c ENGINE = Nonsense(')", "TSV"); err == nil {
		t.Error("formatQuery accepted a broken statement: the check above cannot fail")
	}
	t.Logf("%d cluster statements parse", n)
}
