package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/coalitiondev/coalition/alerts"
)

// k8sDir holds the Kubernetes manifests.
const k8sDir = "k8s"

// manifest is one Kubernetes object, decoded loosely: only the fields the
// checks read.
type manifest struct {
	File       string
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas    *int              `yaml:"replicas"`
		ServiceName string            `yaml:"serviceName"`
		Selector    yaml.Node         `yaml:"selector"`
		Ports       []k8sServicePort  `yaml:"ports"`
		Template    k8sPodTemplate    `yaml:"template"`
		ClusterIP   string            `yaml:"clusterIP"`
		Labels      map[string]string `yaml:"labels"`
		// VolumeClaimTemplates are a StatefulSet's per-pod volumes.
		VolumeClaimTemplates []struct {
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type k8sServicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort string `yaml:"targetPort"`
}

type k8sPodTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		Containers []k8sContainer `yaml:"containers"`
		Volumes    []k8sVolume    `yaml:"volumes"`
	} `yaml:"spec"`
}

type k8sVolume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name  string `yaml:"name"`
		Items []struct {
			Key  string `yaml:"key"`
			Path string `yaml:"path"`
		} `yaml:"items"`
	} `yaml:"configMap"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	TCPSocket *struct {
		Port string `yaml:"port"`
	} `yaml:"tcpSocket"`
}

// port is the named port a probe uses, "" for none.
func (p *k8sProbe) port() string {
	switch {
	case p == nil:
		return ""
	case p.HTTPGet != nil:
		return p.HTTPGet.Port
	case p.TCPSocket != nil:
		return p.TCPSocket.Port
	}
	return ""
}

func loadManifests(t *testing.T, dir string) []*manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	var out []*manifest
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			m := &manifest{File: filepath.Base(f)}
			if err := dec.Decode(m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if m.Kind == "" {
				continue
			}
			out = append(out, m)
		}
	}
	return out
}

func (m *manifest) String() string { return fmt.Sprintf("%s %s/%s", m.File, m.Kind, m.Metadata.Name) }

func byKind(ms []*manifest, kind string) map[string]*manifest {
	out := map[string]*manifest{}
	for _, m := range ms {
		if m.Kind == kind {
			out[m.Metadata.Name] = m
		}
	}
	return out
}

func workloads(ms []*manifest) []*manifest {
	var out []*manifest
	for _, m := range ms {
		if m.Kind == "Deployment" || m.Kind == "StatefulSet" {
			out = append(out, m)
		}
	}
	return out
}

func matchLabels(m *manifest) map[string]string {
	var sel struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	_ = m.Spec.Selector.Decode(&sel)
	return sel.MatchLabels
}

func serviceSelector(m *manifest) map[string]string {
	var sel map[string]string
	_ = m.Spec.Selector.Decode(&sel)
	return sel
}

func subset(a, b map[string]string) bool {
	if len(a) == 0 {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

var k8sChecks = []struct {
	name  string
	check func([]*manifest) error
}{
	{"objects are named and namespaced", checkK8sMetadata},
	{"secret and config map references resolve", checkK8sRefs},
	{"services select pods and reach named ports", checkK8sServices},
	{"workload selectors match their pods; probes use declared ports; resources requested", checkK8sPods},
	{"Coalition containers share one image and run known roles", checkK8sRoles},
	{"NATS routes and NATS_URL match the StatefulSet", checkK8sNATS},
	{"the alert rules parse", checkK8sAlerts},
	{"CLICKHOUSE_ADDR and remote_servers name the clickhouse pods, CLICKHOUSE_CLUSTER their cluster", checkK8sClickHouse},
	{"zookeeper and raft_configuration name the keeper pods, with ids from their ordinals", checkK8sKeeper},
}

// TestKubernetesManifests parses deploy/k8s and checks that its objects
// reference each other consistently: images, ports, probes, secrets,
// config maps, the NATS cluster's routes, the alert rules, and the
// replicated ClickHouse with its Keeper.
func TestKubernetesManifests(t *testing.T) {
	ms := loadManifests(t, k8sDir)
	for _, c := range k8sChecks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.check(ms); err != nil {
				t.Error(err)
			}
		})
	}
}

func checkK8sMetadata(ms []*manifest) error {
	var errs []error
	for _, m := range ms {
		if m.APIVersion == "" || m.Metadata.Name == "" {
			errs = append(errs, fmt.Errorf("%s: no apiVersion or name", m))
		}
		if m.Kind != "Namespace" && m.Metadata.Namespace != "coalition" {
			errs = append(errs, fmt.Errorf("%s: namespace %q, want coalition", m, m.Metadata.Namespace))
		}
	}
	return errors.Join(errs...)
}

func checkK8sRefs(ms []*manifest) error {
	secrets, cms := byKind(ms, "Secret"), byKind(ms, "ConfigMap")
	var errs []error
	for _, w := range workloads(ms) {
		for _, c := range w.Spec.Template.Spec.Containers {
			for _, e := range c.Env {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					continue
				}
				ref := e.ValueFrom.SecretKeyRef
				s := secrets[ref.Name]
				if s == nil {
					errs = append(errs, fmt.Errorf("%s: %s from a missing Secret %q", w, e.Name, ref.Name))
				} else if _, ok := s.StringData[ref.Key]; !ok {
					errs = append(errs, fmt.Errorf("%s: %s from key %q, which Secret %s lacks", w, e.Name, ref.Key, ref.Name))
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && cms[ef.ConfigMapRef.Name] == nil {
					errs = append(errs, fmt.Errorf("%s: env from a missing ConfigMap %q", w, ef.ConfigMapRef.Name))
				}
			}
		}
		if err := checkK8sMounts(w, cms); err != nil {
			errs = append(errs, err)
		}
		for _, v := range w.Spec.Template.Spec.Volumes {
			if v.ConfigMap == nil {
				continue
			}
			cm := cms[v.ConfigMap.Name]
			if cm == nil {
				errs = append(errs, fmt.Errorf("%s: volume %s from a missing ConfigMap %q", w, v.Name, v.ConfigMap.Name))
				continue
			}
			for _, it := range v.ConfigMap.Items {
				if _, ok := cm.Data[it.Key]; !ok {
					errs = append(errs, fmt.Errorf("%s: volume %s wants key %q, which ConfigMap %s lacks", w, v.Name, it.Key, cm.Metadata.Name))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// checkK8sMounts checks that every volume mount names a volume of the pod
// or a claim template, and that a subPath into a config map is one of its
// files.
func checkK8sMounts(w *manifest, cms map[string]*manifest) error {
	var errs []error
	for _, c := range w.Spec.Template.Spec.Containers {
		for _, vm := range c.VolumeMounts {
			i := slices.IndexFunc(w.Spec.Template.Spec.Volumes, func(v k8sVolume) bool { return v.Name == vm.Name })
			if i < 0 {
				claim := false
				for _, t := range w.Spec.VolumeClaimTemplates {
					claim = claim || t.Metadata.Name == vm.Name
				}
				if !claim {
					errs = append(errs, fmt.Errorf("%s: container %s mounts %q, which is no volume or claim template", w, c.Name, vm.Name))
				}
				continue
			}
			v := w.Spec.Template.Spec.Volumes[i]
			if vm.SubPath == "" || v.ConfigMap == nil || cms[v.ConfigMap.Name] == nil {
				continue
			}
			var files []string
			for _, it := range v.ConfigMap.Items {
				files = append(files, it.Path)
			}
			if len(v.ConfigMap.Items) == 0 {
				files = sortedKeys(cms[v.ConfigMap.Name].Data)
			}
			if !slices.Contains(files, vm.SubPath) {
				errs = append(errs, fmt.Errorf("%s: container %s mounts subPath %q of ConfigMap %s, which has %v", w, c.Name, vm.SubPath, v.ConfigMap.Name, files))
			}
		}
	}
	return errors.Join(errs...)
}

func checkK8sServices(ms []*manifest) error {
	var errs []error
	for _, s := range byKind(ms, "Service") {
		sel := serviceSelector(s)
		var target *manifest
		for _, w := range workloads(ms) {
			if subset(sel, w.Spec.Template.Metadata.Labels) {
				target = w
			}
		}
		if target == nil {
			errs = append(errs, fmt.Errorf("%s: selector %v matches no pods", s, sel))
			continue
		}
		for _, p := range s.Spec.Ports {
			found := false
			for _, c := range target.Spec.Template.Spec.Containers {
				for _, cp := range c.Ports {
					found = found || cp.Name == p.TargetPort
				}
			}
			if !found {
				errs = append(errs, fmt.Errorf("%s: targetPort %q is no port of %s", s, p.TargetPort, target))
			}
		}
	}
	return errors.Join(errs...)
}

func checkK8sPods(ms []*manifest) error {
	var errs []error
	for _, w := range workloads(ms) {
		if !subset(matchLabels(w), w.Spec.Template.Metadata.Labels) {
			errs = append(errs, fmt.Errorf("%s: selector %v does not match the pod labels %v", w, matchLabels(w), w.Spec.Template.Metadata.Labels))
		}
		for _, c := range w.Spec.Template.Spec.Containers {
			ports := map[string]bool{}
			for _, p := range c.Ports {
				ports[p.Name] = true
			}
			for what, pr := range map[string]*k8sProbe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
				if pr.port() == "" {
					errs = append(errs, fmt.Errorf("%s: container %s has no %s probe (httpGet or tcpSocket)", w, c.Name, what))
				} else if !ports[pr.port()] {
					errs = append(errs, fmt.Errorf("%s: %s probe on port %q, which container %s does not declare", w, what, pr.port(), c.Name))
				}
			}
			if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
				errs = append(errs, fmt.Errorf("%s: container %s lacks cpu and memory requests or a memory limit", w, c.Name))
			}
		}
	}
	return errors.Join(errs...)
}

// k8sRoles are the commands a Coalition container may run; each serves
// /livez and /readyz on its HTTP port.
var k8sRoles = [][]string{{"consume"}, {"api"}, {"alerts", "run"}}

func checkK8sRoles(ms []*manifest) error {
	var errs []error
	image := ""
	for _, w := range workloads(ms) {
		for _, c := range w.Spec.Template.Spec.Containers {
			if c.Name != "coalition" {
				continue
			}
			if image == "" {
				image = c.Image
			} else if c.Image != image {
				errs = append(errs, fmt.Errorf("%s: image %s, others use %s", w, c.Image, image))
			}
			known := slices.ContainsFunc(k8sRoles, func(r []string) bool {
				return len(c.Args) >= len(r) && slices.Equal(c.Args[:len(r)], r)
			})
			if !known {
				errs = append(errs, fmt.Errorf("%s: args %v are not a Coalition role", w, c.Args))
			}
			for what, pr := range map[string]*k8sProbe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
				want := map[string]string{"liveness": "/livez", "readiness": "/readyz"}[what]
				if pr != nil && pr.HTTPGet != nil && pr.HTTPGet.Path != want {
					errs = append(errs, fmt.Errorf("%s: %s probe path %s, want %s", w, what, pr.HTTPGet.Path, want))
				}
			}
		}
	}
	if image == "" {
		errs = append(errs, errors.New("no Coalition container"))
	}
	return errors.Join(errs...)
}

var natsRouteRE = regexp.MustCompile(`nats://([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)\.([a-z0-9-]+)\.svc:(\d+)`)

