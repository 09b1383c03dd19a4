package deploy

import (
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestXMLFilesParse checks that every XML configuration under deploy/ is
// well-formed, and that the analyst user is read-only.
func TestXMLFilesParse(t *testing.T) {
	files, err := filepath.Glob("clickhouse/*/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no ClickHouse configuration files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dec := xml.NewDecoder(strings.NewReader(string(b)))
			for {
				_, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
			}
		})
	}
	var users struct {
		Profiles struct {
			ReadOnly struct {
				ReadOnly    int `xml:"readonly"`
				Constraints struct {
					MaxExecutionTime struct {
						Max string `xml:"max"`
					} `xml:"max_execution_time"`
					MaxMemoryUsage struct {
						Max string `xml:"max"`
					} `xml:"max_memory_usage"`
				} `xml:"constraints"`
			} `xml:"coalition_readonly"`
		} `xml:"profiles"`
		Users struct {
			Analyst struct {
				Profile  string `xml:"profile"`
				Password struct {
					FromEnv string `xml:"from_env,attr"`
				} `xml:"password"`
			} `xml:"analyst"`
		} `xml:"users"`
	}
	b, _ := os.ReadFile("clickhouse/users.d/analyst.xml")
	if err := xml.Unmarshal(b, &users); err != nil {
		t.Fatal(err)
	}
	if users.Users.Analyst.Profile != "coalition_readonly" || users.Profiles.ReadOnly.ReadOnly == 0 {
		t.Errorf("analyst: profile %q with readonly=%d; want a read-only profile", users.Users.Analyst.Profile, users.Profiles.ReadOnly.ReadOnly)
	}
	if c := users.Profiles.ReadOnly.Constraints; c.MaxExecutionTime.Max == "" || c.MaxMemoryUsage.Max == "" {
		t.Errorf("analyst profile: constraints %+v; want maxima on max_execution_time and max_memory_usage, which readonly=2 lets SET raise", c)
	}
	if users.Users.Analyst.Password.FromEnv != "CLICKHOUSE_ANALYST_PASSWORD" {
		t.Errorf("analyst password: from_env %q, want CLICKHOUSE_ANALYST_PASSWORD", users.Users.Analyst.Password.FromEnv)
	}
}

// TestComposeMountsAnalyst checks that the compose file mounts the analyst
// user file that exists here, and gives the container its password.
func TestComposeMountsAnalyst(t *testing.T) {
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"./deploy/clickhouse/users.d/analyst.xml:/etc/clickhouse-server/users.d/analyst.xml:ro",
		"CLICKHOUSE_ANALYST_PASSWORD:",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("docker-compose.yml lacks %q", want)
		}
	}
}
