package devtools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// pollInterval is how often WaitFor evaluates its condition.
const pollInterval = 50 * time.Millisecond

// TabOptions configure [Browser.NewTab].
type TabOptions struct {
	// OnConsole, if set, receives every message that the page reports to
	// its console, in order. It runs on the goroutine that reads the
	// browser's messages: it must return quickly and must not call the
	// tab.
	OnConsole func(ConsoleMessage)
}

// A Tab is a page of the browser, in a browser context of its own: it shares
// no cookies or storage with the other tabs. Its methods are safe for
// concurrent use, and each takes a context that bounds it.
type Tab struct {
	conn      *conn
	contextID string // the browser context
	targetID  string
	sessionID string
	frameID   string // the main frame
	onConsole func(ConsoleMessage)

	mu      sync.Mutex
	inits   []string        // the loaders of the main frame's documents, in order
	loaded  map[string]bool // the loaders whose document has fired load
	changed chan struct{}   // closed, and replaced, when inits or loaded change
}

// NewTab opens a blank tab, in a window and a browser context of its own (so
// that it is visible, and so that each tab is a separate visitor).
func (b *Browser) NewTab(ctx context.Context, opts TabOptions) (_ *Tab, err error) {
	t := &Tab{
		conn:      b.conn,
		onConsole: opts.OnConsole,
		loaded:    make(map[string]bool),
		changed:   make(chan struct{}),
	}
	var bc struct {
		ID string `json:"browserContextId"`
	}
	if err := b.conn.call(ctx, "", "Target.createBrowserContext", map[string]any{"disposeOnDetach": true}, &bc); err != nil {
		return nil, err
	}
	t.contextID = bc.ID
	defer func() {
		if err != nil { // the browser context goes, with its tab
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			t.Close(ctx)
		}
	}()
	var target struct {
		ID string `json:"targetId"`
	}
	if err := b.conn.call(ctx, "", "Target.createTarget", map[string]any{
		"url": "about:blank", "browserContextId": t.contextID, "newWindow": true,
	}, &target); err != nil {
		return nil, err
	}
	t.targetID = target.ID
	var session struct {
		ID string `json:"sessionId"`
	}
	if err := b.conn.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.targetID, "flatten": true}, &session); err != nil {
		return nil, err
	}
	t.sessionID = session.ID
	b.conn.listen(t.sessionID, t.handle)

	for _, method := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		if err := t.Call(ctx, method, nil, nil); err != nil {
			return nil, err
		}
	}
	var tree struct {
		FrameTree struct {
			Frame struct {
				ID string `json:"id"`
			} `json:"frame"`
		} `json:"frameTree"`
	}
	if err := t.Call(ctx, "Page.getFrameTree", nil, &tree); err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.frameID = tree.FrameTree.Frame.ID
	t.mu.Unlock()
	if err := t.Call(ctx, "Page.setLifecycleEventsEnabled", map[string]any{"enabled": true}, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// Close closes the tab and its browser context.
func (t *Tab) Close(ctx context.Context) error {
	t.conn.listen(t.sessionID, nil)
	return t.conn.call(ctx, "", "Target.disposeBrowserContext", map[string]any{"browserContextId": t.contextID}, nil)
}

// Call sends a command of the protocol to the tab and decodes its result
// into result, unless result is nil. An error that the browser answers with
// is an [*Error].
func (t *Tab) Call(ctx context.Context, method string, params, result any) error {
	return t.conn.call(ctx, t.sessionID, method, params, result)
}

// handle receives the tab's events.
func (t *Tab) handle(method string, params json.RawMessage) {
	switch method {
	case "Page.lifecycleEvent":
		var ev struct {
			FrameID  string `json:"frameId"`
			LoaderID string `json:"loaderId"`
			Name     string `json:"name"`
		}
		if json.Unmarshal(params, &ev) != nil {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if ev.FrameID != t.frameID {
			return
		}
		switch ev.Name {
		case "init":
			t.inits = append(t.inits, ev.LoaderID)
		case "load":
			t.loaded[ev.LoaderID] = true
		default:
			return
		}
		close(t.changed)
		t.changed = make(chan struct{})
	case "Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded":
		if t.onConsole == nil {
			return
		}
		if m, err := decodeConsole(method, params); err == nil {
			t.onConsole(m)
		}
	}
}

// Navigate loads url in the tab and waits for its load event.
func (t *Tab) Navigate(ctx context.Context, url string) error {
	var res struct {
		LoaderID  string `json:"loaderId"`
		ErrorText string `json:"errorText"`
	}
	if err := t.Call(ctx, "Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return err
	}
	if res.ErrorText != "" {
		return fmt.Errorf("devtools: navigating to %s: %s", url, res.ErrorText)
	}
	if res.LoaderID == "" {
		return nil // a navigation within the document, which loads nothing
	}
	return t.waitLoad(ctx, func() (string, bool) { return res.LoaderID, true })
}

// Reload reloads the page and waits for its load event.
func (t *Tab) Reload(ctx context.Context) error {
	t.mu.Lock()
	n := len(t.inits)
	t.mu.Unlock()
	if err := t.Call(ctx, "Page.reload", nil, nil); err != nil {
		return err
	}
	// The reloaded document is the first to begin after the command.
	return t.waitLoad(ctx, func() (string, bool) {
		if len(t.inits) > n {
			return t.inits[n], true
		}
		return "", false
	})
}

// waitLoad waits until the document of the loader that which names (under
// t.mu; false while it is not known yet) has fired its load event.
func (t *Tab) waitLoad(ctx context.Context, which func() (loader string, ok bool)) error {
	for {
		t.mu.Lock()
		loader, ok := which()
		done := ok && t.loaded[loader]
		changed := t.changed
		t.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("devtools: waiting for the page to load: %w", ctx.Err())
		case <-t.conn.done:
			return ErrClosed
		}
	}
}

// remoteObject is a value of the page (Runtime.RemoteObject).
type remoteObject struct {
	Type                string          `json:"type"`
	Subtype             string          `json:"subtype"`
	Value               json.RawMessage `json:"value"`
	UnserializableValue string          `json:"unserializableValue"`
	Description         string          `json:"description"`
	ObjectID            string          `json:"objectId"`
}

// text is the value as the console shows it.
func (o *remoteObject) text() string {
	switch {
	case o.Type == "string":
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
	case o.UnserializableValue != "":
		return o.UnserializableValue
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return string(o.Value)
	}
	return o.Type
}

// exceptionDetails tell what a script threw (Runtime.ExceptionDetails).
type exceptionDetails struct {
	Text       string        `json:"text"` // "Uncaught", for one
	LineNumber int           `json:"lineNumber"`
	URL        string        `json:"url"`
	Exception  *remoteObject `json:"exception"`
	StackTrace *stackTrace   `json:"stackTrace"`
}

// message is the exception's text and the first line of its description
// ("Uncaught TypeError: x is not a function"), without the stack.
func (d *exceptionDetails) message() string {
	if d.Exception == nil {
		return d.Text
	}
	desc, _, _ := strings.Cut(d.Exception.text(), "\n")
	return strings.TrimSpace(d.Text + " " + desc)
}

type stackTrace struct {
	CallFrames []struct {
		URL        string `json:"url"`
		LineNumber int    `json:"lineNumber"`
	} `json:"callFrames"`
}

// Evaluate runs a script in the page and decodes its value, as JSON, into
// result (unless result is nil). A promise is awaited. A script that throws,
// or a value that JSON cannot hold (undefined, NaN, a BigInt) for a result,
// is an error.
func (t *Tab) Evaluate(ctx context.Context, script string, result any) error {
	var res struct {
		Result           remoteObject      `json:"result"`
		ExceptionDetails *exceptionDetails `json:"exceptionDetails"`
	}
	if err := t.Call(ctx, "Runtime.evaluate", map[string]any{
		"expression": script, "returnByValue": true, "awaitPromise": true,
	}, &res); err != nil {
		return err
	}
	if d := res.ExceptionDetails; d != nil {
		return fmt.Errorf("devtools: %s: %s", abbreviate(script), d.message())
	}
	if result == nil {
		return nil
	}
	switch v := res.Result; {
	case v.Type == "undefined":
		return fmt.Errorf("devtools: %s is undefined", abbreviate(script))
	case v.UnserializableValue != "":
		return fmt.Errorf("devtools: %s is %s, which JSON cannot hold", abbreviate(script), v.UnserializableValue)
	}
	if err := json.Unmarshal(res.Result.Value, result); err != nil {
		return fmt.Errorf("devtools: %s: %w", abbreviate(script), err)
	}
	return nil
}

// abbreviate shortens a script for an error message.
func abbreviate(script string) string {
	script = strings.Join(strings.Fields(script), " ")
	if r := []rune(script); len(r) > 80 {
		script = string(r[:79]) + "…"
	}
	return script
}

// WaitFor evaluates script until it is true, or until ctx is done. An error
// of the script (for a document that is not there yet, say) counts as false;
// the last one is in the error when ctx ends.
func (t *Tab) WaitFor(ctx context.Context, script string) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		var ok bool
		err := t.Evaluate(ctx, script, &ok)
		switch {
		case err == nil && ok:
			return nil
		case errors.Is(err, ErrClosed):
			return err
		case err != nil && ctx.Err() == nil:
			last = err
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("devtools: waiting for %s: %w (last: %v)", abbreviate(script), ctx.Err(), last)
			}
			return fmt.Errorf("devtools: waiting for %s: %w", abbreviate(script), ctx.Err())
		}
	}
}

