// Package toolbin builds and runs the servers some tests need but Pinion's
// module must not depend on: an embedded FerretDB, a NATS server. Go puts
// every requirement of a dependency's go.mod into the module graph of the
// apps that import it, so a test-only server linked into Pinion's tests would
// reach every app. Instead, each server is a small program kept as source
// (main.go behind a "//go:build ignore" line, with its go.mod and go.sum
// stored as go.mod.txt and go.sum.txt), built once per content and Go
// version into the user's cache directory, and run as a child process.
//
// A program prints the address it listens on as its first line of output and
// stops when its standard input closes, so it never outlives the test binary
// that started it, however that binary ends.
package toolbin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// The files of a program's source directory.
const (
	mainFile = "main.go"
	modFile  = "go.mod.txt"
	sumFile  = "go.sum.txt"
)

// Build returns the path of the program whose source is src, building it on
// first use. Test binaries of several packages may ask at once: one builds
// while the others wait for it (a file lock), and a build is put in place by
// a rename, so no one runs a half-written binary. The build needs the Go
// command and the program's modules (the module proxy, or the module cache).
func Build(ctx context.Context, name string, src fs.FS) (string, error) {
	files := map[string][]byte{}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, f := range []string{mainFile, modFile, sumFile} {
		b, err := fs.ReadFile(src, f)
		if err != nil {
			return "", fmt.Errorf("toolbin: %s: %w", name, err)
		}
		files[f] = b
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	root := filepath.Join(cache, "pinion", "toolbin")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("toolbin: %w", err)
	}
	dir := filepath.Join(root, name+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	bin := filepath.Join(dir, name+exeSuffix())
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	unlock, err := lock(filepath.Join(root, name+".lock"))
	if err != nil {
		return "", fmt.Errorf("toolbin: %w", err)
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built while we waited
	}
	work, err := os.MkdirTemp(root, name+"-build-")
	if err != nil {
		return "", fmt.Errorf("toolbin: %w", err)
	}
	defer os.RemoveAll(work)
	srcDir, outDir := filepath.Join(work, "src"), filepath.Join(work, "out")
	for _, d := range []string{srcDir, outDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", fmt.Errorf("toolbin: %w", err)
		}
	}
	for f, out := range map[string]string{mainFile: "main.go", modFile: "go.mod", sumFile: "go.sum"} {
		b := files[f]
		if f == mainFile {
			b = withoutIgnoreTag(b)
		}
		if err := os.WriteFile(filepath.Join(srcDir, out), b, 0o644); err != nil {
			return "", fmt.Errorf("toolbin: %w", err)
		}
	}
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("toolbin: building %s needs the go command: %w", name, err)
	}
	cmd := exec.CommandContext(ctx, gocmd, "build", "-o", filepath.Join(outDir, name+exeSuffix()), ".")
	cmd.Dir = srcDir
	// The program is its own module: no workspace, and go.sum as written.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("toolbin: building %s: %w\n%s", name, err, out)
	}
	if err := os.Rename(outDir, dir); err != nil {
		if _, statErr := os.Stat(bin); statErr == nil {
			return bin, nil // built by another process where there is no lock
		}
		return "", fmt.Errorf("toolbin: %w", err)
	}
	return bin, nil
}

// withoutIgnoreTag drops the "//go:build ignore" line that keeps main.go out
// of Pinion's own builds (and out of its go.mod).
func withoutIgnoreTag(b []byte) []byte {
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	if strings.TrimSpace(string(first)) == "//go:build ignore" {
		return rest
	}
	return b
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// Process is a running program.
type Process struct {
	// Addr is what the program printed on its first line: the address it
	// listens on.
	Addr string

	name  string
	cmd   *exec.Cmd
	stdin io.Closer
	done  chan struct{} // closed when the process has exited
}

// Start runs the program at bin and waits, within ctx, for its first line of
// output. Each later line the program writes to its standard error goes to
// logf, if set. The process runs until Close (or until this process ends).
func Start(ctx context.Context, bin string, logf func(line string), args ...string) (*Process, error) {
	name := filepath.Base(bin)
	cmd := exec.Command(bin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("toolbin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("toolbin: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("toolbin: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("toolbin: starting %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	var errText bytes.Buffer // the first lines of standard error, for a failed start
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if errText.Len() < 4096 {
				errText.WriteString(sc.Text() + "\n")
			}
			if logf != nil {
				logf(sc.Text())
			}
		}
	}()
	addr := make(chan string, 1)
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			addr <- strings.TrimSpace(sc.Text())
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		cmd.Wait()
		close(p.done)
	}()
	select {
	case p.Addr = <-addr:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("toolbin: %s exited while starting (%v): %s", name, cmd.ProcessState, strings.TrimSpace(errText.String()))
	case <-ctx.Done():
		p.Close()
		return nil, fmt.Errorf("toolbin: starting %s: %w", name, ctx.Err())
	}
}

// Close asks the program to stop by closing its standard input, and waits for
// it; after 10 seconds it kills it. Calling it again does nothing.
func (p *Process) Close() error {
	p.stdin.Close()
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("toolbin: " + p.name + " did not stop within 10s and was killed")
	}
}
