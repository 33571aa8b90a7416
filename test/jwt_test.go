package e2e

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/internal/jwtcases"
)

// canonical is v as JSON with sorted keys.
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(m)
	return string(b)
}

// The crafted tokens of internal/jwtcases get the same error from Pinion
// (Tokens.Verify) as from Feathers' verifyAccessToken (jsonwebtoken): message,
// name, code, className and data, with Pinion's own checks only refusing
// tokens Feathers accepts. Feathers' answers are also checked against the
// table the unit tests use.
func TestJWTErrorsMatchFeathers(t *testing.T) {
	nodeModules(t)
	const secret = testSecret
	var (
		now    int64
		cases  []jwtcases.Case
		pinion []any // nil (accepted) or the error
	)
	for try := 0; ; try++ {
		// Start just after a second begins, so that Pinion's clock (the real
		// one) stays on the second given to Feathers as clockTimestamp.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
		now = time.Now().Unix()
		cases = jwtcases.Cases(secret, now)
		pinion = make([]any, len(cases))
		for i, c := range cases {
			tok := authentication.NewTokens(secret, authentication.JWTOptions{
				Header: authentication.JWTHeader{Typ: "access"}, Audience: c.Options.Audience, Issuer: c.Options.Issuer,
			}, time.Duration(c.Options.Leeway)*time.Second)
			if _, err := tok.Verify(c.Token, authentication.TypeAccess); err != nil {
				pinion[i] = err
			}
		}
		if time.Now().Unix() == now {
			break
		}
		if try == 2 {
			t.Fatal("the clock ticked during every run")
		}
	}

	type input struct {
		Token   string           `json:"token"`
		Options jwtcases.Options `json:"options"`
	}
	in := struct {
		Secret string  `json:"secret"`
		Now    int64   `json:"now"`
		Cases  []input `json:"cases"`
	}{Secret: secret, Now: now}
	for _, c := range cases {
		in.Cases = append(in.Cases, input{c.Token, c.Options})
	}
	b, _ := json.Marshal(in)
	cmd := exec.Command("node", "js/jwt-verify.mjs")
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node js/jwt-verify.mjs: %v\n%s", err, stderr.String())
	}
	var res struct {
		JSONWebToken string `json:"jsonwebtoken"`
		Results      []struct {
			OK    bool           `json:"ok"`
			Error map[string]any `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Results) != len(cases) {
		t.Fatalf("node answered %d results for %d tokens (%v): %s", len(res.Results), len(cases), err, out)
	}
	t.Logf("%d tokens, jsonwebtoken %s", len(cases), res.JSONWebToken)
	for i, c := range cases {
		f, p := res.Results[i], pinion[i]
		// Feathers against the table.
		switch {
		case c.Message == "" && !c.NodeMessage:
			if !f.OK {
				t.Errorf("%s: Feathers refused it: %v", c.Name, f.Error)
			}
		case f.OK:
			t.Errorf("%s: Feathers accepted it, the table says %q", c.Name, c.Message)
		default:
			want := map[string]any{"name": "NotAuthenticated", "message": c.Message, "code": 401, "className": "not-authenticated", "data": c.WantData()}
			if c.NodeMessage {
				want["message"] = f.Error["message"] // V8's JSON.parse text
			}
			if got, want := canonical(t, f.Error), canonical(t, want); got != want {
				t.Errorf("%s: Feathers answered %s, the table says %s", c.Name, got, want)
			}
		}
		// Pinion against Feathers.
		switch {
		case c.Pinion != "" || c.NodeMessage:
			// One of Pinion's own checks, or the one divergence: Pinion
			// refuses it (the unit tests check with what).
			if p == nil {
				t.Errorf("%s: Pinion accepted it", c.Name)
			}
			if c.NodeMessage {
				t.Logf("%s: Feathers says %q, Pinion %v", c.Name, f.Error["message"], p)
			}
		case f.OK:
			if p != nil {
				t.Errorf("%s: Feathers accepted it, Pinion answered %v", c.Name, p)
			}
		case p == nil:
			t.Errorf("%s: Feathers answered %v, Pinion accepted it", c.Name, f.Error)
		default:
			if got, want := canonical(t, p), canonical(t, f.Error); got != want {
				t.Errorf("%s: Pinion answered %s, Feathers %s", c.Name, got, want)
			}
		}
	}
}