func checkK8sNATS(ms []*manifest) error {
	sts := byKind(ms, "StatefulSet")["nats"]
	cm := byKind(ms, "ConfigMap")["nats"]
	app := byKind(ms, "ConfigMap")["coalition"]
	if sts == nil || cm == nil || app == nil || sts.Spec.Replicas == nil {
		return errors.New("want StatefulSet nats with replicas, ConfigMap nats and ConfigMap coalition")
	}
	n := *sts.Spec.Replicas
	var errs []error
	routes := natsRouteRE.FindAllStringSubmatch(cm.Data["nats.conf"], -1)
	if len(routes) != n {
		errs = append(errs, fmt.Errorf("nats.conf has %d routes for %d replicas", len(routes), n))
	}
	for i, r := range routes {
		if r[1] != sts.Metadata.Name || r[2] != fmt.Sprint(i) || r[3] != sts.Spec.ServiceName || r[4] != sts.Metadata.Namespace || r[5] != "6222" {
			errs = append(errs, fmt.Errorf("route %s is not %s-%d.%s.%s.svc:6222", r[0], sts.Metadata.Name, i, sts.Spec.ServiceName, sts.Metadata.Namespace))
		}
	}
	if h := byKind(ms, "Service")[sts.Spec.ServiceName]; h == nil || h.Spec.ClusterIP != "None" {
		errs = append(errs, fmt.Errorf("the StatefulSet's serviceName %q is not a headless Service", sts.Spec.ServiceName))
	}
	urls := strings.Split(app.Data["NATS_URL"], ",")
	if len(urls) != n {
		errs = append(errs, fmt.Errorf("NATS_URL lists %d servers for %d replicas", len(urls), n))
	}
	for i, u := range urls {
		want := fmt.Sprintf("nats://%s-%d.%s.%s.svc:4222", sts.Metadata.Name, i, sts.Spec.ServiceName, sts.Metadata.Namespace)
		if u != want {
			errs = append(errs, fmt.Errorf("NATS_URL server %d is %s, want %s", i, u, want))
		}
	}
	if r := app.Data["COALITION_STREAM_REPLICAS"]; r != fmt.Sprint(min(n, 3)) {
		errs = append(errs, fmt.Errorf("COALITION_STREAM_REPLICAS %q for %d NATS servers", r, n))
	}
	return errors.Join(errs...)
}

