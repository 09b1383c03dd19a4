package deploy

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The checks of the replicated ClickHouse in deploy/k8s: the clickhouse
// and clickhouse-keeper StatefulSets, the XML in their ConfigMaps read the
// way each pod reads it, and Coalition's ConfigMap.

// podDNS is the stable name of pod i of a StatefulSet, through its headless
// Service.
func podDNS(sts *manifest, i int) string {
	return fmt.Sprintf("%s-%d.%s.%s.svc.cluster.local", sts.Metadata.Name, i, sts.Spec.ServiceName, sts.Metadata.Namespace)
}

// podName is the name of pod i of a StatefulSet.
func podName(sts *manifest, i int) string { return fmt.Sprintf("%s-%d", sts.Metadata.Name, i) }

func findContainer(w *manifest, name string) *k8sContainer {
	for i, c := range w.Spec.Template.Spec.Containers {
		if c.Name == name {
			return &w.Spec.Template.Spec.Containers[i]
		}
	}
	return nil
}

// containerPorts returns the port numbers a container declares.
func containerPorts(c *k8sContainer) []string {
	var out []string
	for _, p := range c.Ports {
		out = append(out, strconv.Itoa(p.ContainerPort))
	}
	return out
}

var k8sVarRef = regexp.MustCompile(`\$\([A-Za-z_][A-Za-z0-9_]*\)`)

// podEnv is the environment of container c in the pod named pod: values
// with $(NAME) of an earlier variable expanded as Kubernetes does, the pod's
// name for a fieldRef to metadata.name, and "secret:NAME/KEY" for a
// secretKeyRef.
func podEnv(c *k8sContainer, pod string) lookupFunc {
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = k8sVarRef.ReplaceAllStringFunc(e.Value, func(ref string) string {
				if v, ok := env[ref[2:len(ref)-1]]; ok {
					return v
				}
				return ref
			})
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env[e.Name] = pod
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		}
	}
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// configFiles returns the files that config map volumes put into container
// c of workload w, by their path in the container.
func configFiles(w *manifest, c *k8sContainer, cms map[string]*manifest) map[string]string {
	files := map[string]string{}
	for _, vm := range c.VolumeMounts {
		i := slices.IndexFunc(w.Spec.Template.Spec.Volumes, func(v k8sVolume) bool { return v.Name == vm.Name })
		if i < 0 || w.Spec.Template.Spec.Volumes[i].ConfigMap == nil {
			continue
		}
		v := w.Spec.Template.Spec.Volumes[i].ConfigMap
		cm := cms[v.Name]
		if cm == nil {
			continue
		}
		keys := map[string]string{} // path in the volume: key
		for _, it := range v.Items {
			keys[it.Path] = it.Key
		}
		if len(v.Items) == 0 {
			for k := range cm.Data {
				keys[k] = k
			}
		}
		for p, key := range keys {
			switch vm.SubPath {
			case "":
				files[path.Join(vm.MountPath, p)] = cm.Data[key]
			case p:
				files[vm.MountPath] = cm.Data[key]
			}
		}
	}
	return files
}

// mountedConfig parses the one XML file that container c of w finds under
// dir: a directory ending in /, or a file.
func mountedConfig(w *manifest, c *k8sContainer, cms map[string]*manifest, dir string) (*xmlNode, error) {
	var found []string
	files := configFiles(w, c, cms)
	for _, p := range sortedKeys(files) {
		if strings.HasPrefix(p, dir) && strings.HasSuffix(p, ".xml") {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: container %s has %d XML files from config maps at %s (%v), want one", w, c.Name, len(found), dir, found)
	}
	cfg, err := parseXML([]byte(files[found[0]]))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", w, found[0], err)
	}
	return cfg, nil
}

// k8sClickHouse is what the ClickHouse checks read: the two StatefulSets,
// their containers and configuration files, and Coalition's ConfigMap.
type k8sClickHouse struct {
	servers, keepers       *manifest
	server, keeper         *k8sContainer
	serverCfg, keeperCfg   *xmlNode
	app                    *manifest     // ConfigMap coalition
	appContainer           *k8sContainer // a Coalition container, for its secrets
	serverPods, keeperPods int
}

