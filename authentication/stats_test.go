package authentication_test

import (
	"maps"
	"testing"

	"github.com/pinionhq/pinion/authentication"
)

func TestStats(t *testing.T) {
	f := newApp(t, withRefresh)
	f.signup(t, "a@b.c", "secret-pw")
	bad := map[string]any{"strategy": "local", "email": "a@b.c", "password": "nope"}
	for range 3 {
		f.do(t, "POST", "/authentication", "", bad)
	}
	f.do(t, "POST", "/authentication", "", bad)                                   // throttled
	f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "made-up"}) // not a strategy
	f.signup(t, "c@d.e", "secret-pw")
	login := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "c@d.e", "password": "secret-pw"})
	refresh := login.body["refreshToken"]
	f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": refresh})
	f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": refresh}) // reused
	f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "refresh", "refreshToken": "x.y.z"})
	third := f.do(t, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": "c@d.e", "password": "secret-pw"})
	f.do(t, "DELETE", "/authentication", third.body["accessToken"].(string), nil)

	st := f.auth.Stats()
	wantLogins := map[authentication.LoginKey]uint64{
		{"local", "failure"}:   3,
		{"local", "throttled"}: 1,
		{"other", "failure"}:   1,
		{"local", "success"}:   2,
		{"refresh", "success"}: 1,
		{"refresh", "failure"}: 2,
	}
	if !maps.Equal(st.Logins, wantLogins) {
		t.Errorf("logins %v, want %v", st.Logins, wantLogins)
	}
	if want := map[string]uint64{"account": 1}; !maps.Equal(st.Throttled, want) {
		t.Errorf("throttled %v, want %v", st.Throttled, want)
	}
	if want := map[string]uint64{"success": 1, "reused": 1, "invalid": 1}; !maps.Equal(st.Refreshes, want) {
		t.Errorf("refreshes %v, want %v", st.Refreshes, want)
	}
	// The reuse revokes its login and the access tokens of the family (the
	// login's, the refreshed one); the logout its token, its login, and the
	// access token of its refresh token (the same token, written again).
	if want := map[string]uint64{"login": 2, "token": 4}; !maps.Equal(st.Revocations, want) {
		t.Errorf("revocations %v, want %v", st.Revocations, want)
	}
}
