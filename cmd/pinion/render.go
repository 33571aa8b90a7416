package main

import (
	"bytes"
	"embed"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/template"
)

// templates are the files the generators write, by directory: app (pinion
// new), service and hook. Names end in .tmpl; gitignore and dockerignore
// become dotfiles. Actions are written <<…>>, which Go code does not use.
//
//go:embed templates
var templates embed.FS

// file is one file to write, relative to a directory.
type file struct {
	path string
	data []byte
}

// render executes the template at name with data; Go files come out
// gofmt-ed (a template that does not make valid Go is a bug, reported as
// such).
func render(name string, data any) ([]byte, error) {
	src, err := templates.ReadFile("templates/" + name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Delims("<<", ">>").Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	out := b.Bytes()
	if strings.HasSuffix(name, ".go.tmpl") {
		formatted, err := format.Source(out)
		if err != nil {
			return nil, fmt.Errorf("template %s makes invalid Go: %w\n%s", name, err, out)
		}
		out = formatted
	}
	return out, nil
}

// renderDir renders every template under dir: the files, at their paths
// less dir and .tmpl, with rename applied to each path.
func renderDir(dir string, data any, rename func(string) string) ([]file, error) {
	var files []file
	err := fs.WalkDir(templates, "templates/"+dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(path, "templates/")
		b, err := render(name, data)
		if err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(name, dir+"/"), ".tmpl")
		switch rel {
		case "gitignore", "dockerignore":
			rel = "." + rel
		}
		if rename != nil {
			rel = rename(rel)
		}
		files = append(files, file{path: rel, data: b})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, err
}

// writeNew writes files under root, none of which may exist: it checks them
// all first, and refuses naming the first in the way, so that nothing is
// written then. A failure while writing removes what it wrote (files and
// the directories it made), so that no half-written change is left.
func writeNew(root string, files []file, p *project) (err error) {
	seen := map[string]bool{}
	for _, f := range files {
		path := filepath.Join(root, f.path)
		if seen[path] {
			return fmt.Errorf("two generated files are %s", p.rel(path)) // a name check let a collision through
		}
		seen[path] = true
		if exists(path) {
			return refuse("%s already exists: not overwriting it (remove or rename it first)", p.rel(path))
		}
		if err := p.inside(path); err != nil {
			return err
		}
	}
	var made []string // files and directories, in the order they were made
	defer func() {
		if err != nil {
			for i := len(made) - 1; i >= 0; i-- {
				os.Remove(made[i])
			}
		}
	}()
	for _, f := range files {
		path := filepath.Join(root, f.path)
		dirs, err := mkdirs(filepath.Dir(path))
		made = append(made, dirs...)
		if err != nil {
			return err
		}
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if os.IsExist(err) {
				return refuse("%s already exists: not overwriting it", p.rel(path))
			}
			return err
		}
		made = append(made, path)
		_, err = fh.Write(f.data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mkdirs makes dir and its missing parents, and returns the ones it made,
// outermost first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; !exists(d); d = filepath.Dir(d) {
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	for i, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil && !os.IsExist(err) {
			return missing[:i], err
		}
	}
	return missing, nil
}

// replaceFile writes data over path through a temporary file, so that a
// failure leaves the old file whole.
func replaceFile(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), info.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