func loadK8sClickHouse(ms []*manifest) (*k8sClickHouse, error) {
	sts, cms := byKind(ms, "StatefulSet"), byKind(ms, "ConfigMap")
	k := &k8sClickHouse{servers: sts["clickhouse"], keepers: sts["clickhouse-keeper"], app: cms["coalition"]}
	consume := byKind(ms, "Deployment")["consume"]
	if k.servers == nil || k.keepers == nil || k.app == nil || consume == nil || k.servers.Spec.Replicas == nil || k.keepers.Spec.Replicas == nil {
		return nil, errors.New("want StatefulSets clickhouse and clickhouse-keeper with replicas, ConfigMap coalition and Deployment consume")
	}
	k.server, k.keeper, k.appContainer = findContainer(k.servers, "clickhouse"), findContainer(k.keepers, "clickhouse-keeper"), findContainer(consume, "coalition")
	if k.server == nil || k.keeper == nil || k.appContainer == nil {
		return nil, errors.New("want containers clickhouse, clickhouse-keeper and coalition (in consume)")
	}
	k.serverPods, k.keeperPods = *k.servers.Spec.Replicas, *k.keepers.Spec.Replicas
	var err error
	if k.serverCfg, err = mountedConfig(k.servers, k.server, cms, chConfigDir); err != nil {
		return nil, err
	}
	if k.keeperCfg, err = mountedConfig(k.keepers, k.keeper, cms, keeperConfigDir+keeperConfigFile); err != nil {
		return nil, err
	}
	return k, nil
}

// headless reports an error unless a StatefulSet's serviceName is a
// headless Service, which gives its pods their names.
func headless(ms []*manifest, sts *manifest) error {
	if h := byKind(ms, "Service")[sts.Spec.ServiceName]; h == nil || h.Spec.ClusterIP != "None" {
		return fmt.Errorf("%s: serviceName %q is not a headless Service", sts, sts.Spec.ServiceName)
	}
	return nil
}

func checkK8sClickHouse(ms []*manifest) error {
	k, err := loadK8sClickHouse(ms)
	if err != nil {
		return err
	}
	errs := []error{headless(ms, k.servers)}
	port := nativePort(k.serverCfg, podEnv(k.server, podName(k.servers, 0)))
	if !slices.Contains(containerPorts(k.server), port) {
		errs = append(errs, fmt.Errorf("%s: tcp_port %s is no container port", k.servers, port))
	}
	var pods []string
	for i := range k.serverPods {
		pods = append(pods, podDNS(k.servers, i)+":"+port)
	}
	if got, want := k.app.Data["CLICKHOUSE_ADDR"], strings.Join(pods, ","); got != want {
		errs = append(errs, fmt.Errorf("CLICKHOUSE_ADDR %q, want the %d pods through the headless Service, %q", got, k.serverPods, want))
	}
	cluster := k.app.Data["CLICKHOUSE_CLUSTER"]
	shard, err := clusterShard(k.serverCfg, cluster)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("CLICKHOUSE_CLUSTER %q: %w", cluster, err))...)
	}
	user := k.app.Data["CLICKHOUSE_USER"]
	password, _ := podEnv(k.appContainer, "")("CLICKHOUSE_PASSWORD")
	seen := map[string]bool{}
	for i := range k.serverPods {
		pod := podName(k.servers, i)
		env := podEnv(k.server, pod)
		replicas := shard.children("replica")
		if got := hostPorts(replicas, env); i == 0 && !sameSet(got, pods) {
			errs = append(errs, fmt.Errorf("cluster %s's replicas are %v, want the pods %v", cluster, got, pods))
		}
		if v := shard.find("internal_replication").value(env); i == 0 && v != "true" {
			errs = append(errs, fmt.Errorf("cluster %s: internal_replication %q, want true", cluster, v))
		}
		for _, r := range replicas {
			if got, want := r.find("user").value(env)+" "+r.find("password").value(env), user+" "+password; got != want {
				errs = append(errs, fmt.Errorf("%s: replica %s logs in as %q, want Coalition's user and password %q", pod, r.find("host").value(env), got, want))
			}
		}
		switch v := k.serverCfg.find("macros/replica").value(env); {
		case v == "" || seen[v]:
			errs = append(errs, fmt.Errorf("%s: replica macro %q, want one of its own", pod, v))
		default:
			seen[v] = true
		}
		if got, want := k.serverCfg.find("interserver_http_host").value(env), podDNS(k.servers, i); got != want {
			errs = append(errs, fmt.Errorf("%s: interserver_http_host %q, want its name %q", pod, got, want))
		}
	}
	if k.serverCfg.find("distributed_ddl/path").value(podEnv(k.server, "")) == "" {
		errs = append(errs, errors.New("no distributed_ddl path, which ON CLUSTER needs"))
	}
	return errors.Join(errs...)
}

