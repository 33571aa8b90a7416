package serve

import (
	"context"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
)

// A PORT that is no port number stops an app's command (Main) with exit
// status 2 and a message naming PORT, before the app is built: it used to
// build and set the app up, then fail to listen with status 1 and a lookup
// error ("http" even listened on port 80). (Finding.)
func TestReviewConfigMainPort(t *testing.T) {
	// Cancelled: a command that gets as far as serving stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, port := range []string{"abc", "70000", "-1", "http", "https", " 80", "+80", "080", "0x50", "1e3", "3030:3030", "::1",
		strings.Repeat("9", 1000)} {
		t.Setenv("PORT", port)
		built := false
		newApp := func() (*pinion.App, error) { built = true; return notesApp() }
		var stdout, stderr strings.Builder
		code := command(ctx, nil, &stdout, &stderr, newApp, Options{})
		errs := stderr.String()
		if code != 2 || stdout.Len() != 0 || !strings.Contains(errs, "PORT=") || strings.Count(errs, "\n") != 1 || len(errs) > 200 || built {
			t.Errorf("PORT=%.20q: status %d, built %v, stderr %q", port, code, built, errs)
		}
	}
	for _, port := range []string{"abc", "70000"} { // Run would serve until a signal: only ports it cannot listen on
		t.Setenv("PORT", port)
		if err := Run(pinion.New(), Options{}); err == nil || !strings.Contains(err.Error(), "PORT=") {
			t.Errorf("Run with PORT=%s: %v", port, err)
		}
	}
	// A valid PORT gets as far as serving.
	t.Setenv("PORT", "0")
	var stdout, stderr strings.Builder
	if code := command(ctx, nil, &stdout, &stderr, notesApp, Options{}); code != 0 {
		t.Errorf("PORT=0: status %d, %s", code, stderr.String())
	}
}
