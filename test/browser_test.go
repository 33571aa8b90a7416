package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/internal/devtools"
	"github.com/pinionhq/pinion/internal/testlock"
)

// The browser tests drive the default app's own chat page (server/web) in
// headless Chromium: the Debian package chromium, which .ci/run installs.
// Without it they skip. Screenshots of each step go to the test's temporary
// directory, or to $PINION_SCREENSHOTS when set (kept after the test).
// $PINION_BROWSER_STORAGE picks the storage of the main test (memory by
// default; "sqlite" is the embedded store).

// chromium finds the browser, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := devtools.LookPath()
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium; .ci/run installs it): skipping the browser test of the chat page")
	}
	return path
}

// browser is one headless Chromium for a test, with a fresh profile.
type browser struct {
	t    *testing.T
	b    *devtools.Browser
	dir  string // screenshots
	mu   sync.Mutex
	errs []string // console errors and exceptions of every tab
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromium(t)
	testlock.Heavy(t) // not while a protocol suite times the server
	dir := os.Getenv("PINION_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	// A fresh profile, headless and offline; the tabs in the background
	// keep their timers (both users chat at once): see devtools' flags.
	b, err := devtools.Launch(context.Background(), devtools.Options{Path: exe})
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return &browser{t: t, b: b, dir: dir}
}

// tab is one person's browser tab, in a browser context (profile) of its own.
type tab struct {
	b    *browser
	name string
	page *devtools.Tab
}

func (b *browser) tab(name string, width, height int) *tab {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	page, err := b.b.NewTab(ctx, devtools.TabOptions{OnConsole: func(m devtools.ConsoleMessage) {
		if m.IsError() {
			b.mu.Lock()
			b.errs = append(b.errs, fmt.Sprintf("%s: %s (%s:%d)", name, m.Text, m.URL, m.Line))
			b.mu.Unlock()
		}
	}})
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	p := &tab{b: b, name: name, page: page}
	p.do(viewport(width, height, false))
	return p
}

// consoleErrors fails the test with what the pages reported as errors: a
// script error, a refused Content-Security-Policy, a failed request.
func (b *browser) consoleErrors() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("console: %s", e)
	}
}

// A step is something a person does in a tab.
type step func(context.Context, *devtools.Tab) error

func navigate(url string) step {
	return func(ctx context.Context, p *devtools.Tab) error { return p.Navigate(ctx, url) }
}

func reload() step {
	return func(ctx context.Context, p *devtools.Tab) error { return p.Reload(ctx) }
}

func click(sel string) step {
	return func(ctx context.Context, p *devtools.Tab) error { return p.Click(ctx, sel) }
}

// keys types text into the element sel.
func keys(sel, text string) step {
	return func(ctx context.Context, p *devtools.Tab) error { return p.Type(ctx, sel, text) }
}

func setValue(sel, value string) step {
	return func(ctx context.Context, p *devtools.Tab) error { return p.SetValue(ctx, sel, value) }
}

func run(script string) step {
	return func(ctx context.Context, p *devtools.Tab) error { return p.Evaluate(ctx, script, nil) }
}

func viewport(width, height int, mobile bool) step {
	return func(ctx context.Context, p *devtools.Tab) error {
		return p.SetViewport(ctx, devtools.Viewport{Width: width, Height: height, Mobile: mobile})
	}
}

// do takes the steps, within 15 s; a failure is a screenshot and the end of
// the test.
func (p *tab) do(steps ...step) {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, s := range steps {
		if err := s(ctx, p.page); err != nil {
			p.shot("failed-" + p.name)
			p.b.t.Fatalf("%s: %v", p.name, err)
		}
	}
}

// eval runs a script in the page and decodes its value.
func eval[T any](p *tab, script string) T {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var v T
	if err := p.page.Evaluate(ctx, script, &v); err != nil {
		p.b.t.Fatalf("%s: %s: %v", p.name, script, err)
	}
	return v
}

