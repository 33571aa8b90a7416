// Command pinion makes Pinion apps and adds to them:
//
//	pinion new NAME [--module PATH] [--pinion DIR]
//	pinion generate service NAME [--adapter sqlite|mongodb|memory] [--auth]
//	pinion generate hook NAME
//	pinion openapi [-o FILE]
//	pinion types [-o FILE]
//
// new writes a runnable app into ./NAME; generate adds a service or a hook
// to the app around the current directory and never overwrites a file;
// openapi and types print what the app's own command says about its
// registration (go run ./cmd/server openapi, types), since only the app can
// load its code. Errors are one line on stderr with exit status 2. See
// docs/cli.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

const usage = `usage: pinion <command> [arguments]

Commands:
  new NAME [--module PATH] [--pinion DIR]
        create a runnable app in ./NAME (or at a path ending in NAME):
        cmd/server, config/, users with authentication, tests, Dockerfile,
        docker-compose.yml, README.md (--module: its module path, default
        NAME; --pinion: the Pinion checkout to build with, default the one
        this command was built from)
  generate service NAME [--adapter sqlite|mongodb|memory] [--auth]
        add a typed service at /NAME: services/NAME/ with its record, hooks
        and test, registered in services/services.go (--adapter: where its
        records are kept: the embedded SQLite store (default), MongoDB or
        memory; --auth: each user's own records,
        with a valid token only)
  generate hook NAME
        add an around hook: hooks/NAME.go and its test
  openapi [-o FILE]
        print the app's OpenAPI 3.1 document (go run ./cmd/server openapi)
  types [-o FILE]
        print the TypeScript types of its services for the Feathers client
        (go run ./cmd/server types)
  help
        print this text

generate, openapi and types work in the app around the current directory.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// userError is a command line or a project that the command refuses: exit
// status 2.
type userError struct{ msg string }

func (e *userError) Error() string { return e.msg }

func refuse(format string, args ...any) error { return &userError{fmt.Sprintf(format, args...)} }

// exitError carries the status of a command that pinion ran (go run).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run runs the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout, stderr)
	var exit *exitError
	var user *userError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code // the command said why
	case errors.As(err, &user):
		fmt.Fprintln(stderr, "pinion:", oneLine(err.Error()))
		return 2
	}
	fmt.Fprintln(stderr, "pinion:", oneLine(err.Error()))
	return 1
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return &exitError{code: 2}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "help", "-h", "-help", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	case "new":
		return newApp(rest, stdout)
	case "generate", "g":
		if len(rest) == 0 {
			return refuse("generate what? (generate service NAME, or generate hook NAME)")
		}
		switch rest[0] {
		case "service":
			return generateService(rest[1:], stdout)
		case "hook":
			return generateHook(rest[1:], stdout)
		}
		return refuse("cannot generate %q: want service or hook", rest[0])
	case "openapi", "types":
		return describe(cmd, rest, stdout, stderr)
	default:
		return refuse("unknown command %q (pinion help lists them)", cmd)
	}
}

// flagSpec says which flags a command takes: those with a value, and the
// boolean ones.
type flagSpec struct {
	values, bools []string
}

// dashes writes a flag as the usage does: -o, but --adapter.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// parseFlags reads flags anywhere among the arguments (--name value,
// --name=value, -name): the arguments that are not flags, and the flags.
// A flag given twice, or with an empty value, is refused.
func parseFlags(cmd string, args []string, spec flagSpec) ([]string, map[string]string, error) {
	var positional []string
	flags := map[string]string{}
	known := func() string {
		var l []string
		for _, v := range spec.values {
			l = append(l, dashes(v))
		}
		for _, b := range spec.bools {
			l = append(l, dashes(b))
		}
		if len(l) == 0 {
			return "it takes none"
		}
		return "it takes " + strings.Join(l, ", ")
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		// One dash or two, as package flag reads them: ---name is no flag.
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		if _, twice := flags[name]; twice {
			// The last one winning would hide a mistake: which was meant?
			return nil, nil, refuse("%s: flag %s is given twice", cmd, dashes(name))
		}
		switch {
		case slices.Contains(spec.values, name):
			if !hasValue {
				if i+1 >= len(args) {
					return nil, nil, refuse("%s: flag %s needs a value", cmd, a)
				}
				i++
				value = args[i]
			}
			if value == "" {
				// --pinion "" would otherwise mean no --pinion at all.
				return nil, nil, refuse("%s: flag %s needs a value", cmd, dashes(name))
			}
			flags[name] = value
		case slices.Contains(spec.bools, name):
			if hasValue && value != "true" && value != "false" {
				return nil, nil, refuse("%s: flag --%s takes no value", cmd, name)
			}
			if !hasValue {
				value = "true"
			}
			flags[name] = value
		default:
			return nil, nil, refuse("%s: unknown flag %s (%s)", cmd, a, known())
		}
	}
	return positional, flags, nil
}
