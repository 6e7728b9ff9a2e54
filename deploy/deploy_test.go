// Package deploy_test checks the ways to run Afterglow (Dockerfile, compose.yaml, the Kubernetes
// example, the systemd unit) against what they run: the settings they point at validate, every
// ${VAR} those settings need is given, the probes and commands are ones the program has, and the
// linker flags name variables that exist. No container engine or cluster is needed.
package deploy_test

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/validate"
)

const root = ".."

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustValidate runs `afterglow validate` on path (relative to the repository).
func mustValidate(t *testing.T, path string) {
	t.Helper()
	res, err := validate.Paths([]string{filepath.Join(root, path)})
	if err != nil {
		t.Fatalf("validate %s: %v", path, err)
	}
	for _, d := range res.Diagnostics {
		if d.Severity == diag.Error {
			t.Errorf("validate %s: %s", path, d)
		}
	}
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// neededVars lists the ${VAR}s of a settings file that have no default.
func neededVars(settings []byte) []string {
	var out []string
	for _, m := range varRef.FindAllSubmatch(settings, -1) {
		if len(m[2]) == 0 && !slices.Contains(out, string(m[1])) {
			out = append(out, string(m[1]))
		}
	}
	sort.Strings(out)
	return out
}

func TestComposeRunsTheExampleShop(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Image       string
			Command     []string
			Environment map[string]string
			Volumes     []string
			Ports       []string
			DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
		}
	}
	if err := yaml.Unmarshal(read(t, "compose.yaml"), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	db, migrate, run := c.Services["db"], c.Services["migrate"], c.Services["afterglow"]
	if !strings.HasPrefix(db.Image, "postgres:") {
		t.Errorf("service db runs %q; want PostgreSQL", db.Image)
	}
	if !slices.Equal(migrate.Command, []string{"migrate"}) || migrate.Environment["DATABASE_URL"] == "" ||
		migrate.DependsOn["db"].Condition != "service_healthy" {
		t.Errorf("service migrate: command %v, DATABASE_URL %q, waits for db %q; want afterglow migrate on the healthy database",
			migrate.Command, migrate.Environment["DATABASE_URL"], migrate.DependsOn["db"].Condition)
	}
	if run.DependsOn["migrate"].Condition != "service_completed_successfully" {
		t.Errorf("service afterglow starts on migrate %q; want service_completed_successfully", run.DependsOn["migrate"].Condition)
	}
	if run.Image != migrate.Image {
		t.Errorf("migrate runs %s and the engine %s; want one image", migrate.Image, run.Image)
	}
	i := slices.Index(run.Command, "--config")
	if len(run.Command) == 0 || run.Command[0] != "run" || i < 0 || i+1 >= len(run.Command) {
		t.Fatalf("service afterglow runs %v; want run --config FILE", run.Command)
	}
	// The settings file, as the container sees it, through the mounted folders.
	inContainer, onHost := run.Command[i+1], ""
	for _, v := range run.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && strings.HasPrefix(inContainer, parts[1]+"/") {
			onHost = filepath.Join(parts[0], strings.TrimPrefix(inContainer, parts[1]+"/"))
		}
	}
	if onHost == "" {
		t.Fatalf("no volume holds %s: %v", inContainer, run.Volumes)
	}
	mustValidate(t, onHost)
	for _, v := range neededVars(read(t, onHost)) {
		if run.Environment[v] == "" {
			t.Errorf("%s needs ${%s}; service afterglow does not set it", onHost, v)
		}
	}
	if !slices.ContainsFunc(run.Ports, func(p string) bool { return strings.HasSuffix(p, ":8080") }) ||
		!bytes.Contains(read(t, onHost), []byte("listen: 0.0.0.0:8080")) {
		t.Errorf("the engine must listen on 0.0.0.0:8080 in the container and the port be published: ports %v", run.Ports)
	}
}

