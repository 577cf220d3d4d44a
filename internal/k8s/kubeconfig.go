package k8s

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v2"
)

// A kubeconfig file, read as clientcmd reads it (clientcmd.LoadFromFile):
// YAML (or JSON) turned into JSON by go.yaml.in/yaml/v2, the parser
// clientcmd uses through sigs.k8s.io/yaml, then decoded into the v1 types
// below; unknown fields are ignored, relative file names are taken from the
// kubeconfig's directory. client-go itself is not linked: its package init
// alone costs every CNI process about a millisecond.

// kubeconfig is the part of clientcmd's v1.Config the plugin uses.
type kubeconfig struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []namedCluster `json:"clusters"`
	Users          []namedUser    `json:"users"`
	Contexts       []namedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
}

type namedCluster struct {
	Name    string      `json:"name"`
	Cluster kubeCluster `json:"cluster"`
}

type kubeCluster struct {
	Server                   string           `json:"server"`
	TLSServerName            string           `json:"tls-server-name"`
	InsecureSkipTLSVerify    bool             `json:"insecure-skip-tls-verify"`
	CertificateAuthority     string           `json:"certificate-authority"`
	CertificateAuthorityData []byte           `json:"certificate-authority-data"`
	ProxyURL                 string           `json:"proxy-url"`
	DisableCompression       bool             `json:"disable-compression"`
	Extensions               []namedExtension `json:"extensions"`
}

type namedExtension struct {
	Name      string          `json:"name"`
	Extension json.RawMessage `json:"extension"`
}

type namedUser struct {
	Name string   `json:"name"`
	User kubeUser `json:"user"`
}

type kubeUser struct {
	ClientCertificate     string              `json:"client-certificate"`
	ClientCertificateData []byte              `json:"client-certificate-data"`
	ClientKey             string              `json:"client-key"`
	ClientKeyData         []byte              `json:"client-key-data"`
	Token                 string              `json:"token"`
	TokenFile             string              `json:"tokenFile"`
	Impersonate           string              `json:"as"`
	ImpersonateUID        string              `json:"as-uid"`
	ImpersonateGroups     []string            `json:"as-groups"`
	ImpersonateUserExtra  map[string][]string `json:"as-user-extra"`
	Username              string              `json:"username"`
	Password              string              `json:"password"`
	AuthProvider          *struct {
		Name string `json:"name"`
	} `json:"auth-provider"`
	Exec *execConfig `json:"exec"`
}

type namedContext struct {
	Name    string      `json:"name"`
	Context kubeContext `json:"context"`
}

type kubeContext struct {
	Cluster string `json:"cluster"`
	User    string `json:"user"`
}

// loadKubeconfig reads and parses the kubeconfig at path. A missing file is
// an error wrapping fs.ErrNotExist.
func loadKubeconfig(path string) (*kubeconfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	kc, err := parseKubeconfig(data)
	if err != nil {
		return nil, fmt.Errorf("error loading config file %q: %w", path, err)
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("could not determine the absolute path of config file %s: %w", path, err)
	}
	kc.resolvePaths(base)
	return kc, nil
}

// parseKubeconfig decodes a kubeconfig. An empty one is an empty config.
func parseKubeconfig(data []byte) (*kubeconfig, error) {
	kc := &kubeconfig{}
	if len(data) == 0 {
		return kc, nil
	}
	if err := decodeYAML(data, kc); err != nil {
		return nil, err
	}
	if (kc.APIVersion != "" && kc.APIVersion != "v1") || (kc.Kind != "" && kc.Kind != "Config") {
		return nil, fmt.Errorf("apiVersion %q, kind %q: want v1 Config", kc.APIVersion, kc.Kind)
	}
	for i := range kc.Users {
		// The v1 kubeconfig's defaulting (SetDefaults_ExecConfig).
		if e := kc.Users[i].User.Exec; e != nil && e.InteractiveMode == "" &&
			(e.APIVersion == execV1beta1 || e.APIVersion == "client.authentication.k8s.io/v1alpha1") {
			e.InteractiveMode = "IfAvailable"
		}
	}
	for _, d := range []struct {
		what string
		dup  func() (string, bool)
	}{
		{"clusters", func() (string, bool) { return duplicate(kc.Clusters, func(c namedCluster) string { return c.Name }) }},
		{"users", func() (string, bool) { return duplicate(kc.Users, func(u namedUser) string { return u.Name }) }},
		{"contexts", func() (string, bool) { return duplicate(kc.Contexts, func(c namedContext) string { return c.Name }) }},
	} {
		if name, ok := d.dup(); ok {
			return nil, fmt.Errorf("duplicate name %q in %s", name, d.what)
		}
	}
	return kc, nil
}

