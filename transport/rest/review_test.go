package rest_test

// Adversarial review of protected fields (issue #17 follow-up). The tests
// named TestReview* that fail are findings; those in the second part are
// attacks that held, kept as regression tests.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/transport/rest"
)

// reviewCreds is a nested struct whose hash is tagged protected:"true":
// the schema says it is "never sent to a client, nor usable in its queries".
type reviewCreds struct {
	Hash string `json:"hash" protected:"true"`
	Kind string `json:"kind"`
}

type reviewAccount struct {
	ID    int         `json:"id" readOnly:"true"`
	Name  string      `json:"name"`
	Creds reviewCreds `json:"creds"`
}

func reviewTypedServer(t *testing.T) http.Handler {
	t.Helper()
	ctx := context.Background()
	app := pinion.New()
	svc := pinion.Use(app, "accounts", memory.Typed[reviewAccount, int](memory.Options{}))
	for _, h := range []string{"$2b$10$aaaasecret", "$2b$10$zzzzsecret"} {
		if _, err := svc.Create(ctx, reviewAccount{Name: "n", Creds: reviewCreds{Hash: h, Kind: "k"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	engine := gin.New()
	rest.New(app, rest.Options{}).Mount(engine)
	return engine
}

func reviewGet(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

// Found by the review, fixed since: a protected field of a nested struct of a typed service is sent
// to REST clients in every find and get: Service.protected (codec.go
// protected()) lists only the top-level protected fields, so neither
// protectStep nor the query check knows creds.hash.
func TestReviewTypedNestedProtectedReturned(t *testing.T) {
	h := reviewTypedServer(t)
	for _, target := range []string{"/accounts", "/accounts/0"} {
		code, body := reviewGet(t, h, target)
		if code != 200 || strings.Contains(body, "secret") {
			t.Errorf("GET %s: %d %s: the nested protected hash reached the client", target, code, body)
		}
	}
}

// Found by the review, fixed since: the same nested protected field is an oracle through equality
// with the nested document: ?creds[hash]=...&creds[kind]=k answers the
// record exactly when the guess is the hash. The schema check
// (schema/query.go checkCondition) takes an object-typed field's value as a
// value, and the protected-path check does not know creds.hash.
func TestReviewTypedNestedProtectedQueried(t *testing.T) {
	h := reviewTypedServer(t)
	q := url.Values{"creds[hash]": {"$2b$10$aaaasecret"}, "creds[kind]": {"k"}}
	code, body := reviewGet(t, h, "/accounts?"+q.Encode())
	if code != 400 {
		t.Errorf("GET /accounts?%s: %d %s, want 400 (creds.hash is protected)", q.Encode(), code, body)
	}
	code, body = reviewGet(t, h, "/accounts?$sort[creds]=1")
	if code != 400 {
		t.Errorf("GET /accounts?$sort[creds]=1: %d %s, want 400 (sorting by creds orders by the protected hash)", code, body)
	}
}

type reviewListed struct {
	ID    int           `json:"id" readOnly:"true"`
	Creds []reviewCreds `json:"creds"`
	Ptr   *reviewCreds  `json:"ptr"`
}

// Found by the review (same cause as TestReviewTypedNestedProtectedReturned), fixed since: protected
// fields in a list of structs or behind a pointer are sent too.
func TestReviewTypedProtectedInListAndPointerReturned(t *testing.T) {
	app := pinion.New()
	svc := pinion.Use(app, "lst", memory.Typed[reviewListed, int](memory.Options{}))
	if _, err := svc.Create(context.Background(), reviewListed{Creds: []reviewCreds{{Hash: "$2b$secret"}}, Ptr: &reviewCreds{Hash: "$2b$secret"}}, nil); err != nil {
		t.Fatal(err)
	}
	engine := gin.New()
	rest.New(app, rest.Options{}).Mount(engine)
	if code, body := reviewGet(t, engine, "/lst"); code != 200 || strings.Contains(body, "secret") {
		t.Errorf("GET /lst: %d %s: a protected hash reached the client", code, body)
	}
}

type reviewPlain struct {
	ID   int    `json:"id" readOnly:"true"`
	Name string `json:"name"`
}

// reviewOut is the result of a typed custom method: its hash is protected
// by its own tag.
type reviewOut struct {
	Name string `json:"name"`
	Hash string `json:"hash" protected:"true"`
}

// Found by the review, fixed since: a typed custom method's result struct keeps its protected:"true"
// fields on the way to the client: protectStep removes only the service
// record's protected names (Service.protected, here none), never those of
// the result type R (custom.go), though its OpenAPI result schema
// (CustomDoc.Result, schema Result form) leaves them out.
func TestReviewTypedCustomResultProtected(t *testing.T) {
	app := pinion.New()
	pl := pinion.Use(app, "plain", memory.Typed[reviewPlain, int](memory.Options{}))
	pinion.AddCustom(pl, "reveal", func(ctx context.Context, d reviewPlain, p *pinion.Params) (reviewOut, error) {
		return reviewOut{Name: d.Name, Hash: "$2b$secret"}, nil
	})
	engine := gin.New()
	rest.New(app, rest.Options{}).Mount(engine)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/plain", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Service-Method", "reveal")
	engine.ServeHTTP(rec, req)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("POST /plain (reveal): %d %s: the result's protected hash reached the client", rec.Code, rec.Body.String())
	}
}

// reviewDotted has a protected field whose JSON name holds a '.', which
// encoding/json allows for one field.
type reviewDotted struct {
	ID   int    `json:"id" readOnly:"true"`
	Hash string `json:"auth.hash" protected:"true"`
	Name string `json:"name"`
}

// Found by the review (minor), fixed: a typed protected field named "auth.hash" in
// JSON was registered as the protected path auth.hash, so removal looked
// for a field hash inside auth and sent the record's own "auth.hash" key.
// Such a field is now refused when the service is registered.
func TestReviewTypedDottedProtectedNameReturned(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "dot in its JSON name") {
			t.Errorf("registering a protected field named auth.hash: panic %v, want a refusal naming the dot", r)
		}
	}()
	pinion.Use(pinion.New(), "dot", memory.Typed[reviewDotted, int](memory.Options{}))
}
