package e2e

import "testing"

// The API reference at /docs renders the app's own OpenAPI document in
// headless Chromium, offline (its assets are in the binary), and lists every
// service of the chat app.
func TestDocsPage(t *testing.T) {
	b := newBrowser(t)
	p := startPinion(t, "memory", nil)
	page := b.tab("docs", 1280, 1400)
	page.do(navigate(p.URL + "/docs/"))
	for _, tag := range []string{"users", "messages", "rooms", "authentication", "authentication/tickets"} {
		page.waitText(".opblock-tag", tag)
	}
	page.waitText(".info .title", "Pinion chat")
	page.shot("01-docs")
	// An operation opens with its parameters and the Feathers error shape.
	page.do(click("#operations-messages-findMessages .opblock-summary"))
	page.waitText(".opblock-body", "$limit")
	page.shot("02-find-messages")
	b.consoleErrors()
}