func checkK8sKeeper(ms []*manifest) error {
	k, err := loadK8sClickHouse(ms)
	if err != nil {
		return err
	}
	errs := []error{headless(ms, k.keepers)}
	env := podEnv(k.keeper, podName(k.keepers, 0))
	client := k.keeperCfg.find("keeper_server/tcp_port").value(env)
	var want []string
	for i := range k.keeperPods {
		want = append(want, podDNS(k.keepers, i)+":"+client)
	}
	if got := hostPorts(k.serverCfg.find("zookeeper").children("node"), podEnv(k.server, podName(k.servers, 0))); !sameSet(got, want) {
		errs = append(errs, fmt.Errorf("zookeeper nodes %v, want the %d keeper pods at tcp_port, %v", got, k.keeperPods, want))
	}
	raft := raftServers(k.keeperCfg, env)
	if len(raft) != k.keeperPods {
		errs = append(errs, fmt.Errorf("raft_configuration has %d servers for %d keeper pods", len(raft), k.keeperPods))
	}
	// The container's command exports the id variable from the pod's
	// ordinal: clickhouse-keeper-N has id N+1.
	idVar := k.keeperCfg.find("keeper_server/server_id").attr("from_env")
	if cmd := strings.Join(k.keeper.Command, " "); idVar == "" || !strings.Contains(cmd, "export "+idVar+"=$(( ${HOSTNAME##*-} + 1 ))") {
		errs = append(errs, fmt.Errorf("server_id from_env %q: the keeper command %q does not export it as the pod's ordinal + 1", idVar, cmd))
	}
	for i := range k.keeperPods {
		host := podDNS(k.keepers, i)
		j := slices.IndexFunc(raft, func(r raftServer) bool { return r.host == host })
		switch {
		case j < 0:
			errs = append(errs, fmt.Errorf("raft_configuration lacks %s", host))
		case raft[j].id != strconv.Itoa(i+1):
			errs = append(errs, fmt.Errorf("raft_configuration gives %s id %s, want %d from its ordinal", host, raft[j].id, i+1))
		}
	}
	ports := containerPorts(k.keeper)
	for _, p := range []string{client, raftPort(raft)} {
		if !slices.Contains(ports, p) {
			errs = append(errs, fmt.Errorf("%s: port %q of keeper_config.xml is no container port", k.keepers, p))
		}
	}
	_, chTag := imageTag(k.server.Image)
	if repo, tag := imageTag(k.keeper.Image); repo != keeperImage || tag != chTag {
		errs = append(errs, fmt.Errorf("%s: image %s, want %s:%s like the servers", k.keepers, k.keeper.Image, keeperImage, chTag))
	}
	return errors.Join(errs...)
}

// raftPort is the port of the raft servers, "" unless they agree on one.
func raftPort(raft []raftServer) string {
	if len(raft) == 0 {
		return ""
	}
	for _, r := range raft {
		if r.port != raft[0].port {
			return ""
		}
	}
	return raft[0].port
}
