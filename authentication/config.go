package authentication

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MinSecretLength is the shortest accepted HS256 secret. RFC 7518 §3.2 asks for a
// key at least as long as the hash output (32 bytes).
const MinSecretLength = 32

// Config is the "authentication" configuration, with Feathers' names and defaults
// so that tokens interoperate with a Feathers deployment sharing the secret.
type Config struct {
	Secret string `json:"secret"`
	// Entity is the key of the authenticated record in results and params ("user").
	Entity string `json:"entity"`
	// Service is the path of the entity service ("users").
	Service string `json:"service"`
	// EntityID is the id field of the entity ("" means "_id", the MongoDB id).
	EntityID string `json:"entityId"`
	// AuthStrategies are the strategies POST /authentication accepts.
	AuthStrategies []string   `json:"authStrategies"`
	JWTOptions     JWTOptions `json:"jwtOptions"`
	Local          Local      `json:"local"`
	// Leeway tolerates clock skew between instances when checking exp and nbf.
	Leeway Duration `json:"leeway"`
	// EntityCache is how long a loaded user may be reused without reading it again.
	// Changes made through the entity service invalidate it at once; the bound
	// only matters for changes made behind Pinion's back. 0 disables the cache.
	EntityCache Duration `json:"entityCache"`
	Throttle    Throttle `json:"throttle"`
	// ExpiredConnections is what happens to a real-time connection whose token
	// expires or is revoked: "deauthenticate" (default: it stays connected,
	// anonymous, and receives an "authentication expired" or "authentication
	// revoked" event) or "disconnect" (Feathers' behaviour).
	ExpiredConnections string `json:"expiredConnections"`
	// Renewal, when positive, sends an authenticated real-time connection a
	// fresh access token that long before its token expires (event
	// "authentication renewed"), as SocketCluster renews tokens.
	Renewal Duration `json:"renewal"`
	Refresh Refresh  `json:"refresh"`
	Tickets Tickets  `json:"tickets"`
	Cookie  Cookie   `json:"cookie"`
	Webhook Webhook  `json:"webhook"`
	// MaxClaimsSize bounds, in bytes of JSON, the claims an access token
	// carries besides Pinion's own: those of WithClaims and of a hook's
	// params.Payload. A token travels with every request; a login whose
	// claims exceed the bound fails instead of issuing a huge header.
	MaxClaimsSize int `json:"maxClaimsSize"`
}

// Refresh configures refresh tokens: a local login also returns a refreshToken
// (header typ "refresh") that the "refresh" strategy trades for a new access
// token and a new refresh token.
type Refresh struct {
	Enabled   bool     `json:"enabled"`
	ExpiresIn Duration `json:"expiresIn"`
}

// Tickets configures single-use tickets for the plain WebSocket stream.
type Tickets struct {
	// ExpiresIn is a ticket's life: 10s by default, at most 60s.
	ExpiresIn Duration `json:"expiresIn"`
}

// Cookie configures the httpOnly cookie flow: a REST login also sets the token
// as a cookie the browser's scripts cannot read, and requests and socket
// handshakes carrying it are authenticated.
type Cookie struct {
	Enabled bool   `json:"enabled"`
	Name    string `json:"name"`
	// SameSite is "Lax" (default), "Strict" or "None".
	SameSite string `json:"sameSite"`
	// Secure is "auto" (set over TLS, as seen through X-Forwarded-Proto), "always" or "never".
	Secure string `json:"secure"`
}

// Webhook configures the "webhook" strategy: credentials are checked by POSTing
// them to an HTTP endpoint, as deepstream's HTTP authentication does.
type Webhook struct {
	URL                  string   `json:"url"`
	PermittedStatusCodes []int    `json:"permittedStatusCodes"`
	RequestTimeout       Duration `json:"requestTimeout"`
	// Retries are further attempts after a timeout or a connection failure.
	Retries    int      `json:"retries"`
	RetryDelay Duration `json:"retryDelay"`
}

// JWTOptions are the token settings, as Feathers' jwtOptions.
type JWTOptions struct {
	Header    JWTHeader `json:"header"`
	Audience  string    `json:"audience"`
	Issuer    string    `json:"issuer"`
	Algorithm string    `json:"algorithm"`
	ExpiresIn Duration  `json:"expiresIn"`
}

// JWTHeader holds the header fields set on issued tokens.
type JWTHeader struct {
	Typ string `json:"typ"`
}

// Local configures the local (username and password) strategy.
type Local struct {
	UsernameField string `json:"usernameField"`
	PasswordField string `json:"passwordField"`
	// HashSize is the bcrypt cost of new password hashes.
	HashSize     int    `json:"hashSize"`
	ErrorMessage string `json:"errorMessage"`
}

