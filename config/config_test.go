package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLayers(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"default.json":    `{"host":"0.0.0.0","port":3030,"storage":"mongodb","dataDir":"./data","database":"pinion","logLevel":"info","bodyLimit":100,"paginate":{"default":10,"max":50},"origins":["*"]}`,
		"production.json": `{"paginate":{"max":20},"origins":["https://chat.example"]}`,
	})
	c, err := Load(env(map[string]string{"CONFIG_DIR": dir, "APP_ENV": "production", "PORT": "8080", "LOG_LEVEL": "debug"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.LogLevel != "debug" || c.Paginate.Default != 10 || c.Paginate.Max != 20 ||
		len(c.Origins) != 1 || !c.Production() || c.Addr() != "0.0.0.0:8080" {
		t.Fatalf("got %+v", c)
	}
}

func TestEmbeddedDefault(t *testing.T) {
	// No ./config here: the compiled-in default.json applies.
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	defer os.Chdir(wd)
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3030 || c.Env != "development" || c.Dir != "" || c.Paginate.Max != 50 {
		t.Fatalf("got %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	good := `{"host":"","port":3030,"storage":"memory","dataDir":"d","database":"p","logLevel":"info","bodyLimit":1}`
	cases := []struct {
		name  string
		files map[string]string
		env   map[string]string
		want  string
	}{
		{"bad json", map[string]string{"default.json": `{"port":`}, nil, "default.json: invalid JSON"},
		{"unknown key", map[string]string{"default.json": `{"prot":1}`}, nil, `default.json: prot: unknown setting`},
		{"wrong type", map[string]string{"default.json": `{"port":"x"}`}, nil, "port"},
		{"bad PORT", map[string]string{"default.json": good}, map[string]string{"PORT": "abc"}, `PORT="abc"`},
		{"port range", map[string]string{"default.json": good}, map[string]string{"PORT": "70000"}, "out of range"},
		{"log level", map[string]string{"default.json": good}, map[string]string{"LOG_LEVEL": "loud"}, "logLevel"},
		{"env", map[string]string{"default.json": good}, map[string]string{"APP_ENV": "staging"}, "APP_ENV"},
		{"trusted proxies", map[string]string{"default.json": good}, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, `"proxy.local" is neither`},
		{"mongodb url", map[string]string{"default.json": good}, map[string]string{"MONGODB_URL": "http://x"}, "MONGODB_URL"},
		{"storage", map[string]string{"default.json": good}, map[string]string{"STORAGE": "ferretdb"}, "want sqlite, mongodb or memory"},
		{"synchronous", map[string]string{"default.json": good}, map[string]string{"SQLITE_SYNCHRONOUS": "off"}, "sqlite.synchronous"},
		{"sqlite without dir", map[string]string{"default.json": `{"port":1,"dataDir":"","database":"p","logLevel":"info","bodyLimit":1}`}, nil, "dataDir is empty"},
		{"paginate", map[string]string{"default.json": `{"port":1,"storage":"memory","dataDir":"d","database":"p","logLevel":"info","bodyLimit":1,"paginate":{"default":60,"max":50}}`}, nil, "paginate"},
		{"env file broken", map[string]string{"default.json": good, "development.json": `[]`}, nil, "development.json"},
		{"missing dir", nil, map[string]string{"CONFIG_DIR": "/nonexistent/pinion"}, "no such file"},
		{"production without its file", map[string]string{"default.json": good}, map[string]string{"APP_ENV": "production"}, "APP_ENV=production but"},
		{"env as a path", map[string]string{"default.json": good}, map[string]string{"APP_ENV": "../default"}, "APP_ENV"},
		{"blank AUTH_SECRET", map[string]string{"default.json": good}, map[string]string{"AUTH_SECRET": strings.Repeat(" ", 40)}, "AUTH_SECRET is blank"},
		{"blank AUTH_SECRET, tabs and newlines", map[string]string{"default.json": good}, map[string]string{"AUTH_SECRET": "\t\n\r \v\f"}, "AUTH_SECRET is blank"},
		{"placeholder AUTH_SECRET", map[string]string{"default.json": good}, map[string]string{"AUTH_SECRET": strings.Repeat("a", 40)}, "only 1 distinct characters"},
		{"placeholder AUTH_SECRET, a few symbols", map[string]string{"default.json": good}, map[string]string{"AUTH_SECRET": strings.Repeat("abc1", 10)}, "only 4 distinct characters"},
		{"origin null", map[string]string{"default.json": good}, map[string]string{"ORIGINS": "null"}, `"null" is the origin of sandboxed`},
		{"origin with a path", map[string]string{"default.json": good}, map[string]string{"ORIGINS": "https://app.example/"}, `want "https://app.example"`},
		{"origin in capitals", map[string]string{"default.json": good}, map[string]string{"ORIGINS": "https://App.example"}, `want "https://app.example"`},
		{"origin with a default port", map[string]string{"default.json": good}, map[string]string{"ORIGINS": "https://app.example:443"}, `want "https://app.example"`},
		{"origin without a scheme", map[string]string{"default.json": good}, map[string]string{"ORIGINS": "app.example"}, "is not an origin"},
		{"origin of another scheme", map[string]string{"default.json": good}, map[string]string{"ORIGINS": "file://x"}, "is not an origin"},
		{"origin with a user", map[string]string{"default.json": good}, map[string]string{"ORIGINS": "https://u@app.example"}, "is not an origin"},
		{"origin as a pattern", map[string]string{"default.json": good}, map[string]string{"ORIGINS": "https://*.app.example"}, "origins"},
		{"blank secret", map[string]string{"default.json": `{"port":1,"storage":"memory","dataDir":"d","database":"p","logLevel":"info","bodyLimit":1,"authentication":{"secret":"   "}}`}, nil, "authentication.secret is blank"},
	}
	for _, p := range []string{"/", "metrics", "/:any", "/*any", "/a//b", "/a/", "/a/../b", "/./a", "/a b", "/a?b", "/a#b", "/a%2Fb", "/métriques", "/a\x00"} {
		cases = append(cases, struct {
			name  string
			files map[string]string
			env   map[string]string
			want  string
		}{"metrics.path " + p, map[string]string{"default.json": `{"port":1,"storage":"memory","dataDir":"d","database":"p","logLevel":"info","bodyLimit":1,"metrics":{"enabled":true,"path":` + strconv.Quote(p) + `}}`}, nil, "metrics.path"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range tc.env {
				e[k] = v
			}
			if _, ok := e["CONFIG_DIR"]; !ok {
				e["CONFIG_DIR"] = writeDir(t, tc.files)
			}
			_, err := Load(env(e))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// Every environment's file is built into the binary: started without its
// configuration directory, it loads what the repository's files say, and
// says that it used the built-in ones.
func TestBuiltInFiles(t *testing.T) {
	for _, e := range []string{"development", "test", "production"} {
		want, err := Load(env(map[string]string{"CONFIG_DIR": ".", "APP_ENV": e}))
		if err != nil {
			t.Fatal(err)
		}
		wd, _ := os.Getwd()
		t.Chdir(t.TempDir())
		got, err := Load(env(map[string]string{"APP_ENV": e}))
		os.Chdir(wd)
		if err != nil {
			t.Fatalf("APP_ENV=%s: %v", e, err)
		}
		if got.Dir != "" || len(got.Warnings) == 0 || !strings.Contains(got.Warnings[len(got.Warnings)-1], "built into the binary") {
			t.Errorf("APP_ENV=%s: dir %q, warnings %q", e, got.Dir, got.Warnings)
		}
		if want.Sources[0] != "default.json" || !slices.Equal(got.Sources[:1], []string{"built-in default.json"}) {
			t.Errorf("APP_ENV=%s: sources %q (repository: %q)", e, got.Sources, want.Sources)
		}
		want.Dir, want.Sources, want.Warnings = "", got.Sources, got.Warnings
		if !reflect.DeepEqual(got, want) {
			t.Errorf("APP_ENV=%s: built-in settings\n%+v\nwant the repository's\n%+v", e, got, want)
		}
	}
	if _, err := fs.Stat(builtIn, "production.json"); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	c, err := Load(env(map[string]string{"APP_ENV": "production"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Docs || c.Metrics.Enabled || len(c.Origins) != 0 || !slices.Equal(c.Sources, []string{"built-in default.json", "built-in production.json"}) {
		t.Errorf("built-in production: docs %v, metrics %v, origins %q, sources %q", c.Docs, c.Metrics.Enabled, c.Origins, c.Sources)
	}
}

// Origins as browsers send them, and random secrets, are accepted.
func TestOriginsAndSecrets(t *testing.T) {
	good := `{"port":1,"storage":"memory","dataDir":"d","database":"p","logLevel":"info","bodyLimit":1,"paginate":{"default":1,"max":1}}`
	dir := writeDir(t, map[string]string{"default.json": good})
	c, err := Load(env(map[string]string{"CONFIG_DIR": dir, "ORIGINS": "*, https://app.example, http://localhost:5173, http://[::1]:8080",
		"AUTH_SECRET": "3f1c9a0b7e2d4c6f8a1b3c5d7e9f0a2b"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Origins) != 4 {
		t.Errorf("origins %q", c.Origins)
	}
}

// A metrics path of its own is accepted; "/" only on the metrics' own
// listener.
func TestMetricsPaths(t *testing.T) {
	for _, tc := range []struct {
		path, addr string
	}{{"/metrics", ""}, {"/internal/metrics", ""}, {"/m-1_2.3~", ""}, {"/", "127.0.0.1:9464"}, {"/metrics", "127.0.0.1:9464"}} {
		dir := writeDir(t, map[string]string{"default.json": `{"port":1,"storage":"memory","dataDir":"d","database":"p","logLevel":"info","bodyLimit":1,"paginate":{"default":1,"max":1},"metrics":{"enabled":true,"path":` + strconv.Quote(tc.path) + `,"addr":` + strconv.Quote(tc.addr) + `}}`})
		if _, err := Load(env(map[string]string{"CONFIG_DIR": dir})); err != nil {
			t.Errorf("path %q, addr %q: %v", tc.path, tc.addr, err)
		}
	}
}

// TestStorage checks how the storage is chosen: the embedded SQLite store
// unless a MongoDB URL is given, whatever an older configuration says.
func TestStorage(t *testing.T) {
	cases := []struct {
		name, storage, url, want, sync string
		warned                         bool
	}{
		{"default", "", "", "sqlite", "full", false},
		{"default with a url", "", "mongodb://db/chat", "mongodb", "full", false},
		{"mongodb with a url", "mongodb", "mongodb://db/chat", "mongodb", "full", false},
		{"mongodb without a url (an older configuration)", "mongodb", "", "sqlite", "full", true},
		{"sqlite despite a url", "sqlite", "mongodb://db/chat", "sqlite", "full", false},
		{"memory", "memory", "", "memory", "full", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(map[string]string{"CONFIG_DIR": ".", "STORAGE": tc.storage, "MONGODB_URL": tc.url}))
			if err != nil {
				t.Fatal(err)
			}
			if c.Storage != tc.want || c.SQLite.Synchronous != tc.sync || (len(c.Warnings) > 0) != tc.warned {
				t.Errorf("storage %q, synchronous %q, warnings %q; want %q, %q, warned %v", c.Storage, c.SQLite.Synchronous, c.Warnings, tc.want, tc.sync, tc.warned)
			}
		})
	}
	c, err := Load(env(map[string]string{"CONFIG_DIR": ".", "SQLITE_SYNCHRONOUS": "NORMAL"}))
	if err != nil || c.SQLite.Synchronous != "normal" {
		t.Errorf("SQLITE_SYNCHRONOUS=NORMAL: %v %v", c, err)
	}
}

func TestRepositoryFilesLoad(t *testing.T) {
	for _, e := range []string{"development", "test", "production"} {
		if _, err := Load(env(map[string]string{"CONFIG_DIR": ".", "APP_ENV": e})); err != nil {
			t.Errorf("APP_ENV=%s: %v", e, err)
		}
	}
}

func TestMetricsAndDatabaseTimeouts(t *testing.T) {
	load := func(m map[string]string) (*Config, error) {
		m["CONFIG_DIR"] = "."
		return Load(env(m))
	}
	c, err := load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Metrics.Enabled || c.Metrics.Addr != "" || c.Metrics.Path != "/metrics" {
		t.Errorf("development metrics %+v", c.Metrics)
	}
	if c.DatabaseTimeouts.Call != Duration(DefaultCallTimeout) || c.DatabaseTimeouts.Ready != Duration(DefaultReadyTimeout) ||
		c.DatabaseTimeouts.Startup != Duration(DefaultStartupTimeout) {
		t.Errorf("database timeouts %+v", c.DatabaseTimeouts)
	}
	prod := map[string]string{"APP_ENV": "production"}
	if c, err = load(prod); err != nil || c.Metrics.Enabled {
		t.Errorf("production metrics %+v, %v", c.Metrics, err)
	}
	prod["METRICS_ADDR"] = "127.0.0.1:9464"
	if c, err = load(prod); err != nil || !c.Metrics.Enabled || c.Metrics.Addr != "127.0.0.1:9464" {
		t.Errorf("METRICS_ADDR: %+v, %v", c.Metrics, err)
	}
	if c, err = load(map[string]string{"METRICS": "false"}); err != nil || c.Metrics.Enabled {
		t.Errorf("METRICS=false: %+v, %v", c.Metrics, err)
	}
	if _, err = load(map[string]string{"METRICS": "maybe"}); err == nil || !strings.Contains(err.Error(), "METRICS") {
		t.Errorf("METRICS=maybe: %v", err)
	}
}
