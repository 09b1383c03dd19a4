package deploy

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Where the ClickHouse and Keeper images read their configuration.
const (
	chConfigDir      = "/etc/clickhouse-server/config.d/"
	chUsersDir       = "/etc/clickhouse-server/users.d/"
	keeperConfigDir  = "/etc/clickhouse-keeper/"
	keeperConfigFile = "keeper_config.xml"
	chServerImage    = "clickhouse/clickhouse-server"
	keeperImage      = "clickhouse/clickhouse-keeper"
)

// xmlNode is one element of a ClickHouse or Keeper configuration file,
// decoded without a schema: ClickHouse names some elements after what they
// configure (a cluster is the element named after it in remote_servers).
type xmlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []*xmlNode `xml:",any"`
}

func parseXML(data []byte) (*xmlNode, error) {
	var n xmlNode
	if err := xml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

func readXML(file string) (*xmlNode, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	n, err := parseXML(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return n, nil
}

// children returns the elements named name directly below n.
func (n *xmlNode) children(name string) []*xmlNode {
	if n == nil {
		return nil
	}
	var out []*xmlNode
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

// find returns the first element at a slash-separated path below n, nil if
// there is none.
func (n *xmlNode) find(path string) *xmlNode {
	for name := range strings.SplitSeq(path, "/") {
		c := n.children(name)
		if len(c) == 0 {
			return nil
		}
		n = c[0]
	}
	return n
}

func (n *xmlNode) attr(name string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// value is an element's value as ClickHouse reads it: the environment
// variable that its from_env attribute names, else its text; "" for a
// missing element or an unset variable.
func (n *xmlNode) value(env lookupFunc) string {
	if n == nil {
		return ""
	}
	if name := n.attr("from_env"); name != "" {
		v, _ := env(name)
		return v
	}
	return strings.TrimSpace(n.Text)
}

// remoteClusters returns the names of the clusters in remote_servers.
func remoteClusters(cfg *xmlNode) []string {
	var out []string
	if rs := cfg.find("remote_servers"); rs != nil {
		for _, c := range rs.Nodes {
			out = append(out, c.XMLName.Local)
		}
	}
	return out
}

// clusterShard returns the only shard of cluster name, or an error if the
// cluster does not have exactly one.
func clusterShard(cfg *xmlNode, name string) (*xmlNode, error) {
	c := cfg.find("remote_servers/" + name)
	if c == nil {
		return nil, fmt.Errorf("remote_servers has no cluster %q, only %v", name, remoteClusters(cfg))
	}
	shards := c.children("shard")
	if len(shards) != 1 {
		return nil, fmt.Errorf("cluster %s has %d shards, want one with every replica", name, len(shards))
	}
	return shards[0], nil
}

// hostPorts returns host:port of each element (a shard's replica, a
// zookeeper node), as the server reading the file sees it.
func hostPorts(nodes []*xmlNode, env lookupFunc) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.find("host").value(env)+":"+n.find("port").value(env))
	}
	return out
}

// nativePort is a server's tcp_port: 9000 unless the file sets another.
func nativePort(cfg *xmlNode, env lookupFunc) string {
	return cmp.Or(cfg.find("tcp_port").value(env), chNativePort)
}

// raftServer is one server of a Keeper's raft_configuration.
type raftServer struct{ id, host, port string }

func raftServers(cfg *xmlNode, env lookupFunc) []raftServer {
	var out []raftServer
	for _, s := range cfg.find("keeper_server/raft_configuration").children("server") {
		out = append(out, raftServer{s.find("id").value(env), s.find("hostname").value(env), s.find("port").value(env)})
	}
	return out
}

// sameSet reports whether got and want hold the same strings as many times,
// in any order.
func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// imageTag splits an image reference into repository and tag.
func imageTag(image string) (repo, tag string) {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, "latest"
	}
	return image[:i], image[i+1:]
}
