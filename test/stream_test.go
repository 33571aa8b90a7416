package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// api calls the REST API of a test server.
func api(t *testing.T, base, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func login(t *testing.T, base, email string) string {
	t.Helper()
	api(t, base, "POST", "/users", "", map[string]any{"email": email, "password": "pw-12345"})
	status, m := api(t, base, "POST", "/authentication", "", map[string]any{"strategy": "local", "email": email, "password": "pw-12345"})
	if status != 201 {
		t.Fatalf("login %s: %d %v", email, status, m)
	}
	return m["accessToken"].(string)
}

func TestStream(t *testing.T) {
	p := startPinion(t, "memory", nil)
	token := login(t, p.URL, "stream@example.com")
	ticket := func() string {
		status, m := api(t, p.URL, "POST", "/authentication/tickets", token, nil)
		if status != 201 {
			t.Fatalf("ticket: %d %v", status, m)
		}
		return m["ticket"].(string)
	}
	wsURL := "ws" + strings.TrimPrefix(p.URL, "http") + "/stream?t="
	t1 := ticket()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL+t1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// What the client sends is ignored.
	ws.WriteMessage(websocket.TextMessage, []byte(`{"anything": true}`))

	if status, m := api(t, p.URL, "POST", "/messages", token, map[string]any{"text": "to the stream"}); status != 201 {
		t.Fatalf("create: %d %v", status, m)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var frame struct {
		Path, Event string
		Data        map[string]any
	}
	if err := json.Unmarshal(msg, &frame); err != nil || frame.Path != "messages" || frame.Event != "created" || frame.Data["text"] != "to the stream" {
		t.Fatalf("frame %s (%v)", msg, err)
	}
	if _, leaked := frame.Data["user"].(map[string]any)["password"]; leaked {
		t.Fatal("password on the stream")
	}

	refused := func(name, url string) {
		t.Helper()
		_, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if err == nil || resp == nil || resp.StatusCode != 401 {
			code := 0
			if resp != nil {
				code = resp.StatusCode
			}
			t.Errorf("%s: err %v, status %d, want 401", name, err, code)
		}
	}
	refused("used ticket", wsURL+t1)
	refused("no ticket", strings.TrimSuffix(wsURL, "?t="))
	refused("garbage", wsURL+"garbage")
	refused("access token", wsURL+token)
}

// With expiredConnections "disconnect", a revocation closes the stream; by
// default the stream stays open, de-authenticated, and is told why.
func TestStreamRevoked(t *testing.T) {
	for _, mode := range []string{"deauthenticate", "disconnect"} {
		t.Run(mode, func(t *testing.T) {
			p := startPinion(t, "memory", configDir(t, `{"authentication": {"expiredConnections": "`+mode+`"}}`))
			token := login(t, p.URL, "revoked@example.com")
			_, m := api(t, p.URL, "POST", "/authentication/tickets", token, nil)
			ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(p.URL, "http")+"/stream?t="+m["ticket"].(string), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			_, me := api(t, p.URL, "GET", "/users?email=revoked@example.com", token, nil)
			id := fmt.Sprint(me["data"].([]any)[0].(map[string]any)["_id"])
			if status, m := api(t, p.URL, "PATCH", "/users/"+id, token, map[string]any{"password": "changed-password"}); status != 200 {
				t.Fatalf("password change: %d %v", status, m)
			}
			ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				_, msg, err := ws.ReadMessage()
				if mode == "disconnect" {
					if err == nil {
						continue // the patched event may come first
					}
					if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
						t.Fatalf("want a normal close, got %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("stream closed: %v", err)
				}
				if strings.Contains(string(msg), `"event":"revoked"`) {
					return
				}
			}
		})
	}
}

// A stream opened again with since= gets what it missed, in order, before
// new events; a position that is not one gets a "recovery failed" frame.
func TestStreamRecovery(t *testing.T) {
	p := startPinion(t, "memory", configDir(t, `{"realtime": {"history": {"maxReplay": 3}}}`))
	token := login(t, p.URL, "stream-recovery@example.com")
	open := func(since string) *websocket.Conn {
		t.Helper()
		_, m := api(t, p.URL, "POST", "/authentication/tickets", token, nil)
		url := "ws" + strings.TrimPrefix(p.URL, "http") + "/stream?t=" + m["ticket"].(string)
		if since != "" {
			url += "&since=" + since
		}
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	type frame struct {
		Path, Event, ID, Position string
		Data                      map[string]any
	}
	next := func(ws *websocket.Conn) frame {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var f frame
		json.Unmarshal(msg, &f)
		return f
	}
	post := func(text string) {
		if status, m := api(t, p.URL, "POST", "/messages", token, map[string]any{"text": text}); status != 201 {
			t.Fatalf("create: %d %v", status, m)
		}
	}
	ws := open("")
	post("s1")
	first := next(ws)
	if first.Data["text"] != "s1" || first.Position == "" || first.ID == "" {
		t.Fatalf("frame %+v", first)
	}
	ws.Close()
	post("s2")
	post("s3")
	back := open(first.Position)
	post("s4")
	var got []string
	for range 3 {
		got = append(got, next(back).Data["text"].(string))
	}
	if strings.Join(got, " ") != "s2 s3 s4" {
		t.Fatalf("recovered %v", got)
	}
	post("s5") // from s1, four are missed now: more than maxReplay
	epoch := first.Position[:strings.LastIndexByte(first.Position, '.')]
	for since, want := range map[string]string{"garbage": "BadRequest ", epoch + ".99999": "BadRequest ",
		"other.1": "Gone epoch", first.Position: "Gone limit"} {
		f := next(open(since))
		data, _ := f.Data["data"].(map[string]any)
		reason, _ := data["reason"].(string)
		if f.Path != "recovery" || f.Event != "failed" || fmt.Sprint(f.Data["name"], " ", reason) != want {
			t.Errorf("since=%s: %+v, want %s", since, f, want)
		}
	}
}
