package main

import (
	"fmt"
	"go/build"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// appData is what the app templates are executed with.
type appData struct {
	Name, Module, Database string
	GoVersion, GoMinor     string
	PinionVersion          string
	Replace                string // the checkout go.mod replaces Pinion with; "" for the published module
	Requires               []string
}

var (
	appName    = regexp.MustCompile(`^[a-z][a-z0-9]*([-_][a-z0-9]+)*$`)
	modulePart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]*$`)
)

// isStd reports whether elem is the first element of a path in Go's
// standard library (go, net, cmd, internal, vendor…): a module of that name
// does not build, since its packages' paths would be the library's.
func isStd(elem string) bool {
	if elem == "" || build.Default.GOROOT == "" {
		return false
	}
	return exists(filepath.Join(build.Default.GOROOT, "src", elem))
}

// newApp is pinion new NAME: a runnable app in ./NAME.
func newApp(args []string, stdout io.Writer) error {
	pos, flags, err := parseFlags("new", args, flagSpec{values: []string{"module", "pinion"}})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return refuse("new takes one NAME, the app's directory (pinion new myapp), got %d arguments", len(pos))
	}
	target := pos[0] // a name, or a path ending in one
	name := filepath.Base(target)
	if !appName.MatchString(name) {
		return refuse("bad app name %q: use lower-case letters, digits, - and _, starting with a letter (it names the directory and the module)", name)
	}
	module := name
	if m, ok := flags["module"]; ok {
		for _, part := range strings.Split(m, "/") {
			if !modulePart.MatchString(part) || strings.HasSuffix(part, ".") {
				return refuse("bad module path %q (like example.com/%s)", m, name)
			}
		}
		module = m
	}
	if first, _, _ := strings.Cut(module, "/"); isStd(first) {
		return refuse("bad module path %q: %s is a path of Go's standard library, whose packages its imports would name (choose another name, or --module example.com/%s)", module, first, name)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	dir := target
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(cwd, dir)
	}
	if exists(dir) {
		return refuse("%s already exists: not writing into it (choose another name, or remove it)", target)
	}
	if !exists(filepath.Dir(dir)) {
		return refuse("%s does not exist: make it first, or choose another place", filepath.Dir(target))
	}
	co, version, err := findCheckout(flags["pinion"], cwd)
	if err != nil {
		return err
	}
	data := appData{Name: name, Module: module, Database: strings.ReplaceAll(name, "-", "_")}
	var gosum string
	if co != nil {
		data.GoVersion = goVersion(co.gomod)
		data.PinionVersion = "v0.0.0-00010101000000-000000000000"
		data.Replace = filepath.ToSlash(co.dir)
		if strings.ContainsAny(data.Replace, " \t\"'`\\") {
			data.Replace = strconv.Quote(data.Replace) // go.mod reads a path with spaces only quoted
		}
		data.Requires = requires(co.gomod)
		gosum = co.gosum
	} else {
		data.GoVersion = goVersion("")
		data.PinionVersion = version
	}
	data.GoMinor = goMinor(data.GoVersion)

	files, err := renderDir("app", data, nil)
	if err != nil {
		return err
	}
	if gosum != "" {
		files = append(files, file{path: "go.sum", data: []byte(gosum)})
		sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	}
	// The app is made in a temporary directory beside its place and moved
	// there whole: a failure leaves nothing behind.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".pinion-new-"+name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // nothing left there once renamed
	if err := writeNew(tmp, files, &project{root: tmp}); err != nil {
		return err
	}
	tidied := true
	if co == nil {
		// The published module: let go find what it needs.
		cmd := exec.Command("go", "mod", "tidy")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go mod tidy in %s: %v: %s", name, err, out)
		}
	} else {
		// A checkout: go.mod carries all of Pinion's requirements, which
		// build offline; go mod tidy, from the module cache alone, keeps
		// only those the app needs. Without the network it may lack a
		// module (tidy reads the tests of the app's dependencies too):
		// the app then keeps them all, and builds as it is.
		cmd := exec.Command("go", "mod", "tidy")
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
		tidied = cmd.Run() == nil
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	from := "Pinion " + data.PinionVersion
	if co != nil {
		from = "Pinion from " + co.dir
	}
	fmt.Fprintf(stdout, "created %s/ (module %s, %s):\n", target, module, from)
	for _, f := range files {
		fmt.Fprintf(stdout, "  %s\n", f.path)
	}
	if !tidied {
		fmt.Fprintf(stdout, "\ngo.mod requires all of Pinion's dependencies: go mod tidy could not run offline (run it once online to keep only the app's)\n")
	}
	fmt.Fprintf(stdout, "\nNext:\n  cd %s\n  go run ./cmd/server      # http://localhost:3030\n  go test ./...\n", target)
	return nil
}