// WaitVisible waits until an element matches the CSS selector and has a box
// on the page: it is not display: none, nor inside an element that is, nor
// visibility: hidden.
func (t *Tab) WaitVisible(ctx context.Context, selector string) error {
	return t.WaitFor(ctx, fmt.Sprintf(`(() => {
		const e = document.querySelector(%s)
		return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'
	})()`, quote(selector)))
}

// element calls f with the first element that matches selector, as a
// remote object that lives for the duration of f.
func (t *Tab) element(ctx context.Context, selector string, f func(objectID string) error) error {
	var res struct {
		Result           remoteObject      `json:"result"`
		ExceptionDetails *exceptionDetails `json:"exceptionDetails"`
	}
	if err := t.Call(ctx, "Runtime.evaluate", map[string]any{
		"expression": "document.querySelector(" + quote(selector) + ")",
	}, &res); err != nil {
		return err
	}
	if d := res.ExceptionDetails; d != nil {
		return fmt.Errorf("devtools: selector %s: %s", selector, d.message())
	}
	id := res.Result.ObjectID
	if id == "" {
		return fmt.Errorf("devtools: no element matches %s", selector)
	}
	err := f(id)
	return errors.Join(err, t.Call(ctx, "Runtime.releaseObject", map[string]any{"objectId": id}, nil))
}

