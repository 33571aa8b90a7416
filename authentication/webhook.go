package authentication

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
)

// WebhookStrategy is the "webhook" strategy, after deepstream's HTTP
// authentication: the credentials are POSTed to Config.Webhook.URL as
//
//	{"authData": <the request without "strategy">,
//	 "connectionData": {"provider", "remoteAddress", "headers"}}
//
// A permitted status with {"id" | "username", "clientData"?, "serverData"?}
// logs the caller in: the identity is "webhook:" and the id (or the
// username when there is no id), clientData goes back to the client,
// serverData stays on the server, in params.Authentication.Data
// ["serverData"] for the hooks and listeners of the login. Any other status is
// "Invalid login"; an endpoint that does not answer is 503 Unavailable, one
// that answers something else than a non-empty string as the id (or
// username) is 502 Bad Gateway.
//
// Webhook users have no record in the entity service: their tokens carry the
// claim "webhook": true and their identity as sub, and the jwt strategy gives
// them the entity {"_id": sub}. The "webhook:" prefix keeps the identities of
// the two strategies apart: a webhook id equal to a local user's id names
// another identity, in the token and in whatever records its calls stamp
// (see WebhookIdentity).
type WebhookStrategy struct {
	s      *Service
	client *http.Client
}

// claimWebhook marks the tokens of identities vouched for by the webhook.
const claimWebhook = "webhook"

// ByWebhook reports whether a is the authentication of an identity vouched
// for by the webhook strategy: its id is the webhook's, not a record's of the
// entity service, and may equal one by chance. Hooks that compare the caller
// with a record (only the owner may change it) must refuse such callers.
func ByWebhook(a *pinion.Authentication) bool {
	return a != nil && a.Payload[claimWebhook] == true
}

// NewWebhook returns the webhook strategy of s; register it with
// s.Register("webhook", s.NewWebhook()) and list "webhook" in authStrategies.
func (s *Service) NewWebhook() *WebhookStrategy {
	return &WebhookStrategy{s: s, client: &http.Client{}}
}

// webhookPrefix begins every identity the webhook strategy vouches for.
const webhookPrefix = "webhook:"

// WebhookIdentity reports whether id is the identity of a webhook login
// ("webhook:…"): it names no record of the entity service, whatever follows
// the prefix. A hook that shows the author of a record by its id must not
// look such an id up among the entity service's records.
func WebhookIdentity(id string) bool { return strings.HasPrefix(id, webhookPrefix) }

// WebhookSubject is the identity of a webhook login whose token has sub: sub
// itself, or sub with the prefix for tokens made before identities had it.
func WebhookSubject(sub string) string {
	if WebhookIdentity(sub) {
		return sub
	}
	return webhookPrefix + sub
}

type webhookAnswer struct {
	ID         json.RawMessage `json:"id"`
	Username   json.RawMessage `json:"username"`
	ClientData any             `json:"clientData"`
	ServerData map[string]any  `json:"serverData"`
}

// webhookName decodes the id or username of an answer: absent (or null) is
// "", anything but a non-empty string is an error naming field.
func webhookName(field string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || s == "" {
		return "", pinion.BadGateway("The authentication webhook answered an invalid %s: want a non-empty string", field)
	}
	return s, nil
}

// Authenticate implements Strategy.
func (w *WebhookStrategy) Authenticate(ctx context.Context, req Request, params *pinion.Params) (*Result, error) {
	cfg := w.s.cfg.Webhook
	if cfg.URL == "" {
		return nil, pinion.NotAuthenticated("The webhook strategy has no url configured")
	}
	authData := make(map[string]any, len(req))
	for k, v := range req {
		if k != "strategy" {
			authData[k] = v
		}
	}
	headers := map[string]string{}
	for k, v := range params.Headers {
		k = strings.ToLower(k)
		if k != "authorization" && k != "cookie" {
			headers[k] = strings.Join(v, ", ")
		}
	}
	body, err := json.Marshal(map[string]any{
		"authData":       authData,
		"connectionData": map[string]any{"provider": params.Provider, "remoteAddress": params.RemoteAddr, "headers": headers},
	})
	if err != nil {
		return nil, pinion.BadRequest("The authentication data cannot be sent: %v", err)
	}
	status, answer, err := w.post(ctx, body)
	if err != nil {
		return nil, pinion.Unavailable("The authentication webhook did not answer: %v", err).Wrap(err)
	}
	if !slices.Contains(cfg.PermittedStatusCodes, status) {
		return nil, pinion.NotAuthenticated("%s", w.s.cfg.Local.ErrorMessage)
	}
	var a webhookAnswer
	if err := json.Unmarshal(answer, &a); err != nil {
		return nil, pinion.BadGateway("The authentication webhook answered something that is not a JSON object")
	}
	id, err := webhookName("id", a.ID)
	if err != nil {
		return nil, err
	}
	username, err := webhookName("username", a.Username)
	if err != nil {
		return nil, err
	}
	if id == "" {
		id = username
	}
	if id == "" {
		return nil, pinion.BadGateway("The authentication webhook answered without an id or a username")
	}
	entity := map[string]any{w.s.entityID(): webhookPrefix + id}
	if username != "" {
		entity["username"] = username
	}
	res := &Result{
		Authentication: pinion.Authentication{Strategy: "webhook", Data: map[string]any{"serverData": a.ServerData}},
		Entity:         entity,
		claims:         map[string]any{claimWebhook: true},
	}
	if a.ClientData != nil {
		res.Extra = map[string]any{"clientData": a.ClientData}
	}
	return res, nil
}

// post sends the request, retrying after timeouts and connection failures
// (never after an answer, which is the endpoint's decision).
func (w *WebhookStrategy) post(ctx context.Context, body []byte) (int, []byte, error) {
	cfg := w.s.cfg.Webhook
	var lastErr error
	for attempt := 0; attempt <= cfg.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return 0, nil, ctx.Err()
			case <-time.After(time.Duration(cfg.RetryDelay)):
			}
		}
		status, answer, err := w.once(ctx, body)
		if err == nil {
			return status, answer, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return 0, nil, lastErr
}

func (w *WebhookStrategy) once(ctx context.Context, body []byte) (int, []byte, error) {
	cfg := w.s.cfg.Webhook
	ctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.RequestTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, nil, fmt.Errorf("no answer within %s", time.Duration(cfg.RequestTimeout))
		}
		return 0, nil, errors.New("the endpoint is unreachable")
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, answer, nil
}
