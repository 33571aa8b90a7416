package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reviewBase is a complete, valid default.json for the review's attacks.
const reviewBase = `{"host":"","port":3030,"storage":"memory","dataDir":"d","database":"p","logLevel":"info","bodyLimit":1048576,
"origins":["*"],"docs":true,"paginate":{"default":10,"max":50},"metrics":{"enabled":true},
"authentication":{"entity":"user"}}`

// loadFiles loads a configuration directory of files with the variables
// vars (CONFIG_DIR set to the directory).
func loadFiles(t *testing.T, files map[string]string, vars map[string]string) (*Config, error) {
	t.Helper()
	e := map[string]string{"CONFIG_DIR": writeDir(t, files)}
	for k, v := range vars {
		e[k] = v
	}
	return Load(env(e))
}

// wantInvalid checks that err is a configuration error that mentions every
// one of want, and names no Go type.
func wantInvalid(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want an error mentioning %q", want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("%v: not ErrInvalid", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err = %v\nwant it to mention %q", err, w)
		}
	}
	for _, goType := range []string{"Go struct field", "of type", "config.Duration", "int64"} {
		if strings.Contains(err.Error(), goType) {
			t.Errorf("err = %v: names a Go type (%q)", err, goType)
		}
	}
}

// APP_ENV names a file: anything but the three environments is refused
// before a file is opened, so no value reads a file outside the
// configuration directory. (Attack held.)
func TestReviewConfigAppEnvAsPath(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "config")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "default.json"), []byte(reviewBase), 0o644)
	// A file outside the directory that would load, were APP_ENV followed.
	os.WriteFile(filepath.Join(root, "evil.json"), []byte(`{"origins":["https://evil.example"]}`), 0o644)
	abs := filepath.Join(root, "evil")
	for _, v := range []string{
		"../evil", abs, "/etc/passwd", "production\x00", "production\x00../evil", "production/", "production/../production",
		`..\evil`, "production\\", "..", ".", "prod/uction", "ｐｒｏｄｕｃｔｉｏｎ", "productіon" /* Cyrillic і */, "Production",
		" production", "production ", "production.json", "development.json", strings.Repeat("a", 1<<16), strings.Repeat("../", 1000) + "evil",
	} {
		c, err := Load(env(map[string]string{"CONFIG_DIR": dir, "APP_ENV": v}))
		if err == nil {
			t.Errorf("APP_ENV=%q accepted: origins %q", v, c.Origins)
			continue
		}
		wantInvalid(t, err, "APP_ENV")
		if len(err.Error()) > 1<<10 {
			t.Errorf("APP_ENV of %d bytes: an error of %d bytes", len(v), len(err.Error()))
		}
	}
	// Empty is the default environment, development.
	c, err := Load(env(map[string]string{"CONFIG_DIR": dir, "APP_ENV": ""}))
	if err != nil || c.Env != "development" {
		t.Errorf("APP_ENV empty: %v, %v", c, err)
	}
}

// CONFIG_DIR is a path by design; one that cannot be opened is an error
// naming it, never the built-in files. (Attack held.)
func TestReviewConfigDirUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte(reviewBase), 0o644)
	for _, dir := range []string{"a\x00b", file, "/nonexistent/pinion", strings.Repeat("x/", 3000)} {
		_, err := Load(env(map[string]string{"CONFIG_DIR": dir}))
		wantInvalid(t, err, "default.json")
	}
}

// A key in another case is no setting: encoding/json matched "Origins" to
// origins case-insensitively and, with "origins" also set by default.json,
// kept whichever it met last, so a production.json that said
// {"Origins": [...], "Docs": false} ran with default.json's "*" and docs on.
// (Finding: silent fallback to development settings.)
func TestReviewConfigKeyCase(t *testing.T) {
	for _, tc := range []struct {
		name, prod string
		want       []string
	}{
		{"origins", `{"Origins":["https://app.example"]}`, []string{"production.json", "Origins", `did you mean "origins"`}},
		{"docs", `{"Docs":false}`, []string{"production.json", "Docs", `"docs"`}},
		{"nested", `{"metrics":{"Enabled":false}}`, []string{"production.json", "metrics.Enabled", `"enabled"`}},
		{"all capitals", `{"PORT":8080}`, []string{"PORT", `"port"`}},
		{"authentication over another file's", `{"authentication":{"Entity":"account"}}`, []string{"production.json", "authentication.Entity", "authentication.entity"}},
		{"authentication, two cases in one file", `{"authentication":{"secret":"3f1c9a0b7e2d4c6f8a1b3c5d7e9f0a2b","Secret":"x"}}`, []string{"authentication.secret", "authentication.Secret", "differ only in case"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadFiles(t, map[string]string{"default.json": reviewBase, "production.json": tc.prod}, map[string]string{"APP_ENV": "production"})
			if err == nil {
				t.Fatalf("accepted: origins %q, docs %v, metrics %v, port %d", c.Origins, c.Docs, c.Metrics.Enabled, c.Port)
			}
			wantInvalid(t, err, tc.want...)
		})
	}
}