// Click waits until an element that matches selector is visible, scrolls it
// into view and clicks its centre with the mouse, as a person does: the
// click goes to whatever is on top there, and the page sees the pointer
// move, the button go down and come up.
func (t *Tab) Click(ctx context.Context, selector string) error {
	if err := t.WaitVisible(ctx, selector); err != nil {
		return err
	}
	return t.element(ctx, selector, func(id string) error {
		if err := t.Call(ctx, "DOM.scrollIntoViewIfNeeded", map[string]any{"objectId": id}, nil); err != nil {
			return err
		}
		var res struct {
			Quads [][]float64 `json:"quads"`
		}
		if err := t.Call(ctx, "DOM.getContentQuads", map[string]any{"objectId": id}, &res); err != nil {
			return err
		}
		x, y, ok := centre(res.Quads)
		if !ok {
			return fmt.Errorf("devtools: %s has no area to click", selector)
		}
		if err := t.MouseMove(ctx, x, y); err != nil {
			return err
		}
		for _, typ := range []string{"mousePressed", "mouseReleased"} {
			if err := t.Call(ctx, "Input.dispatchMouseEvent", map[string]any{
				"type": typ, "x": x, "y": y, "button": "left", "clickCount": 1,
			}, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// centre is the centre of the first quad (x1, y1, ... x4, y4) with an area.
func centre(quads [][]float64) (x, y float64, ok bool) {
	for _, q := range quads {
		if len(q) != 8 {
			continue
		}
		// The shoelace formula.
		var area float64
		for i := 0; i < 8; i += 2 {
			j := (i + 2) % 8
			area += q[i]*q[j+1] - q[j]*q[i+1]
		}
		if area == 0 {
			continue
		}
		return (q[0] + q[2] + q[4] + q[6]) / 4, (q[1] + q[3] + q[5] + q[7]) / 4, true
	}
	return 0, 0, false
}

// Type waits until an element that matches selector is visible, focuses it
// and types text, as a keyboard does: the text arrives as input
// (Input.insertText), and each "\n" is the Enter key.
func (t *Tab) Type(ctx context.Context, selector, text string) error {
	if err := t.WaitVisible(ctx, selector); err != nil {
		return err
	}
	if err := t.element(ctx, selector, func(id string) error {
		return t.Call(ctx, "DOM.focus", map[string]any{"objectId": id}, nil)
	}); err != nil {
		return err
	}
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			if err := t.pressEnter(ctx); err != nil {
				return err
			}
		}
		if line == "" {
			continue
		}
		if err := t.Call(ctx, "Input.insertText", map[string]any{"text": line}, nil); err != nil {
			return err
		}
	}
	return nil
}

// pressEnter presses and releases the Enter key.
func (t *Tab) pressEnter(ctx context.Context) error {
	key := map[string]any{
		"type": "keyDown", "key": "Enter", "code": "Enter",
		"windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13,
		"text": "\r", "unmodifiedText": "\r",
	}
	if err := t.Call(ctx, "Input.dispatchKeyEvent", key, nil); err != nil {
		return err
	}
	key["type"] = "keyUp"
	delete(key, "text")
	delete(key, "unmodifiedText")
	return t.Call(ctx, "Input.dispatchKeyEvent", key, nil)
}

// SetValue waits until an element matches selector and sets its value
// property, as a script does: no key or input event fires.
func (t *Tab) SetValue(ctx context.Context, selector, value string) error {
	return t.WaitFor(ctx, fmt.Sprintf(`(() => {
		const e = document.querySelector(%s)
		if (!e) return false
		e.value = %s
		return true
	})()`, quote(selector), quote(value)))
}

// MouseMove moves the mouse pointer to x, y (CSS pixels from the top left
// corner of the viewport).
func (t *Tab) MouseMove(ctx context.Context, x, y float64) error {
	return t.Call(ctx, "Input.dispatchMouseEvent", map[string]any{"type": "mouseMoved", "x": x, "y": y}, nil)
}

// A Viewport is the size of the page's window, in CSS pixels, and what kind
// of device shows it.
type Viewport struct {
	Width, Height int
	// Mobile emulates a phone: the page's <meta name="viewport"> applies,
	// and scrollbars overlay the page.
	Mobile bool
	// Touch emulates a touch screen (the page sees touch events and
	// (pointer: coarse)).
	Touch bool
}

// SetViewport emulates a viewport (Emulation.setDeviceMetricsOverride and
// Emulation.setTouchEmulationEnabled), at one device pixel per CSS pixel.
func (t *Tab) SetViewport(ctx context.Context, v Viewport) error {
	if err := t.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": v.Width, "height": v.Height, "deviceScaleFactor": 1, "mobile": v.Mobile,
	}, nil); err != nil {
		return err
	}
	return t.Call(ctx, "Emulation.setTouchEmulationEnabled", map[string]any{"enabled": v.Touch}, nil)
}

// A MediaFeature is a CSS media feature to emulate, such as
// prefers-color-scheme: dark. An empty Value stops emulating it.
type MediaFeature struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// EmulateMedia emulates media features (Emulation.setEmulatedMedia); each
// call replaces the features of the last.
func (t *Tab) EmulateMedia(ctx context.Context, features ...MediaFeature) error {
	if features == nil {
		features = []MediaFeature{}
	}
	return t.Call(ctx, "Emulation.setEmulatedMedia", map[string]any{"features": features}, nil)
}

// Screenshot captures the viewport as a PNG image.
func (t *Tab) Screenshot(ctx context.Context) ([]byte, error) {
	var res struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	if err := t.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "fromSurface": true}, &res); err != nil {
		return nil, err
	}
	return res.Data, nil
}

// quote is s as a JavaScript string literal.
func quote(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
