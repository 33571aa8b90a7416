package pinion

import (
	"net/http"
	"strings"
	"unicode"
)

// Providers name where a call came from. Internal calls (one service calling another
// from Go) have an empty Provider; hooks such as authenticate and protect rely on
// that difference.
const (
	ProviderREST     = "rest"
	ProviderSocketIO = "socketio"
)

// Params carries everything about a call that is not its id or data.
type Params struct {
	// Query is the decoded query: string leaves over REST, JSON types over sockets.
	Query map[string]any
	// Provider is "rest", "socketio", or "" for internal calls.
	Provider string
	// Route holds the values of placeholders in the service path ("/:orgId/projects").
	Route map[string]string
	// Headers are the request (or socket handshake) headers.
	Headers http.Header
	// RemoteAddr is the client's address as the transport saw it.
	RemoteAddr string
	// Authentication is what the transport found in the request (for example a bearer
	// token) before it is verified, and the verified result after authentication.
	Authentication *Authentication
	// Authenticated is set once a hook verified Authentication; nested internal calls
	// can set it to skip verification.
	Authenticated bool
	// User is the authenticated entity, loaded by the authenticate hook.
	// Read it as the app's user type with an Identity (me.User(params),
	// me.ID(params)) rather than by its keys.
	User map[string]any
	// Connection is the real-time connection the call arrived on, if any.
	Connection *Connection
	// Paginate overrides the adapter's pagination for this call; a zero Paginate
	// turns pagination off.
	Paginate *Paginate
	// Payload holds extra claims for a token issued by this call (authentication create).
	Payload map[string]any

	values map[string]any
}

// Authentication describes the credentials of a call.
type Authentication struct {
	Strategy    string         `json:"strategy"`
	AccessToken string         `json:"accessToken,omitempty"`
	Payload     map[string]any `json:"payload,omitempty"`
	// Data is whatever else the strategy wants to keep for hooks (for example a
	// webhook's serverData). It is never sent to clients.
	Data map[string]any `json:"-"`
}

// Paginate is a pagination setting: Default is the page size when a query has no
// $limit, Max caps any $limit. Both zero means pagination is off.
type Paginate struct {
	Default int `json:"default"`
	Max     int `json:"max"`
}

// Enabled reports whether p turns pagination on.
func (p *Paginate) Enabled() bool { return p != nil && (p.Default > 0 || p.Max > 0) }

// Set stores a value for later hooks of the same call.
func (p *Params) Set(key string, value any) {
	if p.values == nil {
		p.values = make(map[string]any)
	}
	p.values[key] = value
}

// Value returns a value stored with Set.
func (p *Params) Value(key string) (any, bool) {
	v, ok := p.values[key]
	return v, ok
}

// Clone returns a shallow copy of p whose Query, Route and values maps may be
// changed without touching p's. Use it to make a nested call with adjusted params.
func (p *Params) Clone() *Params {
	if p == nil {
		return &Params{}
	}
	c := *p
	c.Query = cloneMap(p.Query)
	if p.Route != nil {
		c.Route = make(map[string]string, len(p.Route))
		for k, v := range p.Route {
			c.Route[k] = v
		}
	}
	c.values = cloneMap(p.values)
	return &c
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// BearerToken extracts the token from an Authorization header value the way
// Feathers' JWT strategy parses it: "Bearer <token>" or "JWT <token>" (scheme in
// any case), or a bare token. Other schemes ("Basic …") carry no token for Pinion.
func BearerToken(header string) (token string, ok bool) {
	header = strings.TrimSpace(header)
	i := strings.IndexFunc(header, unicode.IsSpace)
	if i < 0 {
		return header, header != ""
	}
	scheme, rest := header[:i], strings.TrimSpace(header[i:])
	if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "JWT") {
		return "", false
	}
	if j := strings.IndexFunc(rest, unicode.IsSpace); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}
