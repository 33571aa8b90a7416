package pinion_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
)

func TestErrorClasses(t *testing.T) {
	cases := []struct {
		err             *pinion.Error
		name, className string
		code            int
	}{
		{pinion.BadRequest("m"), "BadRequest", "bad-request", 400},
		{pinion.NotAuthenticated("m"), "NotAuthenticated", "not-authenticated", 401},
		{pinion.PaymentError("m"), "PaymentError", "payment-error", 402},
		{pinion.Forbidden("m"), "Forbidden", "forbidden", 403},
		{pinion.NotFound("m"), "NotFound", "not-found", 404},
		{pinion.MethodNotAllowed("m"), "MethodNotAllowed", "method-not-allowed", 405},
		{pinion.NotAcceptable("m"), "NotAcceptable", "not-acceptable", 406},
		{pinion.Timeout("m"), "Timeout", "timeout", 408},
		{pinion.Conflict("m"), "Conflict", "conflict", 409},
		{pinion.Gone("m"), "Gone", "gone", 410},
		{pinion.LengthRequired("m"), "LengthRequired", "length-required", 411},
		{pinion.Unprocessable("m"), "Unprocessable", "unprocessable", 422},
		{pinion.TooManyRequests("m"), "TooManyRequests", "too-many-requests", 429},
		{pinion.GeneralError("m"), "GeneralError", "general-error", 500},
		{pinion.NotImplemented("m"), "NotImplemented", "not-implemented", 501},
		{pinion.BadGateway("m"), "BadGateway", "bad-gateway", 502},
		{pinion.Unavailable("m"), "Unavailable", "unavailable", 503},
	}
	for _, tc := range cases {
		b, err := json.Marshal(tc.err)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`{"name":%q,"message":"m","code":%d,"className":%q}`, tc.name, tc.code, tc.className)
		if string(b) != want {
			t.Errorf("got %s, want %s", b, want)
		}
	}
}

func TestErrorJSON(t *testing.T) {
	cases := []struct {
		err  *pinion.Error
		want string
	}{
		{pinion.BadRequest("x").WithData(map[string]any{}).WithErrors(map[string]any{"a": 1}),
			`{"name":"BadRequest","message":"x","code":400,"className":"bad-request","data":{},"errors":{"a":1}}`},
		{pinion.NotFound("No record found for id '%v'", 5),
			`{"name":"NotFound","message":"No record found for id '5'","code":404,"className":"not-found"}`},
		{pinion.NotFound(""), `{"name":"NotFound","message":"Error","code":404,"className":"not-found"}`},
		{pinion.NewError(499, "odd"), `{"name":"GeneralError","message":"odd","code":500,"className":"general-error"}`},
		{pinion.Conflict("dup").Wrap(errors.New("E11000 duplicate key")),
			`{"name":"Conflict","message":"dup","code":409,"className":"conflict"}`},
		{pinion.PayloadTooLarge("too big"), `{"name":"PayloadTooLarge","message":"too big","code":413,"className":"payload-too-large"}`},
	}
	for _, tc := range cases {
		b, _ := json.Marshal(tc.err)
		if string(b) != tc.want {
			t.Errorf("got  %s\nwant %s", b, tc.want)
		}
		var back pinion.Error
		if err := json.Unmarshal(b, &back); err != nil || back.Code != tc.err.Code && tc.err.Code != 499 {
			t.Errorf("round trip of %s: %v %v", b, back, err)
		}
	}
}

func TestToError(t *testing.T) {
	internal := errors.New("connection refused: mongodb://secret@db")
	cases := []struct {
		name   string
		err    error
		expose bool
		code   int
		msg    string
	}{
		{"feathers error", pinion.Forbidden("nope"), false, 403, "nope"},
		{"wrapped feathers error", fmt.Errorf("ctx: %w", pinion.NotFound("gone")), false, 404, "gone"},
		{"internal hidden", internal, false, 500, "Internal server error"},
		{"internal exposed in development", internal, true, 500, internal.Error()},
		{"deadline", context.DeadlineExceeded, false, 408, "The operation timed out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fe := pinion.ToError(tc.err, tc.expose)
			if fe.Code != tc.code || fe.Message != tc.msg {
				t.Fatalf("got %d %q", fe.Code, fe.Message)
			}
			b, _ := json.Marshal(fe)
			if !tc.expose && strings.Contains(string(b), "secret") {
				t.Fatalf("internal detail leaked: %s", b)
			}
		})
	}
	if pinion.ToError(nil, true) != nil {
		t.Error("nil error")
	}
	if !errors.Is(pinion.ToError(internal, false), internal) {
		t.Error("cause lost for logs")
	}
}

func TestStatusOfUnknownCodes(t *testing.T) {
	for code, want := range map[int]int{0: 500, 418: 500, 404: 404, 413: 413} {
		if got := (&pinion.Error{Code: code}).Status(); got != want {
			t.Errorf("Status of code %d = %d, want %d", code, got, want)
		}
	}
}
