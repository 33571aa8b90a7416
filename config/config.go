// Package config loads Pinion's layered configuration: config/default.json, then
// config/<APP_ENV>.json, then environment variables, each layer overriding the one
// before. Objects merge key by key; any other value replaces.
//
// The directory is CONFIG_DIR, default ./config. When CONFIG_DIR is not set
// and ./config holds no default.json (a binary started elsewhere), the files
// compiled into the binary are used instead, default.json and the
// environment's own (production.json in production), so that a binary started
// anywhere runs with its environment's settings. Config.Sources says which
// files were read, for the server to log at start.
//
// Each file is one JSON object of the settings below, each key spelled as
// documented (keys are case-sensitive, as in Feathers' node-config) and set
// once; a key that is no setting, a value of the wrong type, or a file that
// is not an object is an error naming the file and the setting's path.
// encoding/json alone would match "Origins" to origins, keep the last of a
// key set twice, and read a file of null as no settings: each time, the
// server would run with settings other than the ones its files show.
//
// A production start reads production.json: a configuration directory
// without one is an error, never a production server on development
// settings (public metrics and docs, any origin).
package config

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
)

// builtIn holds every environment's file, for a binary started without its
// configuration directory.
//
//go:embed *.json
var builtIn embed.FS

// ErrInvalid marks configuration errors, which the server reports with exit
// status 2. Errors from Load wrap it; Invalid wraps errors found elsewhere.
var ErrInvalid = errors.New("invalid configuration")

// Invalid marks err as a configuration error.
func Invalid(err error) error {
	if err == nil || errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

// Config is the server configuration.
type Config struct {
	// Env is APP_ENV: "development" (default), "test" or "production".
	Env string `json:"-"`
	// Dir is the directory the files were read from ("" when the files
	// compiled into the binary were used).
	Dir string `json:"-"`
	// Sources are the files the configuration was read from, in order: a
	// path for a file of Dir, "built-in <name>" for one compiled into the
	// binary.
	Sources []string `json:"-"`

	Host string `json:"host"`
	Port int    `json:"port"`
	// Storage is "sqlite" (the embedded store: one SQLite file in DataDir),
	// "mongodb" (the MongoDB at MongoDBURL) or "memory" (nothing persists; for
	// demos and benchmarks). Left empty, the default, it is "mongodb" when
	// MongoDBURL is set and "sqlite" otherwise; Load resolves it. "mongodb"
	// without MongoDBURL, which used to start an embedded MongoDB-compatible
	// store, is "sqlite" with a warning (see Warnings).
	Storage string `json:"storage"`
	// MongoDBURL selects an external MongoDB.
	MongoDBURL string `json:"mongodbUrl"`
	// SQLite configures the embedded store.
	SQLite SQLite `json:"sqlite"`
	// NATSURL, when set, shares service events with the other instances
	// connected to the same NATS (see package cluster).
	NATSURL string `json:"natsUrl"`
	// Database is the database name used when MongoDBURL names none.
	Database string `json:"database"`
	// DataDir holds the embedded store's file (pinion.db) and generated
	// secrets.
	DataDir  string `json:"dataDir"`
	LogLevel string `json:"logLevel"`
	// Origins allowed for CORS and socket handshakes; "*" allows any.
	Origins []string `json:"origins"`
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For names the client. None by default: the client address,
	// which login throttling counts by, is then the peer's and cannot be forged.
	TrustedProxies []string `json:"trustedProxies"`
	BodyLimit      int64    `json:"bodyLimit"`
	// Paginate is the services' pagination: 1 <= default <= max <=
	// MaxPageSize. It is required: without a maximum, one request could
	// read a whole collection.
	Paginate pinion.Paginate `json:"paginate"`
	// Timeouts bound how long a client may take to send a request and how
	// long an idle keep-alive connection stays open.
	Timeouts Timeouts `json:"timeouts"`
	// Docs serves the OpenAPI document at /openapi.json and a reference of
	// it at /docs/ (on by default, off in production).
	Docs bool `json:"docs"`
	// Sockets bound what may wait to be written to one socket.io client
	// before it is disconnected as too slow (0: the transport's defaults, 8
	// MiB and 8192 packets).
	Sockets Sockets `json:"sockets"`
	// Metrics say whether and where the Prometheus metrics are served.
	Metrics Metrics `json:"metrics"`
	// DatabaseTimeouts bound what waits for the database.
	DatabaseTimeouts DatabaseTimeouts `json:"databaseTimeouts"`
	// Realtime is the event history kept for clients that come back, how
	// events are shared between instances, and presence.
	Realtime Realtime `json:"realtime"`
	// Authentication is the "authentication" object, decoded by the authentication
	// package; kept raw here so this package does not depend on it.
	Authentication json.RawMessage `json:"authentication,omitempty"`
	// AuthSecret is AUTH_SECRET, which overrides authentication.secret.
	AuthSecret string `json:"-"`
	// Warnings are what Load accepted but found outdated, for the server to
	// log.
	Warnings []string `json:"-"`
}

// SQLite configures the embedded store.
type SQLite struct {
	// Synchronous is "full" (the default: an acknowledged write survives a
	// power cut, for an fsync per commit) or "normal" (it survives the end of
	// the process at any moment, kill -9 included, but a power cut or kernel
	// crash may lose the last commits; never the file's integrity).
	// SQLITE_SYNCHRONOUS overrides it.
	Synchronous string `json:"synchronous"`
}

// Timeouts are the HTTP server's limits on slow clients, as Go durations
// ("10s", "2m").
type Timeouts struct {
	// ReadHeader is the time to send a request's headers.
	ReadHeader Duration `json:"readHeader"`
	// Body is the time to send a request's body, from the end of its
	// headers: a client that sends a byte a second holds no connection
	// longer. It does not apply to WebSocket upgrades.
	Body Duration `json:"body"`
	// Idle is how long a keep-alive connection waits for its next request.
	Idle Duration `json:"idle"`
}

// Default timeouts, for settings a configuration leaves out (or sets to 0).
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultBodyTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
)