// Throttle limits failed logins, per account and per client address, within a
// sliding window. Zero limits disable that counter.
type Throttle struct {
	PerAccount int      `json:"perAccount"`
	PerAddress int      `json:"perAddress"`
	Window     Duration `json:"window"`
	// KnownClients is how long a host that logged in to an account stays
	// exempt from that account's lock-out (it gets a counter of its own
	// instead), so that others' wrong passwords do not lock the owner out.
	// 0 turns this off: the account's counter then applies to everyone.
	KnownClients Duration `json:"knownClients"`
}

// DefaultConfig returns Feathers' defaults (the generated-app configuration plus
// the issuer of the library defaults), without a secret.
func DefaultConfig() Config {
	return Config{
		Entity:         "user",
		Service:        "users",
		AuthStrategies: []string{"jwt", "local"},
		JWTOptions: JWTOptions{
			Header:    JWTHeader{Typ: "access"},
			Audience:  "https://yourdomain.com",
			Issuer:    "feathers",
			Algorithm: "HS256",
			ExpiresIn: Duration(24 * time.Hour),
		},
		Local:       Local{UsernameField: "email", PasswordField: "password", HashSize: 10, ErrorMessage: "Invalid login"},
		Leeway:      Duration(5 * time.Second),
		EntityCache: Duration(time.Minute),
		Throttle:    Throttle{PerAccount: 10, PerAddress: 100, Window: Duration(15 * time.Minute), KnownClients: Duration(30 * 24 * time.Hour)},

		ExpiredConnections: "deauthenticate",
		Refresh:            Refresh{ExpiresIn: Duration(30 * 24 * time.Hour)},
		Tickets:            Tickets{ExpiresIn: Duration(10 * time.Second)},
		Cookie:             Cookie{Name: "feathers-jwt", SameSite: "Lax", Secure: "auto"},
		Webhook:            Webhook{PermittedStatusCodes: []int{200}, RequestTimeout: Duration(2 * time.Second), Retries: 1, RetryDelay: Duration(100 * time.Millisecond)},
		MaxClaimsSize:      DefaultMaxClaimsSize,
	}
}