// A key set twice in one object is refused: encoding/json kept the last
// silently. (Finding.)
func TestReviewConfigDuplicateKeys(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"top level", `{"origins":["https://app.example"],"docs":false,"origins":["*"]}`, "origins is set twice"},
		{"nested", `{"metrics":{"enabled":false,"enabled":true}}`, "metrics.enabled is set twice"},
		{"authentication", `{"authentication":{"secret":"3f1c9a0b7e2d4c6f8a1b3c5d7e9f0a2b","secret":""}}`, "authentication.secret is set twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadFiles(t, map[string]string{"default.json": reviewBase, "production.json": tc.file}, map[string]string{"APP_ENV": "production"})
			wantInvalid(t, err, "production.json", tc.want)
		})
	}
}

// An environment's file must be one object: "null" was read as no
// settings, so a production.json of null ran production on development
// settings ("*", docs and metrics on). (Finding.)
func TestReviewConfigFileNotAnObject(t *testing.T) {
	for _, body := range []string{`null`, `[]`, `1`, `"x"`, `true`, `{} {}`, `{"docs":false} null`, ``, `{`, "{\n\"docs\": false,\n}"} {
		c, err := loadFiles(t, map[string]string{"default.json": reviewBase, "production.json": body}, map[string]string{"APP_ENV": "production"})
		if err == nil {
			t.Errorf("production.json %q accepted: origins %q, docs %v", body, c.Origins, c.Docs)
			continue
		}
		wantInvalid(t, err, "production.json")
	}
}

// Values of the wrong type are refused with the setting's path and what it
// wants, never a Go type name; a duration of the wrong type used to be
// reported without naming its setting at all. (Finding.)
func TestReviewConfigWrongTypes(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`{"port":"3030"}`, "port: want a whole number"},
		{`{"port":3030.5}`, "port: want a whole number"},
		{`{"port":1e3}`, "port: want a whole number"},
		{`{"port":null}`, "port is null"},
		{`{"port":true}`, "port: want a whole number"},
		{`{"port":99999999999999999999999}`, "port: 99999999999999999999999 is too large"},
		{`{"bodyLimit":"1MB"}`, "bodyLimit: want a whole number"},
		{`{"docs":"false"}`, "docs: want true or false"},
		{`{"docs":0}`, "docs: want true or false"},
		{`{"origins":"https://app.example"}`, "origins: want a list"},
		{`{"origins":["https://app.example",1]}`, "origins[1]: want a string"},
		{`{"metrics":true}`, "metrics: want an object"},
		{`{"metrics":null}`, "metrics is null"},
		{`{"timeouts":{"body":30}}`, "timeouts.body: a duration must be a string"},
		{`{"timeouts":{"body":null}}`, "timeouts.body is null"},
		{`{"timeouts":{"idle":"forever"}}`, "timeouts.idle: invalid duration"},
		{`{"databaseTimeouts":{"call":5000}}`, "databaseTimeouts.call: a duration must be a string"},
		{`{"realtime":{"history":{"maxAge":300}}}`, "realtime.history.maxAge: a duration must be a string"},
		{`{"paginate":{"max":"50"}}`, "paginate.max: want a whole number"},
		{`{"paginate":{"max":1e12}}`, "paginate.max: want a whole number"},
		{`{"sockets":{"maxQueuedBytes":-1.5}}`, "sockets.maxQueuedBytes: want a whole number"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": tc.file}, map[string]string{"APP_ENV": "test"})
			wantInvalid(t, err, "test.json", tc.want)
		})
	}
}

// Typos are refused, naming the file and the setting's path; nested ones
// too. (Held for the key, now with the file and the path: the decoder's
// error named neither.)
func TestReviewConfigUnknownKeys(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`{"prot":8080}`, "prot: unknown setting"},
		{`{"metrics":{"enabeld":false}}`, "metrics.enabeld: unknown setting"},
		{`{"paginate":{"maximum":5}}`, "paginate.maximum: unknown setting (known here: default, max)"},
		{`{"realtime":{"history":{"maxevents":5}}}`, `realtime.history.maxevents: keys are case-sensitive: did you mean "maxEvents"?`},
		{`{"authSecret":"x"}`, "authSecret: unknown setting"},
		{`{"env":"production"}`, "env: unknown setting"},
	} {
		_, err := loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": tc.file}, map[string]string{"APP_ENV": "test"})
		wantInvalid(t, err, "test.json", tc.want)
	}
}

