package main

import (
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The registration point of an app: pinion new writes services/services.go
// with these two comments, and generate service adds above each.
const (
	importsMarker  = "// pinion:imports"
	servicesMarker = "// pinion:services"
	registryFile   = "services/services.go"
	databaseFile   = "database/database.go" // database.Stores, which services take
)

// serviceData is what the service templates are executed with.
type serviceData struct {
	Module, Path, Package, Type, Adapter string
	Auth                                 bool
}

// maxName is the longest name a service, a hook or an app may have: the
// name becomes a directory, a file name with _test.go after it, a MongoDB
// collection and, for an app, a MongoDB database, whose names must be
// shorter than 64 bytes.
const maxName = 63

var serviceName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// taken are names a service package cannot have: services/services.go uses
// them, or an app has them already.
var taken = map[string]string{
	"pinion": "services.go imports package pinion", "database": "services.go imports the app's package database",
	"app": "services.go's Register takes app", "db": "services.go's Register takes db", "err": "services.go's Register checks err",
	"services": "it is the registry's own package", "authentication": "authentication is at /authentication",
	"hooks":  "a service's package has its own hooks.go, and the app's package hooks is the generated hooks'",
	"main":   "a package main cannot be imported by services.go",
	"vendor": "the go command reads a vendor directory as vendored modules", "testdata": "the go command ignores testdata directories",
	"internal": "an internal directory limits who may import what is under it",
}

// routes are the paths the app serves besides its services: a service
// there would hide them, or they it.
var routes = map[string]string{
	"docs": "/docs is the app's API documentation", "metrics": "/metrics is the app's Prometheus metrics",
	"healthz": "/healthz is the app's liveness check", "readyz": "/readyz is the app's readiness check",
	"stream": "/stream is the app's event stream", "assets": "/assets serves the documentation page's files",
}

// declared are the names a service's package declares: its record type may
// not be one of them.
var declared = map[string]bool{"Path": true, "Register": true}

// checkServiceName says why name cannot be a service, or "" when it can.
func checkServiceName(name string) string {
	if !serviceName.MatchString(name) {
		return "use lower-case letters and digits, words joined by -, starting with a letter (it is the service's path)"
	}
	if len(name) > maxName {
		return fmt.Sprintf("use at most %d characters (it names a directory, files and a collection)", maxName)
	}
	pkg := strings.ReplaceAll(name, "-", "")
	if token.IsKeyword(pkg) {
		return pkg + " is a Go keyword, which cannot name its package"
	}
	if windowsNames[pkg] {
		return pkg + " is a name Windows keeps for a device, which the go command refuses in an import path"
	}
	if types.Universe.Lookup(pkg) != nil {
		return pkg + " is one of Go's predeclared names, which its package would hide"
	}
	if why, ok := taken[pkg]; ok {
		return why
	}
	if why, ok := routes[name]; ok {
		return why
	}
	if t := typeName(name); declared[t] {
		return "its record type " + t + " would clash with the package's " + t
	}
	return ""
}

// currentApp is the Pinion app around the current directory, made by pinion new.
func currentApp() (*project, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	p, err := findProject(cwd)
	if err != nil {
		return nil, err
	}
	if !exists(filepath.Join(p.root, registryFile)) {
		return nil, refuse("not inside a Pinion app made by pinion new: %s has no %s", p.root, registryFile)
	}
	if !exists(filepath.Join(p.root, databaseFile)) {
		return nil, refuse("%s has no %s, which services made by this pinion use (the app was made by an older pinion new: add the service by hand)", p.root, databaseFile)
	}
	return p, nil
}

// generateService is pinion generate service NAME.
func generateService(args []string, stdout io.Writer) error {
	pos, flags, err := parseFlags("generate service", args, flagSpec{values: []string{"adapter"}, bools: []string{"auth"}})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return refuse("generate service takes one NAME, the service's path (generate service todos), got %d arguments", len(pos))
	}
	name := pos[0]
	if why := checkServiceName(name); why != "" {
		return refuse("bad service name %q: %s", name, why)
	}
	pkg := strings.ReplaceAll(name, "-", "")
	adapter := "sqlite"
	if a, ok := flags["adapter"]; ok {
		if a != "sqlite" && a != "mongodb" && a != "memory" {
			return refuse("generate service: --adapter %s: want sqlite, mongodb or memory", a)
		}
		adapter = a
	}
	p, err := currentApp()
	if err != nil {
		return err
	}
	dir := filepath.Join(p.root, "services", pkg)
	if exists(dir) {
		return refuse("service %s exists already: %s is there (not overwriting it)", name, p.rel(dir))
	}
	registry := filepath.Join(p.root, registryFile)
	if err := p.inside(registry); err != nil {
		return err
	}
	src, err := os.ReadFile(registry)
	if err != nil {
		return err
	}
	if err := registryFree(p, src, name, pkg); err != nil {
		return err
	}
	registered, err := register(src, p.module+"/services/"+pkg, "if _, err := "+pkg+".Register(app, db); err != nil { return err }")
	if err != nil {
		return refuse("%s: %v", p.rel(registry), err)
	}
	data := serviceData{Module: p.module, Path: name, Package: pkg, Type: typeName(name), Adapter: adapter, Auth: flags["auth"] == "true"}
	files, err := renderDir("service", data, func(rel string) string {
		return filepath.Join("services", pkg, strings.Replace(rel, "service", pkg, 1))
	})
	if err != nil {
		return err
	}
	if err := writeNew(p.root, files, p); err != nil {
		return err
	}
	if err := replaceFile(registry, registered); err != nil {
		// Take the service back out: a package the registry does not name
		// is a half-made change.
		for _, f := range files {
			os.Remove(filepath.Join(p.root, f.path))
		}
		os.Remove(dir)
		return err
	}
	for _, f := range files {
		fmt.Fprintf(stdout, "created %s\n", filepath.ToSlash(f.path))
	}
	fmt.Fprintf(stdout, "updated %s: %s.Register serves %s at /%s\n", registryFile, pkg, data.Type, name)
	return nil
}

