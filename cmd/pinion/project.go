package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// pinionModule is the module path of Pinion.
const pinionModule = "github.com/pinionhq/pinion"

// project is the Go module around the current directory.
type project struct {
	root   string // the directory of go.mod
	module string
}

// findProject finds the go.mod at or above dir.
func findProject(dir string) (*project, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			return &project{root: d, module: modulePath(string(b))}, nil
		}
		if filepath.Dir(d) == d {
			return nil, refuse("not inside a Pinion app: no go.mod in %s or above it (pinion new NAME makes one)", dir)
		}
	}
}

// rel names path relative to the project, for messages.
func (p *project) rel(path string) string {
	if r, err := filepath.Rel(p.root, path); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// inside refuses path when, its symbolic links followed, it is not under
// the project's directory: the generators write only inside the app, even
// where a link in it leads elsewhere.
func (p *project) inside(path string) error {
	root, err := filepath.EvalSymlinks(p.root)
	if err != nil {
		return err
	}
	// The links are in the part of path that exists.
	existing, rest := path, ""
	for !exists(existing) && filepath.Dir(existing) != existing {
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = filepath.Dir(existing)
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return refuse("%s is a link that leads nowhere (%v): not writing there", p.rel(existing), err)
	}
	real = filepath.Join(real, rest)
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return refuse("%s would be written outside the app, at %s (a symbolic link leads there): pinion writes only inside the app", p.rel(path), real)
	}
	return nil
}

// modulePath reads the module line of a go.mod.
func modulePath(gomod string) string {
	for line := range strings.SplitSeq(gomod, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			rest, _, _ = strings.Cut(rest, "//")
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// checkout is a Pinion source tree to build an app with.
type checkout struct {
	dir   string
	gomod string
	gosum string
}

// isCheckout reads dir as a Pinion checkout, or returns nil.
func isCheckout(dir string) *checkout {
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || modulePath(string(b)) != pinionModule {
		return nil
	}
	sum, _ := os.ReadFile(filepath.Join(dir, "go.sum"))
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	return &checkout{dir: abs, gomod: string(b), gosum: string(sum)}
}

// findCheckout is the Pinion an app is made with: the --pinion directory,
// or the checkout this command was built from (go run ./cmd/pinion), or
// the one around the current directory. nil with a version means the
// published module of that version (a go install of it).
func findCheckout(flag, cwd string) (*checkout, string, error) {
	if flag != "" {
		if c := isCheckout(flag); c != nil {
			return c, "", nil
		}
		return nil, "", refuse("--pinion %s: not a Pinion checkout (no go.mod of %s there)", flag, pinionModule)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if c := isCheckout(filepath.Join(filepath.Dir(file), "..", "..")); c != nil {
			return c, "", nil
		}
	}
	for d := cwd; ; d = filepath.Dir(d) {
		if c := isCheckout(d); c != nil {
			return c, "", nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == pinionModule && strings.HasPrefix(bi.Main.Version, "v") {
		return nil, bi.Main.Version, nil
	}
	return nil, "", refuse("cannot tell which Pinion to build with: run pinion from a Pinion checkout, or give --pinion DIR")
}

// goVersion is the go line of a go.mod.
func goVersion(gomod string) string {
	for line := range strings.SplitSeq(gomod, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return strings.TrimPrefix(runtime.Version(), "go")
}

// requires returns the require directives of a go.mod as written (single
// lines and blocks): an app made from a checkout carries Pinion's
// requirements, so that it builds offline without changing its go.mod.
// Replace directives are not copied: an app replaces nothing but Pinion.
func requires(gomod string) []string {
	var out, block []string
	for line := range strings.SplitSeq(gomod, "\n") {
		line = strings.TrimRight(line, " \t")
		trimmed := strings.TrimSpace(line)
		switch {
		case block != nil:
			block = append(block, line)
			if trimmed == ")" {
				out = append(out, strings.Join(block, "\n"))
				block = nil
			}
		case trimmed == "require (":
			block = []string{trimmed}
		case strings.HasPrefix(trimmed, "require "):
			out = append(out, trimmed)
		}
	}
	return out
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func goMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}