// Very large and very deep files are refused with a message, without
// reading them whole or recursing without bound. (Finding for the size:
// a file of any size was read into memory.)
func TestReviewConfigLargeFiles(t *testing.T) {
	huge := `{"database":"p` + strings.Repeat(" ", 2<<20) + `"}`
	_, err := loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": huge}, map[string]string{"APP_ENV": "test"})
	wantInvalid(t, err, "test.json", "larger than 1024 KiB")

	deep := `{"metrics":` + strings.Repeat(`{"a":`, 100000) + `1` + strings.Repeat("}", 100001)
	_, err = loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": deep}, map[string]string{"APP_ENV": "test"})
	wantInvalid(t, err, "test.json", "nested more than")

	deepList := `{"origins":` + strings.Repeat(`[`, 100000) + strings.Repeat("]", 100000) + `}`
	_, err = loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": deepList}, map[string]string{"APP_ENV": "test"})
	wantInvalid(t, err, "test.json", "nested more than")

	// A large file of real settings still loads.
	many := `{"origins":["https://a.example"` + strings.Repeat(`,"https://a.example"`, 10000) + `]}`
	if c, err := loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": many}, map[string]string{"APP_ENV": "test"}); err != nil || len(c.Origins) != 10001 {
		t.Errorf("10001 origins: %v", err)
	}
}

// Environment overrides that do not parse, or name what cannot work, are
// refused with the variable's name. (PORT held; HOST and METRICS_ADDR are
// findings: "::1" made the listen address "::1:3030" and "0.0.0.0:80"
// made it "0.0.0.0:80:3030", and METRICS_ADDR=9464 was accepted, all
// three failing only when the server listened, with exit status 1.)
func TestReviewConfigEnvOverrides(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"PORT": "abc"}, `PORT="abc"`},
		{map[string]string{"PORT": "70000"}, "port 70000 is out of range"},
		{map[string]string{"PORT": "-1"}, "port -1 is out of range"},
		{map[string]string{"PORT": " 80"}, `PORT=" 80"`},
		{map[string]string{"PORT": "0x50"}, `PORT="0x50"`},
		{map[string]string{"PORT": "99999999999999999999"}, "PORT"},
		{map[string]string{"HOST": "0.0.0.0:80"}, `host "0.0.0.0:80" (HOST)`},
		{map[string]string{"HOST": "[::1]"}, `host "[::1]" (HOST)`},
		{map[string]string{"HOST": "http://localhost"}, "HOST"},
		{map[string]string{"HOST": "local host"}, "HOST"},
		{map[string]string{"METRICS_ADDR": "9464"}, `metrics.addr "9464" (METRICS_ADDR)`},
		{map[string]string{"METRICS_ADDR": "127.0.0.1:metrics"}, "METRICS_ADDR"},
		{map[string]string{"METRICS_ADDR": "127.0.0.1:70000"}, "METRICS_ADDR"},
		{map[string]string{"METRICS": "yes please"}, "METRICS"},
		{map[string]string{"LOG_LEVEL": "verbose"}, "logLevel"},
		{map[string]string{"ORIGINS": "https://app.example:99999"}, "port 99999 is out of range"},
		{map[string]string{"ORIGINS": "https://app.example:0443"}, `want "https://app.example"`},
		{map[string]string{"ORIGINS": "https://app.example:0"}, "port 0 is out of range"},
	} {
		_, err := loadFiles(t, map[string]string{"default.json": reviewBase}, tc.vars)
		wantInvalid(t, err, tc.want)
	}
	for host, addr := range map[string]string{"": ":3030", "0.0.0.0": "0.0.0.0:3030", "::1": "[::1]:3030", "::": "[::]:3030", "localhost": "localhost:3030"} {
		c, err := loadFiles(t, map[string]string{"default.json": reviewBase}, map[string]string{"HOST": host})
		if err != nil || c.Addr() != addr {
			t.Errorf("HOST=%q: %v, %v; want address %s", host, c, err, addr)
		}
	}
}

// Limits that would leave a collection readable in one request are
// refused: paginate.max 0 meant no maximum ($limit=1000000 read everything),
// and default 0 with max 0 no pagination at all. (Finding; negative values
// held.)
func TestReviewConfigPaginate(t *testing.T) {
	for _, p := range []string{`{"default":10,"max":0}`, `{"default":0,"max":0}`, `{"default":0,"max":50}`, `{"default":10,"max":-1}`,
		`{"default":-1,"max":50}`, `{"default":10,"max":1000000000000}`, `{"default":60,"max":50}`} {
		_, err := loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": `{"paginate":` + p + `}`}, map[string]string{"APP_ENV": "test"})
		wantInvalid(t, err, "paginate")
	}
	c, err := loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": `{"paginate":{"default":1,"max":10000}}`}, map[string]string{"APP_ENV": "test"})
	if err != nil || c.Paginate.Max != 10000 {
		t.Errorf("paginate 1..10000: %v", err)
	}
}