// waitFor polls a script until it is true.
func (p *tab) waitFor(what, script string) {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.page.WaitFor(ctx, script); err != nil {
		p.shot("failed-" + p.name)
		p.b.t.Fatalf("%s: waiting for %s: %v", p.name, what, err)
	}
}

// waitText waits for an element matching sel whose text contains text.
func (p *tab) waitText(sel, text string) {
	p.b.t.Helper()
	p.waitFor(fmt.Sprintf("%q in %s", text, sel), fmt.Sprintf(
		`[...document.querySelectorAll(%s)].some((e) => e.textContent.includes(%s))`, js(sel), js(text)))
}

func (p *tab) visible(id string) {
	p.b.t.Helper()
	p.waitFor("#"+id+" visible", fmt.Sprintf(`(() => { const e = document.getElementById(%s); return !!e && !e.hidden && e.offsetParent !== null })()`, js(id)))
}

func (p *tab) shot(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The pointer leaves what it last clicked, which would show as hovered.
	if err := p.page.MouseMove(ctx, 0, 0); err != nil {
		p.b.t.Logf("screenshot %s: %v", name, err)
	}
	png, err := p.page.Screenshot(ctx)
	if err != nil {
		p.b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(p.b.dir, name+".png"), png, 0o644); err != nil {
		p.b.t.Error(err)
	}
}

func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// colorScheme emulates the user's preferred colour scheme ("" for none).
func (p *tab) colorScheme(scheme string) {
	p.b.t.Helper()
	p.do(func(ctx context.Context, page *devtools.Tab) error {
		return page.EmulateMedia(ctx, devtools.MediaFeature{Name: "prefers-color-scheme", Value: scheme})
	})
}

func (p *tab) token() string {
	p.b.t.Helper()
	return eval[string](p, `sessionStorage.getItem('pinion-chat/accessToken') || ''`)
}

// signUp fills the sign-up form and waits for the chat.
func (p *tab) signUp(name, email, password string) {
	p.b.t.Helper()
	p.visible("auth")
	p.do(click("#tab-signup"))
	p.visible("field-name")
	p.do(
		run(`for (const id of ['auth-name', 'auth-email', 'auth-password']) document.getElementById(id).value = ''`),
		keys("#auth-name", name),
		keys("#auth-email", email),
		keys("#auth-password", password),
		click("#auth-submit"),
	)
	p.visible("chat")
}

func (p *tab) send(text string) {
	p.b.t.Helper()
	p.do(keys("#message-text", text), click("#send"))
}

