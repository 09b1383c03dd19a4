package testkit

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// zookeeperJar is where Debian's zookeeper package puts the server.
const zookeeperJar = "/usr/share/java/zookeeper.jar"

// ZooKeeper starts a private standalone ZooKeeper (Debian's package, run
// with java) on a free loopback port in tb.TempDir() and returns its
// host:port; it is stopped in tb.Cleanup. ClickHouse's Replicated tables
// and ON CLUSTER DDL need it. Without the package the test fails in CI
// (scripts/deps.sh --cluster installs it) and is skipped elsewhere.
func ZooKeeper(tb testing.TB) string {
	tb.Helper()
	java, err := exec.LookPath("java")
	if err == nil {
		_, err = os.Stat(zookeeperJar)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("testkit: ZooKeeper is not installed (%v): .ci/run must install Debian's zookeeper package (scripts/deps.sh --cluster)", err)
		}
		tb.Skipf("testkit: ZooKeeper is not installed (%v); apt-get install zookeeper", err)
	}
	dir := tb.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := filepath.Join(dir, "zoo.cfg")
	conf := fmt.Sprintf("tickTime=500\nmaxSessionTimeout=60000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\n", filepath.Join(dir, "data"), port)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(java, "-Xmx256m", "-cp", "/etc/zookeeper/conf:"+zookeeperJar+":/usr/share/java/*",
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg)
	logf, err := os.Create(filepath.Join(dir, "zookeeper.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatalf("testkit: start ZooKeeper: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if zkOK(addr) {
			return addr
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "zookeeper.log"))
			tb.Fatalf("testkit: ZooKeeper exited:\n%s", b)
		case <-time.After(100 * time.Millisecond):
		}
	}
	tb.Fatalf("testkit: ZooKeeper at %s not ready after 60s", addr)
	return ""
}

// zkOK asks ZooKeeper "ruok".
func zkOK(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ruok")); err != nil {
		return false
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, "imok")
}