// k8sObject is the part of a Kubernetes object these tests read.
type k8sObject struct {
	Kind     string
	Metadata struct{ Name string }
	Spec     struct {
		Template struct {
			Spec struct {
				SecurityContext struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
				} `yaml:"securityContext"`
				InitContainers []container `yaml:"initContainers"`
				Containers     []container
				Volumes        []struct {
					Name      string
					ConfigMap struct{ Name string } `yaml:"configMap"`
				}
			}
		}
		Ports []struct {
			TargetPort string `yaml:"targetPort"`
		}
	}
	StringData map[string]string `yaml:"stringData"`
}

type container struct {
	Name    string
	Image   string
	Args    []string
	EnvFrom []struct {
		SecretRef struct{ Name string } `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string
		ContainerPort int `yaml:"containerPort"`
	}
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	VolumeMounts   []struct {
		Name      string
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

func objects(t *testing.T, path string) map[string]k8sObject {
	t.Helper()
	out := map[string]k8sObject{}
	d := yaml.NewDecoder(bytes.NewReader(read(t, path)))
	for {
		var o k8sObject
		if err := d.Decode(&o); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("%s: %v", path, err)
		}
		out[o.Kind] = o
	}
}

func TestKubernetesExample(t *testing.T) {
	const dir = "deploy/kubernetes"
	var k struct {
		Resources          []string
		ConfigMapGenerator []struct {
			Name  string
			Files []string
		} `yaml:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(read(t, dir+"/kustomization.yaml"), &k); err != nil {
		t.Fatal(err)
	}
	if len(k.ConfigMapGenerator) != 1 {
		t.Fatalf("want one ConfigMap, the workspace; got %d", len(k.ConfigMapGenerator))
	}
	gen := k.ConfigMapGenerator[0]
	// Every file of the workspace folder is in the ConfigMap, and nothing else.
	entries, err := os.ReadDir(filepath.Join(root, dir, "workspace"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, "workspace/"+e.Name())
	}
	listed := slices.Clone(gen.Files)
	sort.Strings(listed)
	if !slices.Equal(files, listed) {
		t.Errorf("the ConfigMap lists %v; the workspace folder holds %v", listed, files)
	}
	mustValidate(t, dir+"/workspace")

	objs := map[string]k8sObject{}
	for _, r := range k.Resources {
		for kind, o := range objects(t, dir+"/"+r) {
			objs[kind] = o
		}
	}
	dep, ok := objs["Deployment"]
	if !ok {
		t.Fatal("no Deployment")
	}
	pod := dep.Spec.Template.Spec
	if !pod.SecurityContext.RunAsNonRoot {
		t.Error("the pods may run as root")
	}
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 1 {
		t.Fatalf("want one container and one init container, got %d and %d", len(pod.Containers), len(pod.InitContainers))
	}
	app, mig := pod.Containers[0], pod.InitContainers[0]
	if !slices.Equal(mig.Args, []string{"migrate"}) || mig.Image != app.Image {
		t.Errorf("init container runs %v from %s; want migrate from the engine's image %s", mig.Args, mig.Image, app.Image)
	}
	if !slices.Equal(app.Args[:3], []string{"run", "--config", "/workspace/afterglow.yaml"}) {
		t.Errorf("container runs %v; want run --config /workspace/afterglow.yaml", app.Args)
	}
	if len(app.VolumeMounts) != 1 || app.VolumeMounts[0].MountPath != "/workspace" {
		t.Fatalf("container mounts %v; want the workspace at /workspace", app.VolumeMounts)
	}
	for _, v := range pod.Volumes {
		if v.Name == app.VolumeMounts[0].Name && v.ConfigMap.Name != gen.Name {
			t.Errorf("the workspace volume is ConfigMap %q; kustomization.yaml makes %q", v.ConfigMap.Name, gen.Name)
		}
	}
	probes := map[string]string{}
	if app.ReadinessProbe != nil {
		probes["readiness"] = app.ReadinessProbe.HTTPGet.Path
	}
	if app.LivenessProbe != nil {
		probes["liveness"] = app.LivenessProbe.HTTPGet.Path
	}
	if probes["readiness"] != "/readyz" || probes["liveness"] != "/healthz" {
		t.Errorf("probes %v; want readiness on /readyz and liveness on /healthz", probes)
	}

	// Both containers take the Secret that example shows, and it sets every ${VAR} of the settings.
	var secret k8sObject
	for _, o := range objects(t, dir+"/secret.example.yaml") {
		secret = o
	}
	for _, c := range []container{mig, app} {
		if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef.Name != secret.Metadata.Name {
			t.Errorf("container %s takes its environment from %v; want the Secret %q", c.Name, c.EnvFrom, secret.Metadata.Name)
		}
	}
	for _, v := range neededVars(read(t, dir+"/workspace/afterglow.yaml")) {
		if secret.StringData[v] == "" {
			t.Errorf("the settings need ${%s}; secret.example.yaml does not set it", v)
		}
	}
	if svc := objs["Service"]; len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != "http" || app.Ports[0].Name != "http" || app.Ports[0].ContainerPort != 8080 {
		t.Errorf("the Service must reach the container's port http (8080)")
	}
}

func TestSystemdUnit(t *testing.T) {
	unit := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(read(t, "deploy/systemd/afterglow.service")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, _ := strings.Cut(line, "=")
			unit[section+"."+k] = append(unit[section+"."+k], v)
		}
	}
	get := func(k string) string { return strings.Join(unit[k], " ") }
	start := strings.Fields(get("Service.ExecStart"))
	pre := strings.Fields(get("Service.ExecStartPre"))
	if len(start) < 4 || start[1] != "run" || start[2] != "--config" {
		t.Fatalf("ExecStart=%v; want afterglow run --config FILE", start)
	}
	if len(pre) < 4 || pre[0] != start[0] || pre[1] != "migrate" || pre[2] != "--config" || pre[3] != start[3] {
		t.Errorf("ExecStartPre=%v; want %s migrate --config %s", pre, start[0], start[3])
	}
	if !strings.Contains(get("Service.ExecReload"), "-HUP $MAINPID") || get("Service.KillSignal") != "SIGTERM" {
		t.Errorf("reload must send SIGHUP and stop SIGTERM: ExecReload=%q KillSignal=%q", get("Service.ExecReload"), get("Service.KillSignal"))
	}
	if u := get("Service.User"); u == "" || u == "root" {
		t.Errorf("User=%q; want an unprivileged user", u)
	}
	if get("Service.EnvironmentFile") == "" || get("Install.WantedBy") != "multi-user.target" {
		t.Error("want the secrets from an EnvironmentFile and the unit wanted by multi-user.target")
	}
}