// registryFree refuses a package name that package services uses already:
// an import of services/services.go (by its name or its alias), or a
// declaration of one of its files. services.go's import of the new package
// would not compile beside it.
func registryFree(p *project, src []byte, name, pkg string) error {
	f, err := parser.ParseFile(token.NewFileSet(), registryFile, src, parser.ImportsOnly)
	if err != nil {
		return refuse("%s does not parse (%v): fix it first", registryFile, err)
	}
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		as := importName(path)
		if imp.Name != nil {
			as = imp.Name.Name
		}
		if as == pkg {
			return refuse("bad service name %q: %s imports %q as %s, the name its package would have", name, registryFile, path, as)
		}
	}
	at, err := declaredIn(filepath.Join(p.root, "services"), pkg)
	if err != nil {
		return err
	}
	if at != "" {
		return refuse("bad service name %q: package services declares %s already, in %s", name, pkg, p.rel(at))
	}
	return nil
}

// importName is the name an import of path has by default: its last
// element, less a major version (…/v2) or a gopkg.in suffix (yaml.v3).
func importName(path string) string {
	elems := strings.Split(path, "/")
	name := elems[len(elems)-1]
	if len(elems) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = elems[len(elems)-2]
	}
	name, _, _ = strings.Cut(name, ".")
	return strings.ReplaceAll(name, "-", "")
}

// register adds an import of path and the statement call to the registry's
// source, above its markers, and returns it gofmt-ed. It refuses a registry
// whose markers are gone, or that has the import already.
func register(src []byte, path, call string) ([]byte, error) {
	lines := strings.Split(string(src), "\n")
	find := func(marker string) (int, error) {
		at := -1
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), marker) {
				if at >= 0 {
					return 0, fmt.Errorf("the comment %q is there twice: keep one, where generated services go", marker)
				}
				at = i
			}
		}
		if at < 0 {
			return 0, fmt.Errorf("no %q comment, which marks where generated services go: put it back, or register the service by hand", marker)
		}
		return at, nil
	}
	quoted := `"` + path + `"`
	for _, l := range lines {
		if strings.TrimSpace(l) == quoted {
			return nil, fmt.Errorf("it imports %s already", quoted)
		}
	}
	imp, err := find(importsMarker)
	if err != nil {
		return nil, err
	}
	reg, err := find(servicesMarker)
	if err != nil {
		return nil, err
	}
	indent := func(i int) string { return lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))] }
	var out []string
	for i, l := range lines {
		switch i {
		case imp:
			out = append(out, indent(i)+quoted)
		case reg:
			out = append(out, indent(i)+call)
		}
		out = append(out, l)
	}
	formatted, err := format.Source([]byte(strings.Join(out, "\n")))
	if err != nil {
		return nil, fmt.Errorf("is not valid Go with the new service (%v): add it by hand", err)
	}
	return formatted, nil
}

// typeName is the record type of a service: "todos" → "Todo",
// "user-profiles" → "UserProfile", "categories" → "Category".
func typeName(name string) string {
	parts := strings.Split(name, "-")
	last := parts[len(parts)-1]
	switch {
	case strings.HasSuffix(last, "ies") && len(last) > 4:
		last = strings.TrimSuffix(last, "ies") + "y"
	case strings.HasSuffix(last, "sses"), strings.HasSuffix(last, "xes"), strings.HasSuffix(last, "ches"), strings.HasSuffix(last, "shes"):
		last = strings.TrimSuffix(last, "es")
	case strings.HasSuffix(last, "s") && !strings.HasSuffix(last, "ss") && len(last) > 3:
		last = strings.TrimSuffix(last, "s")
	}
	parts[len(parts)-1] = last
	return camel(parts)
}