// TestChatPage: two people sign up, chat in real time, reload, lose their
// session to a revocation, log out; members of rooms (a "channels" claim)
// see rooms. Every step is a screenshot.
func TestChatPage(t *testing.T) {
	b := newBrowser(t)
	storage := os.Getenv("PINION_BROWSER_STORAGE")
	if storage == "" {
		storage = "memory"
	}
	p := startPinion(t, storage, nil)
	// Rooms come from a "channels" claim that an app adds; here, to people
	// whose email starts with "rooms-", as TestRoomsWithClaims does.
	p.srv.App.Service("authentication").Hooks(pinion.Hooks{Before: pinion.HookMap{"create": {
		func(ctx context.Context, hc *pinion.HookContext) error {
			if email, _ := hc.Data.(map[string]any)["email"].(string); strings.HasPrefix(email, "rooms-") {
				hc.Params.Payload = map[string]any{"channels": []any{"general", "design"}}
			}
			return nil
		},
	}}})
	defer b.consoleErrors()

	ada := b.tab("ada", 1280, 800)
	ada.do(navigate(p.URL))
	ada.visible("auth")
	ada.shot("01-login")

	ada.do(click("#tab-signup"))
	ada.visible("field-name")
	// The account rules, as the server words them: each field at fault, in
	// a sentence (the browser lets both through: "ada@example" is a valid
	// type=email value).
	ada.do(
		keys("#auth-email", "ada@example"),
		keys("#auth-password", "short"),
		click("#auth-submit"),
	)
	ada.visible("auth-error")
	ada.waitText("#auth-error", "Email must be a valid email address.")
	ada.waitText("#auth-error", "Password must be at least 8 characters long.")
	ada.shot("02-signup-refused")
	ada.do(
		run(`for (const id of ['auth-email', 'auth-password']) document.getElementById(id).value = ''`),
		keys("#auth-name", "Ada Lovelace"),
		keys("#auth-email", "ada@example.com"),
		keys("#auth-password", "correct horse"),
	)
	ada.shot("02-signup-form")
	ada.do(click("#auth-submit"))
	ada.visible("chat")
	ada.waitText("#messages-state", "No messages yet")
	ada.waitText("#users-state", "No one else yet")
	if eval[bool](ada, `!document.getElementById('rooms-section').hidden`) {
		t.Error("ada has no channels claim but sees rooms")
	}
	ada.shot("03-ada-empty")

	// Grace's name is markup; it must show as text, everywhere.
	const graceName = `Grace <img src=x onerror=alert(1)>`
	grace := b.tab("grace", 1280, 800)
	grace.do(navigate(p.URL))
	grace.signUp(graceName, "grace@example.com", "battery staple")
	ada.waitText("#users .person-name", graceName) // appears without a reload
	ada.waitText("#people-count", "2")

	ada.send("Hello Grace! Did the analytical engine arrive?")
	grace.waitText("#messages .message-text", "Did the analytical engine arrive?")
	// Two lines, as Shift+Enter types them.
	grace.do(setValue("#message-text", "It did. <b>Not bold</b>, by the way.\nA second line."), click("#send"))
	ada.waitText("#messages .message-text", "<b>Not bold</b>")
	grace.waitText("#messages .message-text", "A second line.")
	ada.send("Wonderful! Let us try it tonight.")
	grace.waitText("#messages .message-text", "Wonderful")
	ada.shot("04-ada-chat")
	grace.shot("05-grace-chat")
	grace.colorScheme("dark")
	grace.shot("05b-grace-chat-dark")
	grace.colorScheme("")
	for _, who := range []*tab{ada, grace} {
		if n := eval[int](who, `document.querySelectorAll('img[src="x"], #messages b, #users b').length`); n != 0 {
			t.Errorf("%s: user content became markup (%d elements)", who.name, n)
		}
	}
	if !eval[bool](ada, `[...document.querySelectorAll('#messages .message-text')].some((e) => e.textContent === 'It did. <b>Not bold</b>, by the way.\nA second line.')`) {
		t.Error("the message of two lines is not one message with its line break")
	}
	if got := eval[string](ada, `document.querySelector('#messages .message:not(.mine) .author').textContent`); got != graceName {
		t.Errorf("ada sees the author as %q, want %q", got, graceName)
	}

	// A reload logs the new page in again with the token of this tab.
	ada.do(reload())
	ada.visible("chat")
	ada.waitText("#messages .message-text", "Wonderful")
	ada.waitText("#me-name", "Ada Lovelace")
	ada.shot("06-ada-reloaded")

	// On a phone the people and rooms are in a drawer.
	grace.do(viewport(390, 844, true))
	grace.visible("open-menu")
	grace.shot("07-grace-phone")
	grace.do(click("#open-menu"))
	// The drawer is open once it has slid in (its transition has ended).
	grace.waitFor("the drawer", `document.getElementById('chat').classList.contains('menu-open') &&
		document.getElementById('sidebar').getAnimations().length === 0 &&
		getComputedStyle(document.getElementById('sidebar')).transform === 'none'`)
	grace.shot("08-grace-phone-menu")
	grace.do(click("#close-menu"))
	grace.do(viewport(1280, 800, false))

	// Grace's login is ended elsewhere (a logout with her token, over REST):
	// her page says so.
	req, _ := http.NewRequest(http.MethodDelete, p.URL+"/authentication", nil)
	req.Header.Set("Authorization", "Bearer "+grace.token())
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("logging Grace out over REST: %v %v", res, err)
	}
	res.Body.Close()
	grace.visible("auth")
	grace.waitText("#auth-notice", "You were logged out")
	if grace.token() != "" {
		t.Error("grace's page kept a revoked token")
	}
	grace.shot("09-grace-revoked")

	// Ada logs out; a reload stays logged out.
	ada.do(click("#logout"))
	ada.visible("auth")
	ada.waitText("#auth-notice", "You have logged out")
	ada.shot("10-ada-logged-out")
	if ada.token() != "" {
		t.Error("ada's page kept the token after logout")
	}
	ada.do(reload())
	ada.visible("auth")

	// Rooms: two members of general and design.
	lin := b.tab("lin", 1280, 800)
	lin.do(navigate(p.URL))
	lin.signUp("Lin", "rooms-lin@example.com", "pw-lin-rooms")
	lin.visible("rooms-section")
	lin.waitText("#rooms .room", "design")
	max := grace // Grace's tab, logged out, is Max's now
	max.signUp("Max Mustermann", "rooms-max@example.com", "pw-max-rooms")
	max.visible("rooms-section")
	lin.do(click(`#rooms .room[data-room="design"]`))
	lin.waitText("#room-title", "design")
	lin.waitText("#messages-state", "No messages in #design yet")
	lin.send("Mock-ups for the new landing page are up.")
	lin.waitText("#messages .message-text", "Mock-ups")
	max.waitText(`#rooms .room[data-room="design"] .badge`, "1") // unread, in Everyone
	max.waitText("#messages .message-text", "Wonderful")         // Everyone holds the earlier chat
	if eval[bool](max, `document.querySelector('#messages').textContent.includes('Mock-ups')`) {
		t.Error("a message of #design shows in Everyone")
	}
	max.shot("11-rooms-unread")
	max.do(click(`#rooms .room[data-room="design"]`))
	max.waitText("#messages .message-text", "Mock-ups")
	max.send("Looks great, Lin.")
	lin.waitText("#messages .message-text", "Looks great")
	lin.shot("12-rooms-design")
	if eval[bool](ada, `!document.getElementById('chat').hidden`) {
		t.Error("ada is logged out but sees the chat")
	}
}