func (t *Timeouts) applyDefaults() {
	for _, d := range []struct {
		v   *Duration
		def time.Duration
	}{{&t.ReadHeader, DefaultReadHeaderTimeout}, {&t.Body, DefaultBodyTimeout}, {&t.Idle, DefaultIdleTimeout}} {
		if *d.v == 0 {
			*d.v = Duration(d.def)
		}
	}
}

// Sockets are the limits of one socket.io client's outgoing queue.
type Sockets struct {
	MaxQueuedBytes   int `json:"maxQueuedBytes"`
	MaxQueuedPackets int `json:"maxQueuedPackets"`
}

// Metrics say whether and where GET /metrics is served. Enabled by default
// on the main server; off in production (config/production.json) unless
// METRICS_ADDR or METRICS=true turns it on: the figures (services, routes,
// login outcomes) are for the operator, not for every client. Addr serves
// them on a listener of their own, e.g. "127.0.0.1:9464" or a private
// interface that the scraper reaches and the public does not.
type Metrics struct {
	Enabled bool   `json:"enabled"`
	Addr    string `json:"addr"`
	Path    string `json:"path"`
}

// DatabaseTimeouts bound what waits for the database, as Go durations.
type DatabaseTimeouts struct {
	// Call bounds each service call: past it, a call answers 503
	// Unavailable instead of waiting for a database that does not answer.
	Call Duration `json:"call"`
	// Ready bounds the readiness check (GET /readyz answers 503 past it).
	Ready Duration `json:"ready"`
	// Startup bounds how long the server waits for the database at
	// start-up, retrying with backoff, before it gives up.
	Startup Duration `json:"startup"`
	// IdempotencyKeys is how long the idempotency keys of writes are kept
	// (see pinion.WithIdempotency): a retry with a key older than that
	// writes again.
	IdempotencyKeys Duration `json:"idempotencyKeys"`
}

// Default database timeouts, for settings a configuration leaves out.
const (
	DefaultCallTimeout     = 5 * time.Second
	DefaultReadyTimeout    = time.Second
	DefaultStartupTimeout  = time.Minute
	DefaultIdempotencyKeys = 24 * time.Hour
)