func checkK8sAlerts(ms []*manifest) error {
	cm := byKind(ms, "ConfigMap")["coalition-alerts"]
	if cm == nil {
		return errors.New("no ConfigMap coalition-alerts")
	}
	env := func(k string) (string, bool) {
		if k == "NEWSROOM_SECRET" {
			return "test-secret", true
		}
		return "", false
	}
	if _, err := alerts.ParseRules([]byte(cm.Data["alerts.yml"]), env); err != nil {
		return fmt.Errorf("alerts.yml: %w", err)
	}
	return nil
}

// TestKubernetesChecksCatchMistakes breaks one manifest in one place at a
// time; the matching check must say so.
func TestKubernetesChecksCatchMistakes(t *testing.T) {
	const (
		chk    = "CLICKHOUSE_ADDR and remote_servers name the clickhouse pods, CLICKHOUSE_CLUSTER their cluster"
		keeper = "zookeeper and raft_configuration name the keeper pods, with ids from their ordinals"
	)
	for _, m := range []struct{ file, check, from, to string }{
		{"coalition.yaml", "secret and config map references resolve", "key: write-token", "key: writetoken"},
		{"coalition.yaml", "services select pods and reach named ports", "      targetPort: http", "      targetPort: web"},
		{"coalition.yaml", "workload selectors match their pods; probes use declared ports; resources requested", "      app: alerts\n  template", "      app: alert\n  template"},
		{"coalition.yaml", "Coalition containers share one image and run known roles", `args: ["api"]`, `args: ["serve"]`},
		{"coalition.yaml", "NATS routes and NATS_URL match the StatefulSet", ",nats://nats-2.nats-cluster.coalition.svc:4222", ""},
		{"nats.yaml", "NATS routes and NATS_URL match the StatefulSet", "  replicas: 3\n  podManagementPolicy", "  replicas: 5\n  podManagementPolicy"},
		{"coalition.yaml", "the alert rules parse", "threshold: 3", "threshold: 0"},
		{"clickhouse.yaml", "secret and config map references resolve", "subPath: cluster.xml", "subPath: config.xml"},
		{"clickhouse.yaml", "secret and config map references resolve", "            - name: data\n              mountPath: /var/lib/clickhouse\n            # One file", "            - name: state\n              mountPath: /var/lib/clickhouse\n            # One file"},
		{"clickhouse.yaml", "workload selectors match their pods; probes use declared ports; resources requested", "            tcpSocket:\n              port: client", "            tcpSocket:\n              port: clients"},
		{"coalition.yaml", chk, ",clickhouse-1.clickhouse.coalition.svc.cluster.local:9000", ""},
		{"coalition.yaml", chk, "CLICKHOUSE_CLUSTER: coalition", "CLICKHOUSE_CLUSTER: default"},
		{"clickhouse.yaml", chk, "  replicas: 2\n", "  replicas: 3\n"},
		{"clickhouse.yaml", chk, "<host>clickhouse-1.clickhouse.coalition.svc.cluster.local</host>", "<host>clickhouse-1.clickhouse</host>"},
		{"clickhouse.yaml", chk, "  clusterIP: None\n  publishNotReadyAddresses: true\n  selector:\n    app: clickhouse\n", "  selector:\n    app: clickhouse\n"},
		{"clickhouse.yaml", chk, "value: $(POD_NAME).clickhouse.coalition.svc.cluster.local", "value: $(POD_NAME)"},
		{"clickhouse.yaml", chk, "            - name: CLICKHOUSE_REPLICA\n              value: $(POD_NAME)", "            - name: CLICKHOUSE_REPLICA\n              value: clickhouse"},
		{"clickhouse.yaml", chk, `<password from_env="CLICKHOUSE_PASSWORD"/>`, "<password/>"},
		{"clickhouse.yaml", keeper, "<host>clickhouse-keeper-2.clickhouse-keeper.coalition.svc.cluster.local</host>", "<host>clickhouse-keeper-0.clickhouse-keeper.coalition.svc.cluster.local</host>"},
		{"clickhouse.yaml", keeper, "            <tcp_port>9181</tcp_port>", "            <tcp_port>2181</tcp_port>"},
		{"clickhouse.yaml", keeper, "<hostname>clickhouse-keeper-2.clickhouse-keeper.coalition.svc.cluster.local</hostname>", "<hostname>clickhouse-keeper-3.clickhouse-keeper.coalition.svc.cluster.local</hostname>"},
		{"clickhouse.yaml", keeper, "<id>3</id>", "<id>4</id>"},
		{"clickhouse.yaml", keeper, "${HOSTNAME##*-} + 1 ))", "${HOSTNAME##*-} ))"},
		{"clickhouse.yaml", keeper, "  replicas: 3\n", "  replicas: 5\n"},
		{"clickhouse.yaml", keeper, "image: clickhouse/clickhouse-keeper:26.3", "image: clickhouse/clickhouse-keeper:25.8"},
	} {
		dir := t.TempDir()
		files, _ := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
		found := false
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(f) == m.file {
				found = strings.Contains(string(b), m.from)
				b = []byte(strings.Replace(string(b), m.from, m.to, 1))
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if !found {
			t.Errorf("%s no longer contains %q: update this mutation", m.file, m.from)
			continue
		}
		ms := loadManifests(t, dir)
		matched := false
		for _, c := range k8sChecks {
			if c.name == m.check {
				matched = true
				if err := c.check(ms); err == nil {
					t.Errorf("%s with %q instead of %q: %q still passes", m.file, m.to, m.from, m.check)
				}
			}
		}
		if !matched {
			t.Errorf("no check named %q", m.check)
		}
	}
}
