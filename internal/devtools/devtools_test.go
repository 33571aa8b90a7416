package devtools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The tests launch Chromium (the Debian package chromium), and skip without
// it.

func launch(t *testing.T, ctx context.Context) *Browser {
	t.Helper()
	path, err := LookPath()
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	b, err := Launch(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// page is the test page: a button below the fold with a cover over part of
// it, a form with an input and a textarea, a 404 image, and a red square in
// the top left corner.
const page = `<!doctype html>
<meta name="viewport" content="width=device-width">
<title>devtools</title>
<style>
  body { margin: 0; font: 16px sans-serif; }
  #red { position: absolute; left: 0; top: 0; width: 40px; height: 40px; background: rgb(255, 0, 0); }
  #spacer { height: 3000px; }
  #cover { position: absolute; inset: 0; }
  #covered, #button { display: block; width: 100px; height: 40px; }
</style>
<div id="red"></div>
<form id="form"><input id="input"><textarea id="text"></textarea></form>
<div id="spacer"></div>
<div style="position: relative"><button id="covered">covered</button><div id="cover"></div></div>
<button id="button">button</button>
<button id="hidden" hidden>hidden</button>
<script>
  window.events = []
  const log = (e) => events.push(e.type + ':' + e.target.id + ':' + e.isTrusted)
  for (const type of ['mousedown', 'mouseup', 'click']) document.addEventListener(type, log)
  document.getElementById('form').addEventListener('submit', (e) => { e.preventDefault(); events.push('submit') })
  document.getElementById('text').addEventListener('keydown', (e) => { if (e.key === 'Enter') events.push('enter') })
</script>
`

type fixture struct {
	b     *Browser
	srv   *httptest.Server
	loads atomic.Int64 // of /
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{b: launch(t, context.Background())}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		f.loads.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><img src="/missing.png"><script>
			console.log('just saying')
			console.error('boom', 42, {a: 1})
			setTimeout(() => { throw new TypeError('thrown') })
		</script>`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// tab opens a tab on the test page.
func (f *fixture) tab(t *testing.T, ctx context.Context) *Tab {
	t.Helper()
	tab, err := f.b.NewTab(ctx, TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close(context.Background()) })
	if err := tab.SetViewport(ctx, Viewport{Width: 400, Height: 300}); err != nil {
		t.Fatal(err)
	}
	if err := tab.Navigate(ctx, f.srv.URL); err != nil {
		t.Fatal(err)
	}
	return tab
}

func evaluate[T any](t *testing.T, ctx context.Context, tab *Tab, script string) T {
	t.Helper()
	var v T
	if err := tab.Evaluate(ctx, script, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTab(t *testing.T) {
	f := newFixture(t)
	ctx := timeout(t)
	tab := f.tab(t, ctx)

	t.Run("Evaluate", func(t *testing.T) {
		for _, tc := range []struct {
			script, want string
		}{
			{`1 + 1`, `2`},
			{`'a' + "b"`, `"ab"`},
			{`({a: [1, null, true]})`, `{"a":[1,null,true]}`},
			{`Promise.resolve('later')`, `"later"`},
			{`null`, `null`},
			{`document.readyState`, `"complete"`},
		} {
			var got any
			if err := tab.Evaluate(ctx, tc.script, &got); err != nil {
				t.Errorf("%s: %v", tc.script, err)
				continue
			}
			if b, _ := json.Marshal(got); string(b) != tc.want {
				t.Errorf("%s = %s, want %s", tc.script, b, tc.want)
			}
		}
		for _, tc := range []struct {
			script, want string
		}{
			{`undefined`, "is undefined"},
			{`0 / 0`, "NaN, which JSON cannot hold"},
			{`null.x`, "Uncaught TypeError: Cannot read properties of null"},
			{`Promise.reject(new Error('no'))`, "Uncaught (in promise) Error: no"},
			{`)`, "SyntaxError"},
		} {
			var got any
			err := tab.Evaluate(ctx, tc.script, &got)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want one with %q", tc.script, err, tc.want)
			}
		}
		// Without a result, the value does not matter.
		if err := tab.Evaluate(ctx, `undefined`, nil); err != nil {
			t.Error(err)
		}
	})

	t.Run("Error", func(t *testing.T) {
		err := tab.Call(ctx, "Page.noSuchCommand", nil, nil)
		var e *Error
		if !errors.As(err, &e) || e.Code != -32601 || e.Method != "Page.noSuchCommand" {
			t.Errorf("got %#v, want the error -32601 of Page.noSuchCommand", err)
		}
		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close()
		err = tab.Navigate(ctx, closed.URL)
		if err == nil || !strings.Contains(err.Error(), "net::ERR_CONNECTION_REFUSED") {
			t.Errorf("navigating to a closed server: %v", err)
		}
		if err := tab.Navigate(ctx, f.srv.URL); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Reload", func(t *testing.T) {
		before := f.loads.Load()
		tab.Evaluate(ctx, `window.marker = 1`, nil)
		if err := tab.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.loads.Load() - before; n != 1 {
			t.Errorf("the page was served %d times, want 1", n)
		}
		if !evaluate[bool](t, ctx, tab, `window.marker === undefined && document.readyState === 'complete'`) {
			t.Error("the page was not reloaded")
		}
	})

	t.Run("Click", func(t *testing.T) {
		tab.Evaluate(ctx, `events.length = 0`, nil)
		// Below the fold: Click scrolls to it.
		if err := tab.Click(ctx, "#button"); err != nil {
			t.Fatal(err)
		}
		// The cover takes the mouse click, as it would a person's.
		if err := tab.Click(ctx, "#covered"); err != nil {
			t.Fatal(err)
		}
		got := evaluate[[]string](t, ctx, tab, `events`)
		want := []string{
			"mousedown:button:true", "mouseup:button:true", "click:button:true",
			"mousedown:cover:true", "mouseup:cover:true", "click:cover:true",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("events %q, want %q", got, want)
		}
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if err := tab.Click(short, "#hidden"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("clicking a hidden button: %v, want the deadline", err)
		}
	})

	t.Run("Type", func(t *testing.T) {
		tab.Evaluate(ctx, `events.length = 0`, nil)
		if err := tab.Type(ctx, "#input", "héllo <wörld> 🙂"); err != nil {
			t.Fatal(err)
		}
		if got := evaluate[string](t, ctx, tab, `document.getElementById('input').value`); got != "héllo <wörld> 🙂" {
			t.Errorf("input: %q", got)
		}
		if err := tab.Type(ctx, "#text", "one\ntwo"); err != nil {
			t.Fatal(err)
		}
		if got := evaluate[string](t, ctx, tab, `document.getElementById('text').value`); got != "one\ntwo" {
			t.Errorf("textarea: %q", got)
		}
		// Enter in an input submits its form.
		if err := tab.Type(ctx, "#input", "\n"); err != nil {
			t.Fatal(err)
		}
		if got := evaluate[[]string](t, ctx, tab, `events`); fmt.Sprint(got) != "[enter submit]" {
			t.Errorf("events %q, want enter (in the textarea), then submit", got)
		}
		if err := tab.SetValue(ctx, "#text", "set\nvalue"); err != nil {
			t.Fatal(err)
		}
		if got := evaluate[string](t, ctx, tab, `document.getElementById('text').value`); got != "set\nvalue" {
			t.Errorf("textarea after SetValue: %q", got)
		}
	})

	t.Run("WaitFor", func(t *testing.T) {
		tab.Evaluate(ctx, `setTimeout(() => { window.later = true }, 100)`, nil)
		if err := tab.WaitFor(ctx, `window.later === true`); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		err := tab.WaitFor(short, `document.getElementById('nothing').hidden`)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "Cannot read properties of null") {
			t.Errorf("waiting for what never comes: %v, want the deadline and the script's last error", err)
		}
	})

	t.Run("Emulation", func(t *testing.T) {
		defer tab.SetViewport(ctx, Viewport{Width: 400, Height: 300})
		if err := tab.SetViewport(ctx, Viewport{Width: 390, Height: 844, Mobile: true, Touch: true}); err != nil {
			t.Fatal(err)
		}
		if got := evaluate[string](t, ctx, tab, "`${innerWidth}x${innerHeight} ${matchMedia('(pointer: coarse)').matches}`"); got != "390x844 true" {
			t.Errorf("phone: %s", got)
		}
		dark := `matchMedia('(prefers-color-scheme: dark)').matches`
		for _, scheme := range []string{"dark", "light", ""} {
			if err := tab.EmulateMedia(ctx, MediaFeature{"prefers-color-scheme", scheme}); err != nil {
				t.Fatal(err)
			}
			if got := evaluate[bool](t, ctx, tab, dark); got != (scheme == "dark") {
				t.Errorf("%q: prefers dark %v", scheme, got)
			}
		}
	})

	t.Run("Screenshot", func(t *testing.T) {
		tab.Evaluate(ctx, `scrollTo(0, 0)`, nil)
		b, err := tab.Screenshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if size := img.Bounds().Size(); size.X != 400 || size.Y != 300 {
			t.Errorf("size %v, want the viewport's 400x300", size)
		}
		if r, g, bl, _ := img.At(20, 20).RGBA(); r>>8 != 255 || g>>8 != 0 || bl>>8 != 0 {
			t.Errorf("the red square is %d,%d,%d", r>>8, g>>8, bl>>8)
		}
		if r, g, bl, _ := img.At(200, 280).RGBA(); r>>8 != 255 || g>>8 != 255 || bl>>8 != 255 {
			t.Errorf("the page is %d,%d,%d, not white", r>>8, g>>8, bl>>8)
		}
	})
}

// TestConsole: the messages of every kind reach OnConsole, and IsError tells
// the errors.
func TestConsole(t *testing.T) {
	f := newFixture(t)
	ctx := timeout(t)
	msgs := make(chan ConsoleMessage, 100)
	tab, err := f.b.NewTab(ctx, TabOptions{OnConsole: func(m ConsoleMessage) { msgs <- m }})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Navigate(ctx, f.srv.URL+"/console"); err != nil {
		t.Fatal(err)
	}
	url := f.srv.URL + "/console"
	want := map[string]ConsoleMessage{
		"log":       {Type: "log", Text: "just saying", URL: url, Line: 2},
		"error":     {Type: "error", Text: "boom 42 Object", URL: url, Line: 3},
		"exception": {Type: "exception", Text: "Uncaught TypeError: thrown", URL: url, Line: 4},
		"log entry": {Type: "error", Text: "Failed to load resource: the server responded with a status of 404 (Not Found)", URL: f.srv.URL + "/missing.png"},
	}
	// The calls of the console API and the entries of the browser's log
	// come in their own orders.
	got := map[string]ConsoleMessage{}
	for len(got) < len(want) {
		select {
		case m := <-msgs:
			key := m.Type
			if strings.HasPrefix(m.Text, "Failed to load") {
				key = "log entry"
			}
			got[key] = m
			if m.IsError() != (m.Type != "log") {
				t.Errorf("%v: IsError %v", m, m.IsError())
			}
		case <-ctx.Done():
			t.Fatalf("console messages\n%v\nwant\n%v", got, want)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("console messages\n%v\nwant\n%v", got, want)
	}
}

// TestTabsAreSeparate: each tab is a visitor of its own, with its own storage.
func TestTabsAreSeparate(t *testing.T) {
	f := newFixture(t)
	ctx := timeout(t)
	a, b := f.tab(t, ctx), f.tab(t, ctx)
	if err := a.Evaluate(ctx, `localStorage.setItem('who', 'a'); document.cookie = 'who=a'`, nil); err != nil {
		t.Fatal(err)
	}
	if got := evaluate[string](t, ctx, b, "`${localStorage.getItem('who')} ${document.cookie}`"); got != "null " {
		t.Errorf("tab b sees %q of tab a", got)
	}
	if got := evaluate[string](t, ctx, a, "`${localStorage.getItem('who')} ${document.cookie}`"); got != "a who=a" {
		t.Errorf("tab a has %q", got)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Evaluate(ctx, `1`, nil); err == nil {
		t.Error("a closed tab still evaluates")
	}
	if err := b.Evaluate(ctx, `1`, nil); err != nil {
		t.Errorf("closing tab a closed b: %v", err)
	}
}

// TestClose: Close ends the browser and the goroutines of the package, and
// removes the profile; calls fail afterwards. Cancelling the context of
// Launch kills the browser.
func TestClose(t *testing.T) {
	b := launch(t, context.Background())
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	assertEnded(t, b)
	if err := b.conn.call(context.Background(), "", "Browser.getVersion", nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("a call after Close: %v, want ErrClosed", err)
	}
	if _, err := os.Stat(b.tempDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the profile %s is still there: %v", b.tempDir, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	b = launch(t, ctx)
	tab, err := b.NewTab(timeout(t), TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-b.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("the browser is still running after its context ended")
	}
	assertEnded(t, b)
	if err := tab.Evaluate(context.Background(), `1`, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("a tab of a killed browser: %v, want ErrClosed", err)
	}
}

// assertEnded checks that the process and the reading goroutine have ended.
func assertEnded(t *testing.T, b *Browser) {
	t.Helper()
	select {
	case <-b.exited:
	default:
		t.Error("the process has not been waited for")
	}
	select {
	case <-b.conn.done:
	default:
		t.Error("the connection is still reading")
	}
	if b.cmd.ProcessState == nil {
		t.Error("no process state")
	}
}