func (t *DatabaseTimeouts) applyDefaults() {
	for _, d := range []struct {
		v   *Duration
		def time.Duration
	}{{&t.Call, DefaultCallTimeout}, {&t.Ready, DefaultReadyTimeout}, {&t.Startup, DefaultStartupTimeout}, {&t.IdempotencyKeys, DefaultIdempotencyKeys}} {
		if *d.v == 0 {
			*d.v = Duration(d.def)
		}
	}
}

// Realtime configures history, recovery, sharing and presence.
type Realtime struct {
	// History bounds the events kept for recovery (in memory, and in the
	// JetStream stream with several instances): MaxEvents (default 1000;
	// -1 keeps none), MaxAge (default "5m"), MaxBytes (default 16 MiB),
	// MaxReplay (default MaxEvents).
	History struct {
		MaxEvents int      `json:"maxEvents"`
		MaxAge    Duration `json:"maxAge"`
		MaxBytes  int      `json:"maxBytes"`
		MaxReplay int      `json:"maxReplay"`
	} `json:"history"`
	// JetStream is "auto" (JetStream when the NATS server has it), "on" or
	// "off" (NATS core: at most once). NATS_JETSTREAM sets it.
	JetStream string `json:"jetstream"`
	// PresenceInterval is how often an instance shares its presence, and
	// PresenceTimeout how long another's lasts without news (defaults 5s
	// and 15s).
	PresenceInterval Duration `json:"presenceInterval"`
	PresenceTimeout  Duration `json:"presenceTimeout"`
}

// HistoryOptions are the core's history bounds.
func (r Realtime) HistoryOptions() pinion.HistoryOptions {
	h := r.History
	return pinion.HistoryOptions{MaxEvents: h.MaxEvents, MaxAge: time.Duration(h.MaxAge), MaxBytes: h.MaxBytes, MaxReplay: h.MaxReplay}
}

// Duration is a time.Duration written as Go text in JSON ("30s").
type Duration time.Duration

// UnmarshalJSON reads Go duration text.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"30s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %s (use e.g. \"10s\", \"2m\")", quote(s))
	}
	*d = Duration(v)
	return nil
}

// Production reports whether APP_ENV is production.
func (c *Config) Production() bool { return c.Env == "production" }

