// Package devtools drives a headless Chromium over the Chrome DevTools
// Protocol, for the tests of Pinion's web pages.
//
// The browser runs with --remote-debugging-pipe: it reads commands on its
// file descriptor 3 and writes answers and events on its file descriptor 4,
// each message a JSON object ended by a NUL byte. There is no port to find
// and no websocket, so the package needs nothing but the standard library,
// and a module that uses Pinion gets no test-only dependency from it.
//
// The package does what the tests need and no more: open a tab (each in a
// browser context of its own, as a separate person), navigate, evaluate
// scripts, wait for a condition, click, type, emulate a viewport or a media
// feature, take a screenshot and hear what the page reports to its console.
// [Tab.Call] sends any other command of the protocol.
package devtools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// flags are the command-line flags of every browser: headless, quiet and
// offline, as a test needs it.
var flags = [...]string{
	"--headless",
	"--hide-scrollbars",
	"--mute-audio",
	// The sandbox needs privileges a container lacks (and root cannot have
	// it); a test loads only the pages it serves.
	"--no-sandbox",
	"--disable-gpu",
	"--enable-unsafe-swiftshader",
	"--no-first-run",
	"--no-default-browser-check",
	// Nothing may reach for the (closed) network at start-up.
	"--disable-quic",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-default-apps",
	"--disable-extensions",
	"--disable-dev-shm-usage",
	// Tabs in the background keep their timers: several people use a page
	// at once.
	"--disable-background-timer-throttling",
	"--disable-backgrounding-occluded-windows",
	"--disable-renderer-backgrounding",
	"--remote-debugging-pipe",
}

// Options configure [Launch].
type Options struct {
	// Path is the browser's executable; "" finds it with [LookPath].
	Path string
	// UserDataDir is the browser's profile; "" is a new temporary
	// directory, which Close removes.
	UserDataDir string
	// Flags are more command-line flags, such as "--lang=de".
	Flags []string
	// Stderr receives the browser's standard output and error; nil
	// discards them (their end is in the error of a launch that fails).
	Stderr io.Writer
}

// LookPath finds Chromium in $PATH, as "chromium" (Debian) or
// "chromium-browser".
func LookPath() (string, error) {
	var err error
	for _, name := range []string{"chromium", "chromium-browser"} {
		var path string
		if path, err = exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", err
}

// A Browser is a running Chromium. Its methods are safe for concurrent use.
type Browser struct {
	cmd     *exec.Cmd
	conn    *conn
	tempDir string      // the profile that Close removes, if Launch made it
	stderr  *tailWriter // the end of the browser's standard error
	exited  chan struct{}
	waitErr error // of the process, once exited is closed

	closeOnce sync.Once
	closeErr  error
}

// Launch starts a browser. It lives until Close, or until ctx is done, which
// kills it. Launch returns once the browser answers.
func Launch(ctx context.Context, opts Options) (_ *Browser, err error) {
	path := opts.Path
	if path == "" {
		if path, err = LookPath(); err != nil {
			return nil, err
		}
	}
	b := &Browser{stderr: &tailWriter{max: 4096}, exited: make(chan struct{})}
	dir := opts.UserDataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "devtools-profile-"); err != nil {
			return nil, err
		}
		b.tempDir = dir
		defer func() {
			if err != nil {
				os.RemoveAll(dir)
			}
		}()
	}

	// The browser reads commands from toBrowser and writes to fromBrowser.
	toBrowserR, toBrowserW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	fromBrowserR, fromBrowserW, err := os.Pipe()
	if err != nil {
		toBrowserR.Close()
		toBrowserW.Close()
		return nil, err
	}

	args := make([]string, 0, len(flags)+len(opts.Flags)+2)
	args = append(args, flags[:]...)
	args = append(args, "--user-data-dir="+dir)
	args = append(args, opts.Flags...)
	args = append(args, "about:blank")
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr io.Writer = b.stderr
	if opts.Stderr != nil {
		stderr = io.MultiWriter(opts.Stderr, b.stderr)
	}
	cmd.Stderr = stderr
	cmd.Stdout = stderr
	cmd.WaitDelay = 5 * time.Second // for a child that holds stderr open
	if err := prepare(cmd, toBrowserR, fromBrowserW); err != nil {
		return nil, errors.Join(err, toBrowserR.Close(), toBrowserW.Close(), fromBrowserR.Close(), fromBrowserW.Close())
	}
	err = cmd.Start()
	// The browser has its own copies of its ends: ours must go, so that the
	// pipe ends when the browser does.
	toBrowserR.Close()
	fromBrowserW.Close()
	if err != nil {
		toBrowserW.Close()
		fromBrowserR.Close()
		return nil, fmt.Errorf("devtools: starting %s: %w", path, err)
	}
	b.cmd = cmd
	b.conn = newConn(toBrowserW, fromBrowserR)
	go func() {
		b.waitErr = cmd.Wait()
		b.conn.close()
		close(b.exited)
	}()

	var version struct {
		Product string `json:"product"`
	}
	if err := b.conn.call(ctx, "", "Browser.getVersion", nil, &version); err != nil {
		b.kill()
		<-b.exited
		b.removeTemp()
		return nil, fmt.Errorf("devtools: %s does not answer: %w (%v)%s", path, err, b.waitErr, b.stderr)
	}
	return b, nil
}

// Close closes the browser (Browser.close) and waits for it to exit; it
// kills a browser that does not. It removes the temporary profile.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := b.conn.call(ctx, "", "Browser.close", nil, nil)
		if errors.Is(err, ErrClosed) {
			err = nil // the browser went before it answered
		}
		select {
		case <-b.exited:
		case <-ctx.Done():
			err = errors.Join(err, errors.New("devtools: the browser did not exit after Browser.close; killed it"))
			b.kill()
			<-b.exited
		}
		b.closeErr = errors.Join(err, b.removeTemp())
	})
	return b.closeErr
}

// kill ends the browser and every process it started.
func (b *Browser) kill() {
	if b.cmd.Cancel != nil {
		b.cmd.Cancel()
	}
}

func (b *Browser) removeTemp() error {
	if b.tempDir == "" {
		return nil
	}
	return os.RemoveAll(b.tempDir)
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

// String is the text kept, as the end of an error message.
func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return ""
	}
	return "\nstandard error of the browser:\n" + string(w.buf)
}