// ParseConfig decodes raw (the "authentication" object of the configuration, may be
// empty) over DefaultConfig and validates it. Unknown keys are errors, so a typo
// does not silently weaken security.
func ParseConfig(raw json.RawMessage) (Config, error) {
	c := DefaultConfig()
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, fmt.Errorf("authentication: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return c, c.Validate()
}

// Validate reports every problem of c. A missing secret is not one: see
// ResolveSecret.
func (c *Config) Validate() error {
	var errs []error
	if c.Secret != "" && len(c.Secret) < MinSecretLength {
		errs = append(errs, fmt.Errorf("the secret must be at least %d bytes long (it is %d)", MinSecretLength, len(c.Secret)))
	}
	if c.JWTOptions.Algorithm != "HS256" {
		errs = append(errs, fmt.Errorf("jwtOptions.algorithm %q: only HS256 is supported", c.JWTOptions.Algorithm))
	}
	if c.JWTOptions.ExpiresIn <= 0 {
		errs = append(errs, errors.New("jwtOptions.expiresIn must be positive"))
	}
	switch c.JWTOptions.Header.Typ {
	case "":
		errs = append(errs, errors.New("jwtOptions.header.typ must be set (Feathers uses \"access\")"))
	case TypeRefresh, TypeTicket:
		errs = append(errs, fmt.Errorf("jwtOptions.header.typ %q is the type of another kind of token", c.JWTOptions.Header.Typ))
	}
	if c.Entity != "" && c.Service == "" {
		errs = append(errs, errors.New("service must name the entity service"))
	}
	if c.Local.UsernameField == "" || c.Local.PasswordField == "" {
		errs = append(errs, errors.New("local.usernameField and local.passwordField must be set"))
	}
	if c.Local.HashSize < 4 || c.Local.HashSize > 31 {
		errs = append(errs, fmt.Errorf("local.hashSize %d: bcrypt costs range from 4 to 31", c.Local.HashSize))
	}
	if c.Leeway < 0 || c.Leeway > Duration(time.Minute) {
		errs = append(errs, errors.New("leeway must be between 0 and 1m"))
	}
	if c.Throttle.PerAccount < 0 || c.Throttle.PerAddress < 0 || c.Throttle.Window < 0 || c.Throttle.KnownClients < 0 {
		errs = append(errs, errors.New("throttle limits and window must not be negative"))
	}
	if (c.Throttle.PerAccount > 0 || c.Throttle.PerAddress > 0) && c.Throttle.Window <= 0 {
		errs = append(errs, errors.New("throttle.window must be positive when a limit is set"))
	}
	if c.Renewal < 0 || (c.Renewal > 0 && c.Renewal >= c.JWTOptions.ExpiresIn) {
		errs = append(errs, errors.New("renewal must be shorter than jwtOptions.expiresIn"))
	}
	if c.Refresh.Enabled && c.Refresh.ExpiresIn <= c.JWTOptions.ExpiresIn {
		errs = append(errs, errors.New("refresh.expiresIn must be longer than jwtOptions.expiresIn"))
	}
	if c.Tickets.ExpiresIn <= 0 || c.Tickets.ExpiresIn > Duration(time.Minute) {
		errs = append(errs, errors.New("tickets.expiresIn must be between 1s and 60s"))
	}
	switch c.Cookie.SameSite {
	case "Lax", "Strict", "None":
	default:
		errs = append(errs, fmt.Errorf("cookie.sameSite %q: want Lax, Strict or None", c.Cookie.SameSite))
	}
	switch c.Cookie.Secure {
	case "auto", "always", "never":
	default:
		errs = append(errs, fmt.Errorf("cookie.secure %q: want auto, always or never", c.Cookie.Secure))
	}
	if c.Cookie.Enabled && c.Cookie.Name == "" {
		errs = append(errs, errors.New("cookie.name must be set"))
	}
	if c.Webhook.URL != "" {
		if u, err := url.Parse(c.Webhook.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("webhook.url %q is not an http(s) URL", c.Webhook.URL))
		}
		if c.Webhook.RequestTimeout <= 0 || c.Webhook.Retries < 0 || c.Webhook.RetryDelay < 0 || len(c.Webhook.PermittedStatusCodes) == 0 {
			errs = append(errs, errors.New("webhook: requestTimeout must be positive, retries and retryDelay not negative, permittedStatusCodes not empty"))
		}
	}
	if c.MaxClaimsSize <= 0 {
		errs = append(errs, errors.New("maxClaimsSize must be positive"))
	}
	if c.ExpiredConnections != "deauthenticate" && c.ExpiredConnections != "disconnect" {
		errs = append(errs, fmt.Errorf("expiredConnections %q: want deauthenticate or disconnect", c.ExpiredConnections))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	return nil
}

// ResolveSecret makes sure c.Secret is usable. A configured secret (AUTH_SECRET or
// the configuration file) wins. Without one, production refuses to start, while
// development generates a random secret once and keeps it in dataDir, so tokens
// survive restarts; generated reports whether that happened, for a warning.
func (c *Config) ResolveSecret(production bool, dataDir string) (generated bool, err error) {
	if c.Secret != "" {
		if len(c.Secret) < MinSecretLength {
			return false, fmt.Errorf("authentication: the secret must be at least %d bytes long", MinSecretLength)
		}
		return false, nil
	}
	if production {
		return false, errors.New("authentication: AUTH_SECRET must be set in production")
	}
	name := filepath.Join(dataDir, "auth-secret")
	b, err := os.ReadFile(name)
	if err == nil && len(bytes.TrimSpace(b)) >= MinSecretLength {
		c.Secret = string(bytes.TrimSpace(b))
		return true, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("authentication: reading %s: %w", name, err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	c.Secret = hex.EncodeToString(key)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return false, fmt.Errorf("authentication: %w", err)
	}
	if err := os.WriteFile(name, []byte(c.Secret+"\n"), 0o600); err != nil {
		return false, fmt.Errorf("authentication: keeping the generated secret: %w", err)
	}
	return true, nil
}

// Duration is a time.Duration written as Feathers (the ms package) writes them:
// "1d", "2h", "30m", "10s", "500ms", or a number of seconds.
type Duration time.Duration

// ParseDuration reads the ms-package formats plus Go's own ("1h30m").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		// A bare number is milliseconds in ms(), but seconds in jsonwebtoken's
		// expiresIn; configuration numbers follow jsonwebtoken.
		return time.Duration(n * float64(time.Second)), nil
	}
	units := []struct {
		suffix string
		unit   time.Duration
	}{
		{"ms", time.Millisecond}, {"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour},
		{"y", 365*24*time.Hour + 6*time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
	}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			if n, err := strconv.ParseFloat(strings.TrimSpace(num), 64); err == nil {
				return time.Duration(n * float64(u.unit)), nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use e.g. \"1d\", \"2h\", \"30m\", \"10s\")", s)
	}
	return d, nil
}

// UnmarshalJSON accepts a string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		*d = Duration(x * float64(time.Second))
		return nil
	case string:
		p, err := ParseDuration(x)
		if err != nil {
			return err
		}
		*d = Duration(p)
		return nil
	}
	return fmt.Errorf("invalid duration %s", b)
}

// MarshalJSON writes the duration as Go text ("24h0m0s").
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