// Addr is the listen address: Host and Port, an IPv6 host in brackets.
func (c *Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Level returns the slog level of LogLevel.
func (c *Config) Level() slog.Level {
	var l slog.Level
	l.UnmarshalText([]byte(c.LogLevel)) // validated by Load
	return l
}

// Load reads the configuration. getenv is os.Getenv in production and a map lookup
// in tests. Every problem is reported in one error that names the file or
// variable at fault.
func Load(getenv func(string) string) (*Config, error) {
	c, err := load(getenv)
	return c, Invalid(err)
}

func load(getenv func(string) string) (*Config, error) {
	env := getenv("APP_ENV")
	if env == "" {
		env = "development"
	}
	switch env {
	case "development", "test", "production": // it names a file: nothing else
	default:
		return nil, fmt.Errorf("config: APP_ENV=%s: want development, test or production", quote(env))
	}
	dir := getenv("CONFIG_DIR")
	if dir == "" {
		dir = "config"
	}
	var files fs.FS = os.DirFS(dir)
	if _, err := fs.Stat(files, "default.json"); errors.Is(err, fs.ErrNotExist) && getenv("CONFIG_DIR") == "" {
		files, dir = builtIn, ""
	}
	name := func(file string) string {
		if dir == "" {
			return "built-in " + file
		}
		return filepath.Join(dir, file)
	}
	merged := map[string]any{}
	var sources []string
	for _, file := range []string{"default.json", env + ".json"} {
		b, err := readFile(files, file)
		switch {
		case errors.Is(err, fs.ErrNotExist) && file == "production.json":
			return nil, fmt.Errorf("config: APP_ENV=production but %s does not exist: a production server needs its settings (metrics and docs off, the allowed origins); add the file, or use the built-in one by setting no CONFIG_DIR and having no ./config", name(file))
		case errors.Is(err, fs.ErrNotExist) && file != "default.json":
			continue // an environment without settings of its own
		case err != nil:
			return nil, fmt.Errorf("config: %s: %w", name(file), err)
		}
		if err := mergeFile(merged, b, name(file)); err != nil {
			return nil, err
		}
		sources = append(sources, name(file))
	}
	b, _ := json.Marshal(merged)
	c := &Config{Env: env, Dir: dir, Sources: sources}
	if dir == "" {
		c.Warnings = append(c.Warnings, "no ./config/default.json: using the settings built into the binary ("+strings.Join(sources, ", ")+"); set CONFIG_DIR to use files of your own")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("config: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := c.applyEnv(getenv); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	c.Timeouts.applyDefaults()
	c.DatabaseTimeouts.applyDefaults()
	if c.Metrics.Path == "" {
		c.Metrics.Path = "/metrics"
	}
	return c, nil
}

// mergeFile checks the file b, named name, and merges it into dst.
func mergeFile(dst map[string]any, b []byte, name string) error {
	src, err := parseObject(b)
	if err != nil {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	if errs := checkKeys(src, reflect.TypeFor[Config](), ""); len(errs) > 0 {
		return fmt.Errorf("config: %s: %w", name, errors.Join(errs...))
	}
	if err := merge(dst, src, ""); err != nil {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	return nil
}

// applyEnv applies the environment overrides.
func (c *Config) applyEnv(getenv func(string) string) error {
	set := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set("HOST", &c.Host)
	set("STORAGE", &c.Storage)
	set("MONGODB_URL", &c.MongoDBURL)
	set("SQLITE_SYNCHRONOUS", &c.SQLite.Synchronous)
	set("NATS_URL", &c.NATSURL)
	set("NATS_JETSTREAM", &c.Realtime.JetStream)
	set("DATA_DIR", &c.DataDir)
	set("LOG_LEVEL", &c.LogLevel)
	set("AUTH_SECRET", &c.AuthSecret)
	if v := getenv("METRICS_ADDR"); v != "" {
		c.Metrics.Addr, c.Metrics.Enabled = v, true
	}
	if v := getenv("METRICS"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("config: METRICS=%s: want true or false", quote(v))
		}
		c.Metrics.Enabled = on
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("config: PORT=%s is not a port number", quote(v))
		}
		c.Port = p
	}
	if v := getenv("ORIGINS"); v != "" {
		c.Origins = list(v)
	}
	if v := getenv("TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = list(v)
	}
	return nil
}

// list splits a comma-separated environment value.
func list(v string) []string {
	var out []string
	for o := range strings.SplitSeq(v, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func (c *Config) validate() error {
	var errs []error
	switch c.Env {
	case "development", "test", "production":
	default:
		errs = append(errs, fmt.Errorf("APP_ENV=%s: want development, test or production", quote(c.Env)))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d is out of range 0-65535", c.Port))
	}
	if c.Host != "" && !hostName(c.Host) {
		errs = append(errs, fmt.Errorf("host %s (HOST): want an IP address or a host name, without brackets or a port (PORT sets the port)", quote(c.Host)))
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("logLevel %s (LOG_LEVEL): want debug, info, warn or error", quote(c.LogLevel)))
	}
	switch c.Storage {
	case "":
		c.Storage = "sqlite"
		if c.MongoDBURL != "" {
			c.Storage = "mongodb"
		}
	case "mongodb":
		if c.MongoDBURL == "" {
			c.Storage = "sqlite"
			c.Warnings = append(c.Warnings, "storage \"mongodb\" without MONGODB_URL: using the embedded store, which is SQLite now (storage \"sqlite\", the default); data of the former embedded store is migrated")
		}
	case "sqlite", "memory":
	default:
		errs = append(errs, fmt.Errorf("storage %s (STORAGE): want sqlite, mongodb or memory", quote(c.Storage)))
	}
	switch c.SQLite.Synchronous = strings.ToLower(c.SQLite.Synchronous); c.SQLite.Synchronous {
	case "":
		c.SQLite.Synchronous = "full"
	case "full", "normal":
	default:
		errs = append(errs, fmt.Errorf("sqlite.synchronous %s (SQLITE_SYNCHRONOUS): want full or normal", quote(c.SQLite.Synchronous)))
	}
	if c.Storage == "sqlite" && c.DataDir == "" {
		errs = append(errs, errors.New("dataDir is empty: the embedded store (storage sqlite) needs a directory"))
	}
	if c.MongoDBURL != "" && !strings.HasPrefix(c.MongoDBURL, "mongodb://") && !strings.HasPrefix(c.MongoDBURL, "mongodb+srv://") {
		errs = append(errs, errors.New("MONGODB_URL must start with mongodb:// or mongodb+srv://"))
	}
	if c.NATSURL != "" && !strings.HasPrefix(c.NATSURL, "nats://") && !strings.HasPrefix(c.NATSURL, "tls://") {
		errs = append(errs, errors.New("NATS_URL must start with nats:// or tls://"))
	}
	if c.Database == "" {
		errs = append(errs, errors.New("database is empty"))
	}
	for _, p := range c.TrustedProxies {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				errs = append(errs, fmt.Errorf("trustedProxies: %s is neither an IP address nor a CIDR", quote(p)))
			}
			continue
		}
		if prefix.Bits() == 0 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("trustedProxies %q trusts every client's X-Forwarded-For: any client can name the address that login throttling counts by; list the proxies' own addresses", p))
		}
	}
	if t := c.Timeouts; t.ReadHeader < 0 || t.Body < 0 || t.Idle < 0 {
		errs = append(errs, fmt.Errorf("timeouts {readHeader, body, idle} must not be negative"))
	}
	if c.Sockets.MaxQueuedBytes < 0 || c.Sockets.MaxQueuedPackets < 0 {
		errs = append(errs, fmt.Errorf("sockets {maxQueuedBytes, maxQueuedPackets} must not be negative"))
	}
	if t := c.DatabaseTimeouts; t.Call < 0 || t.Ready < 0 || t.Startup < 0 || t.IdempotencyKeys < 0 {
		errs = append(errs, fmt.Errorf("databaseTimeouts {call, ready, startup, idempotencyKeys} must not be negative"))
	}
	if a := c.Metrics.Addr; a != "" {
		if err := checkAddr(a); err != nil {
			errs = append(errs, fmt.Errorf("metrics.addr %s (METRICS_ADDR): %w", quote(a), err))
		}
	}
	if p := c.Metrics.Path; p != "" {
		if err := checkMetricsPath(p, c.Metrics.Addr != ""); err != nil {
			errs = append(errs, err)
		}
	}
	if err := checkSecret("AUTH_SECRET", c.AuthSecret); err != nil {
		errs = append(errs, err)
	}
	var auth struct {
		Secret string `json:"secret"`
	}
	if json.Unmarshal(c.Authentication, &auth) == nil {
		if err := checkSecret("authentication.secret", auth.Secret); err != nil {
			errs = append(errs, err)
		}
	}
	for _, o := range c.Origins {
		if err := checkOrigin(o); err != nil {
			errs = append(errs, err)
		}
	}
	switch c.Realtime.JetStream {
	case "", "auto", "on", "off":
	default:
		errs = append(errs, fmt.Errorf("realtime.jetstream %s (NATS_JETSTREAM): want auto, on or off", quote(c.Realtime.JetStream)))
	}
	if r := c.Realtime; r.History.MaxEvents < -1 || r.History.MaxAge < 0 || r.History.MaxBytes < 0 || r.History.MaxReplay < 0 ||
		r.PresenceInterval < 0 || r.PresenceTimeout < 0 {
		errs = append(errs, fmt.Errorf("realtime: negative limits"))
	}
	if c.BodyLimit <= 0 {
		errs = append(errs, fmt.Errorf("bodyLimit %d must be positive", c.BodyLimit))
	}
	if p := c.Paginate; p.Default < 1 || p.Max < p.Default || p.Max > MaxPageSize {
		errs = append(errs, fmt.Errorf("paginate {default: %d, max: %d}: want 1 <= default <= max <= %d (without a maximum, one request reads a whole collection)", p.Default, p.Max, MaxPageSize))
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// MaxPageSize is the largest paginate.max: a page of more records is a
// whole collection in one request for any table a chat server keeps.
const MaxPageSize = 10000

// quote quotes a value for an error message, cut short when long: an
// environment variable can hold megabytes, which the log need not repeat.
func quote(v string) string {
	const max = 64
	if len(v) > max {
		return strconv.Quote(strings.ToValidUTF8(v[:max], "")) + fmt.Sprintf("… (%d bytes)", len(v))
	}
	return strconv.Quote(v)
}

// checkAddr checks a listen address: host:port, the host an IP address, a
// name or empty (every interface), the port a number.
func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return errors.New("want host:port, e.g. \"127.0.0.1:9464\"")
	}
	if host != "" && !hostName(host) {
		return fmt.Errorf("%s is neither an IP address nor a host name", quote(host))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %s: want a number from 0 to 65535", quote(port))
	}
	return nil
}