func camel(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		r := []rune(p)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

var hookName = regexp.MustCompile(`^[a-z][a-z0-9]*([-_][a-z0-9]+)*$`)

// hookData is what the hook templates are executed with.
type hookData struct{ Module, Name, Func string }

// generateHook is pinion generate hook NAME.
func generateHook(args []string, stdout io.Writer) error {
	pos, _, err := parseFlags("generate hook", args, flagSpec{})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return refuse("generate hook takes one NAME (generate hook log-calls), got %d arguments", len(pos))
	}
	name := pos[0]
	if !hookName.MatchString(name) {
		return refuse("bad hook name %q: use lower-case letters and digits, words joined by - or _, starting with a letter", name)
	}
	if len(name) > maxName {
		return refuse("bad hook name %q: use at most %d characters (it names a file)", name, maxName)
	}
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' })
	data := hookData{Name: name, Func: camel(words)}
	base := strings.Join(words, "_")
	if strings.HasSuffix(base, "_test") || base == "doc" {
		return refuse("bad hook name %q: hooks/%s.go would not be a hook's file", name, base)
	}
	if windowsNames[base] {
		return refuse("bad hook name %q: %s is a name Windows keeps for a device: hooks/%s.go could not be checked out there, nor published in a module", name, base, base)
	}
	if w := words[len(words)-1]; len(words) > 1 && (goos[w] || goarch[w]) {
		return refuse("bad hook name %q: the go command would build hooks/%s.go only for %s (a file name ending in _%s is a build constraint)", name, base, w, w)
	}
	p, err := currentApp()
	if err != nil {
		return err
	}
	if own := filepath.Join(p.root, "hooks", base+".go"); exists(own) {
		return refuse("%s already exists: not overwriting it (remove or rename it first)", p.rel(own))
	}
	if at, err := declaredIn(filepath.Join(p.root, "hooks"), data.Func, "Test"+data.Func); err != nil {
		return err
	} else if at != "" {
		return refuse("bad hook name %q: package hooks declares %s already, in %s", name, data.Func, p.rel(at))
	}
	data.Module = p.module
	files, err := renderDir("hook", data, func(rel string) string {
		return filepath.Join("hooks", strings.Replace(rel, "hook", base, 1))
	})
	if err != nil {
		return err
	}
	var add []file
	for _, f := range files {
		if f.path == filepath.Join("hooks", "doc.go") && exists(filepath.Join(p.root, f.path)) {
			continue // the package is there
		}
		add = append(add, f)
	}
	if err := writeNew(p.root, add, p); err != nil {
		return err
	}
	for _, f := range add {
		fmt.Fprintf(stdout, "created %s\n", filepath.ToSlash(f.path))
	}
	fmt.Fprintf(stdout, "register it: pinion.WithHooks(pinion.Hooks{Around: pinion.AroundMap{pinion.All: {hooks.%s}}}) (import %q)\n", data.Func, p.module+"/hooks")
	return nil
}

// goos and goarch are the operating systems and architectures that the go
// command reads at the end of a file name (go/build's lists).
var (
	goos = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux",
		"nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")
	goarch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle",
		"mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390",
		"s390x", "sparc", "sparc64", "wasm")
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// declaredIn returns the file of dir's Go package that declares one of
// names at top level, or "" when none does (or dir has no Go files).
func declaredIn(dir string, names ...string) (string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return "", refuse("%s does not parse (%v): fix it first", path, err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && slices.Contains(names, d.Name.Name) {
					return path, nil
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch sp := spec.(type) {
					case *ast.TypeSpec:
						if slices.Contains(names, sp.Name.Name) {
							return path, nil
						}
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							if slices.Contains(names, n.Name) {
								return path, nil
							}
						}
					}
				}
			}
		}
	}
	return "", nil
}

// describe is pinion openapi and pinion types: what the app's command says
// about its registration, which only the app's code knows.
func describe(cmd string, args []string, stdout, stderr io.Writer) error {
	pos, flags, err := parseFlags(cmd, args, flagSpec{values: []string{"o"}})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return refuse("%s takes no arguments, got %q (-o FILE writes to a file)", cmd, pos[0])
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	p, err := findProject(cwd)
	if err != nil {
		return err
	}
	if !exists(filepath.Join(p.root, "cmd", "server")) {
		return refuse("%s has no cmd/server, whose `%s` subcommand pinion %s runs", p.root, cmd, cmd)
	}
	run := []string{"run", "./cmd/server", cmd}
	if out, ok := flags["o"]; ok {
		if !filepath.IsAbs(out) {
			out = filepath.Join(cwd, out)
		}
		run = append(run, "-o", out)
	}
	c := exec.Command("go", run...)
	c.Dir = p.root
	c.Stdout, c.Stderr = stdout, stderr
	if err := c.Run(); err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return &exitError{code: exit.ExitCode()}
		}
		return fmt.Errorf("go %s: %w", strings.Join(run, " "), err)
	}
	return nil
}
