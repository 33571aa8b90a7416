package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/openapi"
	"github.com/pinionhq/pinion/typescript"
)

// ErrUsage marks the errors of a command line that Describe or Main cannot
// run: an unknown subcommand or flag. Commands exit with status 2 for them.
var ErrUsage = errors.New("usage")

// Subcommands are the describing subcommands of an app's command, as
// Describe understands them.
const Subcommands = `  openapi [-o FILE]   print the app's OpenAPI 3.1 document (JSON)
  types [-o FILE]     print the TypeScript types of its services, for the Feathers client`

// Main is the main function of an app's command:
//
//	func main() { serve.Main(newApp, serve.Options{}) }
//
// Without arguments it serves the app that newApp builds, as Run does,
// until SIGINT or SIGTERM. Its subcommands describe the app without
// serving it (see Describe), which is what `pinion openapi` and `pinion
// types` run in a project:
//
//	go run ./cmd/server openapi > openapi.json
//	go run ./cmd/server types -o client/services.ts
//
// A failure exits with status 1, a command line it does not understand or a
// PORT that is no port number with status 2, each with one line on stderr.
func Main(newApp func() (*pinion.App, error), opts Options) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := command(ctx, os.Args[1:], os.Stdout, os.Stderr, newApp, opts)
	stop()
	os.Exit(code)
}

// command is Main on explicit arguments and outputs; it returns the exit
// status.
func command(ctx context.Context, args []string, stdout, stderr io.Writer, newApp func() (*pinion.App, error), opts Options) int {
	name := filepath.Base(os.Args[0])
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(stdout, "usage: %s [command]\n\nWithout a command it serves the app on $PORT (3030). Commands:\n%s\n", name, Subcommands)
		return 0
	}
	if len(args) > 0 {
		info := openapi.Info{Title: name}
		if opts.Docs != nil {
			info = *opts.Docs
		}
		if err := Describe(args, stdout, newApp, info); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			if errors.Is(err, ErrUsage) {
				return 2
			}
			return 1
		}
		return 0
	}
	addr, err := listenAddr(opts.Addr)
	if err != nil { // before the app opens anything
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	app, err := newApp()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	s, err := New(app, opts)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	if err := s.ListenAndServe(ctx, addr); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// Describe runs the describing subcommand that args name, for the app
// that newApp builds, writing to w or to the file of -o:
//
//	openapi [-o FILE]   the OpenAPI 3.1 document (JSON), titled by info
//	types [-o FILE]     the TypeScript types of its services (package typescript)
//
// The app is only built, not set up nor served: newApp should open
// nothing it does not need to register its services (no database; an
// adapter over an unconnected client, or memory, describes the same
// service). Errors for another command line wrap ErrUsage.
func Describe(args []string, w io.Writer, newApp func() (*pinion.App, error), info openapi.Info) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no subcommand; want one of:\n%s", ErrUsage, Subcommands)
	}
	what := args[0]
	if what != "openapi" && what != "types" {
		return fmt.Errorf("%w: unknown command %q (want openapi or types)", ErrUsage, what)
	}
	fs := flag.NewFlagSet(what, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "write to this file instead of stdout")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUsage, what, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s takes no arguments, got %q", ErrUsage, what, fs.Arg(0))
	}
	app, err := newApp()
	if err != nil {
		return err
	}
	var b []byte
	if what == "openapi" {
		if b, err = openapi.JSON(app, info); err == nil {
			b = append(b, '\n')
		}
	} else {
		b, err = typescript.Generate(app)
	}
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(*out, b, 0o644)
	}
	_, err = w.Write(b)
	return err
}