// duplicate is the first name given twice in l, if any.
func duplicate[T any](l []T, name func(T) string) (string, bool) {
	seen := make(map[string]bool, len(l))
	for _, x := range l {
		if seen[name(x)] {
			return name(x), true
		}
		seen[name(x)] = true
	}
	return "", false
}

// resolvePaths makes the relative file names of kc relative to base, the
// kubeconfig's directory (clientcmd.ResolveLocalPaths). An exec command is
// resolved only if it names a path, not a program to find in $PATH.
func (kc *kubeconfig) resolvePaths(base string) {
	resolve := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	for i := range kc.Clusters {
		resolve(&kc.Clusters[i].Cluster.CertificateAuthority)
	}
	for i := range kc.Users {
		u := &kc.Users[i].User
		resolve(&u.ClientCertificate)
		resolve(&u.ClientKey)
		resolve(&u.TokenFile)
		if u.Exec != nil && strings.ContainsRune(u.Exec.Command, filepath.Separator) {
			resolve(&u.Exec.Command)
		}
	}
}

func (kc *kubeconfig) context(name string) (kubeContext, bool) {
	for _, c := range kc.Contexts {
		if c.Name == name {
			return c.Context, true
		}
	}
	return kubeContext{}, false
}

func (kc *kubeconfig) cluster(name string) (kubeCluster, bool) {
	for _, c := range kc.Clusters {
		if c.Name == name {
			return c.Cluster, true
		}
	}
	return kubeCluster{}, false
}

func (kc *kubeconfig) user(name string) (kubeUser, bool) {
	for _, u := range kc.Users {
		if u.Name == name {
			return u.User, true
		}
	}
	return kubeUser{}, false
}

// decodeYAML decodes YAML (or JSON) into out as clientcmd decodes a
// kubeconfig: converted to JSON as sigs.k8s.io/yaml.YAMLToJSON does
// (mapping keys become strings), then decoded with field names matched
// case-sensitively (encoding/json would take "Server" for "server").
func decodeYAML(data []byte, out any) error {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	j, err := jsonValue(v)
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	js, err := json.Marshal(exactFields(j, reflect.TypeOf(out)))
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	return json.Unmarshal(js, out)
}

// exactFields drops from v, to be decoded into a t, the object keys that
// name a field of t only when compared without case.
func exactFields(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, x := range v {
				v[k] = exactFields(x, t.Elem())
			}
		case reflect.Struct:
			fields := map[string]reflect.Type{}
			for i := range t.NumField() {
				f := t.Field(i)
				if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && f.IsExported() {
					fields[name] = f.Type
				}
			}
			for k, x := range v {
				if ft, ok := fields[k]; ok {
					v[k] = exactFields(x, ft)
				} else {
					delete(v, k) // unknown fields are ignored anyway
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 {
			for i, x := range v {
				v[i] = exactFields(x, t.Elem())
			}
		}
	}
	return v
}

func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			key, err := jsonKey(k)
			if err != nil {
				return nil, err
			}
			if m[key], err = jsonValue(x); err != nil {
				return nil, err
			}
		}
		return m, nil
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			var err error
			if l[i], err = jsonValue(x); err != nil {
				return nil, err
			}
		}
		return l, nil
	}
	return v, nil
}

func jsonKey(k any) (string, error) {
	switch k := k.(type) {
	case string:
		return k, nil
	case int:
		return strconv.Itoa(k), nil
	case int64:
		return strconv.FormatInt(k, 10), nil
	case uint64:
		return strconv.FormatUint(k, 10), nil
	case float64:
		return strconv.FormatFloat(k, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(k), nil
	}
	return "", fmt.Errorf("unsupported map key %#v", k)
}