// checkMetricsPath checks metrics.path: "/" then segments of letters,
// digits and "-._~", none of them "." or "..", as a route of the HTTP
// servers matches it literally (":" and "*" would make a route pattern,
// "%", "?" and "#" never match a request's path). "/" alone would take every
// request of the server; it is allowed on a listener of the metrics' own
// (ownListener). Whether the path collides with one of the app's routes is
// checked where the routes are known (package serve).
func checkMetricsPath(p string, ownListener bool) error {
	if p == "/" && ownListener {
		return nil
	}
	if p == "/" {
		return fmt.Errorf("metrics.path \"/\" would take every request of the server: name a path of its own, such as \"/metrics\" (or serve the metrics on metrics.addr)")
	}
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("metrics.path %q must start with /", p)
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." || strings.IndexFunc(seg, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
		}) >= 0 {
			return fmt.Errorf("metrics.path %q: want /name or /name/name…, names of letters, digits and -._~", p)
		}
	}
	return nil
}

// minSecretSymbols is the fewest distinct characters a secret may have: a
// random one of 32 bytes or more has many more (hex has 16 symbols); a
// secret of spaces, or of one character repeated, is a placeholder.
const minSecretSymbols = 8

// checkSecret refuses a set secret that is blank or a placeholder (fewer
// than minSecretSymbols distinct characters). The authentication package
// checks its length.
func checkSecret(name, secret string) error {
	if secret == "" {
		return nil
	}
	if strings.TrimSpace(secret) == "" {
		return fmt.Errorf("%s is blank: set it to a random string of at least 32 bytes, e.g. $(openssl rand -hex 32)", name)
	}
	symbols := map[rune]bool{}
	for _, r := range secret {
		symbols[r] = true
	}
	if len(symbols) < minSecretSymbols {
		return fmt.Errorf("%s has only %d distinct characters: set it to a random string of at least 32 bytes, e.g. $(openssl rand -hex 32)", name, len(symbols))
	}
	return nil
}