// Negative, zero and oversized limits elsewhere: negative ones are refused
// and zero means the documented default, never no limit. (Attack held.)
func TestReviewConfigLimits(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`{"bodyLimit":0}`, "bodyLimit 0 must be positive"},
		{`{"bodyLimit":-1}`, "bodyLimit -1 must be positive"},
		{`{"port":-1}`, "port -1 is out of range"},
		{`{"port":65536}`, "port 65536 is out of range"},
		{`{"timeouts":{"body":"-1s"}}`, "timeouts"},
		{`{"databaseTimeouts":{"call":"-5s"}}`, "databaseTimeouts"},
		{`{"sockets":{"maxQueuedBytes":-1}}`, "sockets"},
		{`{"realtime":{"history":{"maxEvents":-2}}}`, "realtime"},
	} {
		_, err := loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": tc.file}, map[string]string{"APP_ENV": "test"})
		wantInvalid(t, err, tc.want)
	}
	c, err := loadFiles(t, map[string]string{"default.json": reviewBase, "test.json": `{"timeouts":{"body":"0s","idle":"0s","readHeader":"0s"},"databaseTimeouts":{"call":"0s"}}`}, map[string]string{"APP_ENV": "test"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeouts.Body != Duration(DefaultBodyTimeout) || c.Timeouts.Idle != Duration(DefaultIdleTimeout) ||
		c.Timeouts.ReadHeader != Duration(DefaultReadHeaderTimeout) || c.DatabaseTimeouts.Call != Duration(DefaultCallTimeout) {
		t.Errorf("zero timeouts: %+v %+v; want the defaults", c.Timeouts, c.DatabaseTimeouts)
	}
}

// Secrets that are set but blank or placeholders are refused, whichever
// way they come; an empty one is no secret (the server generates one
// outside production and refuses to start in production: see
// cmd/server's TestReviewConfigServerExit2). (Attack held.)
func TestReviewConfigSecrets(t *testing.T) {
	for _, tc := range []struct {
		file string
		vars map[string]string
		want string
	}{
		{`{}`, map[string]string{"AUTH_SECRET": "                                        "}, "AUTH_SECRET is blank"},
		{`{}`, map[string]string{"AUTH_SECRET": strings.Repeat("ab", 20)}, "AUTH_SECRET has only 2 distinct characters"},
		{`{"authentication":{"secret":"` + strings.Repeat(`\n`, 40) + `"}}`, nil, "authentication.secret is blank"},
		{`{"authentication":{"secret":"` + strings.Repeat("x", 40) + `"}}`, nil, "authentication.secret has only 1 distinct"},
	} {
		_, err := loadFiles(t, map[string]string{"default.json": reviewBase, "production.json": tc.file}, merged(tc.vars, "APP_ENV", "production"))
		wantInvalid(t, err, tc.want)
	}
}

func merged(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// A trusted proxy range of every address lets any client choose the
// address that login throttling counts by (X-Forwarded-For): accepted, as
// some platforms give no proxy address, but never silently. (Finding:
// it was accepted without a word.)
func TestReviewConfigTrustEveryProxy(t *testing.T) {
	for _, p := range []string{"0.0.0.0/0", "::/0", "10.0.0.0/8, 0.0.0.0/0"} {
		c, err := loadFiles(t, map[string]string{"default.json": reviewBase}, map[string]string{"TRUSTED_PROXIES": p})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(c.Warnings, "\n"), "trusts every client's X-Forwarded-For") {
			t.Errorf("TRUSTED_PROXIES=%s: warnings %q", p, c.Warnings)
		}
	}
	c, err := loadFiles(t, map[string]string{"default.json": reviewBase}, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1"})
	if err != nil || len(c.Warnings) != 0 {
		t.Errorf("TRUSTED_PROXIES of private ranges: %v, warnings %q", err, c.Warnings)
	}
}

// A variable of a megabyte is not repeated whole in the error, whichever
// setting it is for. (Finding: APP_ENV, LOG_LEVEL, STORAGE, ORIGINS and
// the others were quoted whole.)
func TestReviewConfigLongValues(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	for _, name := range []string{"APP_ENV", "PORT", "HOST", "LOG_LEVEL", "STORAGE", "SQLITE_SYNCHRONOUS", "ORIGINS", "TRUSTED_PROXIES",
		"NATS_JETSTREAM", "METRICS", "METRICS_ADDR", "MONGODB_URL", "NATS_URL"} {
		_, err := loadFiles(t, map[string]string{"default.json": reviewBase}, map[string]string{name: long})
		if err == nil {
			t.Errorf("%s of 1 MiB accepted", name)
			continue
		}
		if len(err.Error()) > 1<<10 {
			t.Errorf("%s of 1 MiB: an error of %d bytes", name, len(err.Error()))
		}
	}
}