// TestChatPageSessions: a token that expires ends the page's session with a
// message; a renewed token is kept, so a reload after the first token's
// expiry still logs in.
func TestChatPageSessions(t *testing.T) {
	b := newBrowser(t)
	defer b.consoleErrors()

	expiring := startPinion(t, "memory", configDir(t, `{"authentication": {"jwtOptions": {"expiresIn": "2s"}, "leeway": 0}}`))
	renewing := startPinion(t, "memory", configDir(t, `{"authentication": {"jwtOptions": {"expiresIn": "3s"}, "leeway": 0, "renewal": "2s"}}`))

	ex := b.tab("expiring", 390, 844) // a phone
	ex.do(viewport(390, 844, true), navigate(expiring.URL))
	re := b.tab("renewing", 1280, 800)
	re.do(navigate(renewing.URL))

	ex.signUp("Eve", "eve@example.com", "pw-eve-sessions")
	re.signUp("Ren", "ren@example.com", "pw-ren-sessions")
	first := re.token()
	start := time.Now()

	ex.visible("auth") // within 2 s
	ex.waitText("#auth-notice", "Your session expired")
	ex.shot("01-expired")
	if ex.token() != "" {
		t.Error("the page kept an expired token")
	}

	re.waitFor("a renewed token", fmt.Sprintf(`(sessionStorage.getItem('pinion-chat/accessToken') || '') !== %s`, js(first)))
	if d := 3*time.Second - time.Since(start) + 200*time.Millisecond; d > 0 {
		time.Sleep(d) // the first token has expired
	}
	re.do(reload())
	re.visible("chat")
	re.waitText("#me-name", "Ren")
	re.shot("02-renewed-reloaded")
}