// checkOrigin checks an entry of origins: "*", or an origin as browsers
// send it in the Origin header (http or https, a lower-case host, a port
// only when it is not the scheme's default, nothing after), which is what
// it is compared with, byte for byte. "null" is refused: it is the origin
// of sandboxed frames and of file: and data: pages, which any site can
// open.
func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	if o == "null" {
		return errors.New(`origins: "null" is the origin of sandboxed frames and file: pages, which any site can make: list the origins of your pages`)
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" || !hostName(u.Hostname()) {
		return fmt.Errorf("origins: %s is not an origin: want \"*\" or scheme://host[:port], e.g. \"https://chat.example.com\"", quote(o))
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	want := u.Scheme + "://" + host
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("origins: %s: port %s is out of range 1-65535", quote(o), p)
		}
		if !(u.Scheme == "http" && n == 80 || u.Scheme == "https" && n == 443) {
			want += ":" + strconv.Itoa(n)
		}
	}
	if o != want {
		return fmt.Errorf("origins: %s is not written as browsers send it: want %q (no path, no trailing slash, no default port, a lower-case host)", quote(o), want)
	}
	return nil
}

// hostName reports whether h is an IP address or a DNS name (letters,
// digits, "-" and ".", at most 253 bytes in labels of at most 63), not a
// pattern such as "*.example.com", which origins do not support.
func hostName(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if len(label) > 63 {
			return false
		}
	}
	return strings.IndexFunc(h, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) < 0
}