func TestDockerfile(t *testing.T) {
	df := string(read(t, "Dockerfile"))
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/afterglow", "FROM gcr.io/distroless/static", "USER nonroot"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The version and commit reach `afterglow version` through variables the linker sets.
	vars := packageVars(t, "cmd/afterglow")
	linked := regexp.MustCompile(`-X main\.([A-Za-z_]+)=`).FindAllStringSubmatch(df, -1)
	if len(linked) != 2 {
		t.Errorf("want the version and the commit passed to the linker; found %v", linked)
	}
	for _, m := range linked {
		if !vars[m[1]] {
			t.Errorf("the Dockerfile sets main.%s, which cmd/afterglow does not declare", m[1])
		}
	}
	// Nothing the build reads may be left out of its context.
	ignored := string(read(t, ".dockerignore"))
	for _, needed := range []string{"cmd", "go.mod", "go.sum", "schemas", "engine", "connectors"} {
		if regexp.MustCompile(`(?m)^` + needed + `$`).MatchString(ignored) {
			t.Errorf(".dockerignore leaves %s out of the build", needed)
		}
	}
}

// packageVars lists the package-level variables of a package's non-test files.
func packageVars(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	fset := token.NewFileSet()
	matches, _ := filepath.Glob(filepath.Join(root, dir, "*.go"))
	for _, path := range matches {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						out[n.Name] = true
					}
				}
			}
		}
	}
	return out
}
