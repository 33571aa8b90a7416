package main

import (
	"context"
	"fmt"
	"go/build"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unicode"
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

// mustQuote reports whether go.mod reads s only quoted, as
// golang.org/x/mod/modfile.MustQuote says (and with a backslash, which
// strconv.Quote keeps): a space, a quote, one of ()[]{} or a comma, a
// character that is not printable, or the start of a comment.
func mustQuote(s string) bool {
	if s == "" || strings.Contains(s, "//") || strings.Contains(s, "/*") {
		return true
	}
	return strings.ContainsFunc(s, func(r rune) bool {
		return strings.ContainsRune(" \"'`\\()[]{},", r) || !unicode.IsPrint(r)
	})
}

// windowsNames are the file names Windows keeps for devices, which the go
// command refuses, on every system, as the first part (before a dot) of an
// element of a module or import path.
var windowsNames = setOf("con", "prn", "aux", "nul",
	"com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
	"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9")

// checkModulePath says why the go command would refuse module as the path
// of a main module, or why an app with that path would not build, or "".
// It is stricter than the go command where that keeps it simple: each
// element starts with a letter or a digit.
func checkModulePath(module string) string {
	for _, elem := range strings.Split(module, "/") {
		short, _, _ := strings.Cut(elem, ".") // what Windows reads as the name
		tilde := strings.LastIndex(short, "~")
		switch {
		case !modulePart.MatchString(elem) || strings.HasSuffix(elem, "."):
			return "each element of a module path is letters, digits and -._~, starting with a letter or a digit and not ending with a dot"
		case windowsNames[strings.ToLower(short)]:
			return short + " is a name Windows keeps for a device, which the go command refuses in a module path"
		case tilde >= 0 && tilde < len(short)-1 && strings.Trim(short[tilde+1:], "0123456789") == "":
			return "the go command refuses an element that ends in a tilde and digits, as Windows' short names do (" + short + ")"
		}
	}
	if first, _, _ := strings.Cut(module, "/"); isStd(first) {
		return first + " is a path of Go's standard library, whose packages its imports would name"
	}
	if module == pinionModule || strings.HasPrefix(module, pinionModule+"/") {
		return "it is within Pinion's own module path, whose packages the app's would be taken for"
	}
	return ""
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
	if len(name) > maxName {
		return refuse("bad app name %q: use at most %d characters (it names the app's MongoDB database too)", name, maxName)
	}
	module := name
	if m, ok := flags["module"]; ok {
		module = m
	}
	if why := checkModulePath(module); why != "" {
		return refuse("bad module path %q: %s (choose another name, or --module example.com/%s)", module, why, name)
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
	if info, err := os.Stat(filepath.Dir(dir)); err != nil {
		return refuse("%s does not exist: make it first, or choose another place", filepath.Dir(target))
	} else if !info.IsDir() {
		return refuse("%s is not a directory: choose another place", filepath.Dir(target))
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
		if mustQuote(data.Replace) {
			data.Replace = strconv.Quote(data.Replace)
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
	// there whole: a failure leaves nothing behind. So does an interrupt
	// (Ctrl-C while go mod tidy runs), which stops the command, not the
	// process, so that the temporary directory is removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
		cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil && ctx.Err() == nil {
			return fmt.Errorf("go mod tidy in %s: %v: %s", name, err, out)
		}
	} else {
		// A checkout: go.mod carries all of Pinion's requirements, which
		// build offline; go mod tidy, from the module cache alone, keeps
		// only those the app needs. Without the network it may lack a
		// module (tidy reads the tests of the app's dependencies too):
		// the app then keeps them all, and builds as it is.
		cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
		tidied = cmd.Run() == nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %s was not made", target)
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
