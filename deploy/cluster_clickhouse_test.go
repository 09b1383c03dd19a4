package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The checks of the cluster stack's replicated ClickHouse: the replicas,
// the Keeper nodes, and the configuration files (deploy/clickhouse/cluster)
// they mount, read the way the servers read them.

// mountedXML parses the one XML file that service name binds under dir
// (a directory ending in /).
func (p *project) mountedXML(c *composeFile, name, dir string) (*xmlNode, error) {
	s, err := c.service(name)
	if err != nil {
		return nil, err
	}
	var sources []string
	for _, v := range s.Volumes {
		if v.Type == "bind" && strings.HasPrefix(v.Target, dir) && strings.HasSuffix(v.Target, ".xml") {
			sources = append(sources, v.Source)
		}
	}
	if len(sources) != 1 {
		return nil, fmt.Errorf("%s: %d XML files mounted under %s, want one", name, len(sources), dir)
	}
	cfg, err := readXML(filepath.Join(p.dir, sources[0]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

// replicaConfigs returns the config.d file of each replica, by service.
func (p *project) replicaConfigs(c *composeFile) (map[string]*xmlNode, error) {
	cfgs := map[string]*xmlNode{}
	for _, name := range clusterReplicas {
		cfg, err := p.mountedXML(c, name, chConfigDir)
		if err != nil {
			return nil, err
		}
		cfgs[name] = cfg
	}
	return cfgs, nil
}

func checkClusterClickHouse(p *project) error {
	var errs []error
	for _, f := range []*composeFile{p.defaults, p.fromEnv} {
		for _, name := range sortedKeys(clusterRoles) {
			s, err := f.service(name)
			if err != nil {
				return err
			}
			for _, replica := range clusterReplicas {
				chs, err := f.service(replica)
				if err != nil {
					return err
				}
				for _, pair := range [][2]string{{"CLICKHOUSE_USER", "CLICKHOUSE_USER"}, {"CLICKHOUSE_PASSWORD", "CLICKHOUSE_PASSWORD"}, {"CLICKHOUSE_DATABASE", "CLICKHOUSE_DB"}} {
					a, _ := s.Environment.get(pair[0])
					c, _ := chs.Environment.get(pair[1])
					if a == "" || a != c {
						errs = append(errs, fmt.Errorf("%s: %s %q differs from %s's %s %q", name, pair[0], a, replica, pair[1], c))
					}
				}
			}
		}
	}
	for _, name := range clusterReplicas {
		s, err := p.service(name)
		if err != nil {
			return err
		}
		if repo, _ := imageTag(s.Image); repo != chServerImage {
			errs = append(errs, fmt.Errorf("%s: image %s, want %s", name, s.Image, chServerImage))
		}
		data, analyst := false, ""
		for _, v := range s.Volumes {
			data = data || v.Type == "volume" && v.Target == "/var/lib/clickhouse"
			if v.Type == "bind" && v.Target == chUsersDir+"analyst.xml" {
				analyst = v.Source
			}
		}
		if !data {
			errs = append(errs, fmt.Errorf("%s: no named volume at /var/lib/clickhouse", name))
		}
		if analyst == "" {
			errs = append(errs, fmt.Errorf("%s: the analyst user is not mounted at %sanalyst.xml", name, chUsersDir))
		} else if _, err := os.Stat(filepath.Join(p.dir, analyst)); err != nil {
			errs = append(errs, fmt.Errorf("%s: analyst user: %w", name, err))
		}
		if v, _ := s.Environment.get("CLICKHOUSE_ANALYST_PASSWORD"); v == "" {
			errs = append(errs, fmt.Errorf("%s: no CLICKHOUSE_ANALYST_PASSWORD for the analyst user", name))
		}
	}
	return errors.Join(errs...)
}

func checkClusterMode(p *project) error {
	cfgs, err := p.replicaConfigs(p.defaults)
	if err != nil {
		return err
	}
	var want []string
	for _, name := range clusterReplicas {
		s, _ := p.service(name)
		want = append(want, name+":"+nativePort(cfgs[name], s.Environment.get))
	}
	var errs []error
	for _, name := range sortedKeys(clusterRoles) {
		s, err := p.service(name)
		if err != nil {
			return err
		}
		cluster, _ := s.Environment.get("CLICKHOUSE_CLUSTER")
		for _, replica := range clusterReplicas {
			if !slices.Contains(remoteClusters(cfgs[replica]), cluster) {
				errs = append(errs, fmt.Errorf("%s: CLICKHOUSE_CLUSTER %q, but %s's remote_servers defines %v", name, cluster, replica, remoteClusters(cfgs[replica])))
			}
		}
		addr, _ := s.Environment.get("CLICKHOUSE_ADDR")
		if !sameSet(strings.Split(addr, ","), want) {
			errs = append(errs, fmt.Errorf("%s: CLICKHOUSE_ADDR %q, want the replicas %v, in any order", name, addr, want))
		}
	}
	return errors.Join(errs...)
}

// coalitionCluster is the cluster the Coalition services run on.
func coalitionCluster(c *composeFile) (string, error) {
	s, err := c.service("consume")
	if err != nil {
		return "", err
	}
	v, _ := s.Environment.get("CLICKHOUSE_CLUSTER")
	if v == "" {
		return "", errors.New("consume: no CLICKHOUSE_CLUSTER")
	}
	return v, nil
}

func checkClusterShard(p *project) error {
	var errs []error
	for _, f := range []*composeFile{p.defaults, p.fromEnv} {
		cluster, err := coalitionCluster(f)
		if err != nil {
			return err
		}
		app, _ := f.service("consume")
		cfgs, err := p.replicaConfigs(f)
		if err != nil {
			return err
		}
		for _, name := range clusterReplicas {
			s, _ := f.service(name)
			env := s.Environment.get
			shard, err := clusterShard(cfgs[name], cluster)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			if v := shard.find("internal_replication").value(env); v != "true" {
				errs = append(errs, fmt.Errorf("%s: internal_replication %q, want true: each insert goes to one replica and replication copies it", name, v))
			}
			var want []string
			for _, r := range clusterReplicas {
				rs, _ := f.service(r)
				want = append(want, r+":"+nativePort(cfgs[r], rs.Environment.get))
			}
			replicas := shard.children("replica")
			if got := hostPorts(replicas, env); !sameSet(got, want) {
				errs = append(errs, fmt.Errorf("%s: cluster %s's replicas are %v, want %v", name, cluster, got, want))
			}
			for _, r := range replicas {
				for _, pair := range [][2]string{{"user", "CLICKHOUSE_USER"}, {"password", "CLICKHOUSE_PASSWORD"}} {
					got := r.find(pair[0]).value(env)
					if want, _ := app.Environment.get(pair[1]); got != want {
						errs = append(errs, fmt.Errorf("%s: replica %s logs in with %s %q, want Coalition's %s %q (the image removes the default user)", name, r.find("host").value(env), pair[0], got, pair[1], want))
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

func checkClusterMacros(p *project) error {
	cfgs, err := p.replicaConfigs(p.defaults)
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]string{} // replica macro: service
	for _, name := range clusterReplicas {
		s, _ := p.service(name)
		env, cfg := s.Environment.get, cfgs[name]
		if v := cfg.find("macros/shard").value(env); v == "" {
			errs = append(errs, fmt.Errorf("%s: no shard macro", name))
		}
		replica := cfg.find("macros/replica")
		switch v := replica.value(env); {
		case v == "":
			errs = append(errs, fmt.Errorf("%s: the replica macro is empty (from_env %q)", name, replica.attr("from_env")))
		case seen[v] != "":
			errs = append(errs, fmt.Errorf("%s: replica macro %q, the same as %s's: both would write one replica's path in Keeper", name, v, seen[v]))
		default:
			seen[v] = name
		}
		if v := cfg.find("interserver_http_host").value(env); v != name {
			errs = append(errs, fmt.Errorf("%s: interserver_http_host %q, want its service name, where the other replica fetches parts", name, v))
		}
		if cfg.find("distributed_ddl/path").value(env) == "" {
			errs = append(errs, fmt.Errorf("%s: no distributed_ddl path, which ON CLUSTER needs", name))
		}
	}
	return errors.Join(errs...)
}

// keeperConfigs returns the configuration file of each keeper, by service.
func (p *project) keeperConfigs() (map[string]*xmlNode, error) {
	cfgs := map[string]*xmlNode{}
	for _, name := range clusterKeepers {
		cfg, err := p.mountedXML(p.defaults, name, keeperConfigDir)
		if err != nil {
			return nil, err
		}
		cfgs[name] = cfg
	}
	return cfgs, nil
}

func checkClusterZooKeeper(p *project) error {
	keepers, err := p.keeperConfigs()
	if err != nil {
		return err
	}
	var want []string
	for _, name := range clusterKeepers {
		s, _ := p.service(name)
		want = append(want, name+":"+keepers[name].find("keeper_server/tcp_port").value(s.Environment.get))
	}
	cfgs, err := p.replicaConfigs(p.defaults)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range clusterReplicas {
		s, _ := p.service(name)
		if got := hostPorts(cfgs[name].find("zookeeper").children("node"), s.Environment.get); !sameSet(got, want) {
			errs = append(errs, fmt.Errorf("%s: zookeeper nodes %v, want the keepers at their tcp_port %v", name, got, want))
		}
	}
	return errors.Join(errs...)
}

func checkClusterRaft(p *project) error {
	cfgs, err := p.keeperConfigs()
	if err != nil {
		return err
	}
	var errs []error
	var servers []raftServer
	for _, name := range clusterKeepers {
		s, _ := p.service(name)
		env, cfg := s.Environment.get, cfgs[name]
		raft := raftServers(cfg, env)
		if servers == nil {
			servers = raft
		} else if !slices.Equal(raft, servers) {
			errs = append(errs, fmt.Errorf("%s: raft_configuration %v differs from %s's %v", name, raft, clusterKeepers[0], servers))
		}
		var hosts, ids []string
		for _, r := range raft {
			hosts, ids = append(hosts, r.host), append(ids, r.id)
			if r.port == "" {
				errs = append(errs, fmt.Errorf("%s: raft server %s has no port", name, r.host))
			}
		}
		if !sameSet(hosts, clusterKeepers) {
			errs = append(errs, fmt.Errorf("%s: raft_configuration lists %v, want the keepers %v", name, hosts, clusterKeepers))
		}
		if distinct := slices.Compact(slices.Sorted(slices.Values(ids))); len(distinct) != len(ids) {
			errs = append(errs, fmt.Errorf("%s: raft_configuration ids %v are not distinct", name, ids))
		}
		id := cfg.find("keeper_server/server_id")
		own := slices.IndexFunc(raft, func(r raftServer) bool { return r.host == name })
		if got := id.value(env); own >= 0 && (got == "" || raft[own].id != got) {
			errs = append(errs, fmt.Errorf("%s: server_id %q (from_env %q), but raft_configuration gives %s id %s", name, got, id.attr("from_env"), name, raft[own].id))
		}
		if cfg.find("keeper_server/tcp_port").value(env) == "" {
			errs = append(errs, fmt.Errorf("%s: no keeper_server tcp_port for clients", name))
		}
		replica, _ := p.service(clusterReplicas[0])
		_, chTag := imageTag(replica.Image)
		if repo, tag := imageTag(s.Image); repo != keeperImage || tag != chTag {
			errs = append(errs, fmt.Errorf("%s: image %s, want %s:%s like the servers", name, s.Image, keeperImage, chTag))
		}
	}
	return errors.Join(errs...)
}
