// Command kaz runs the Kaz virtual coworking server and its admin commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kaz:", err)
		os.Exit(exitCode(err))
	}
}

const usage = `Kaz — virtual coworking server.

Usage:
  kaz serve [--config FILE] [--data DIR] [--listen ADDR] [--public-url URL]
  kaz admin [--config FILE] [--data DIR] TOPIC COMMAND [ARGS]   (kaz admin help)
  kaz config check [--config FILE]
  kaz version
`

// run is the whole program, testable without a process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError("no command given")
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], getenv, stdout, stderr)
	case "admin":
		return cmdAdmin(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "config":
		return cmdConfig(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "kaz", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError(fmt.Sprintf("unknown command %q", args[0]))
	}
}

var version = "dev"

type usageError string

func (e usageError) Error() string { return string(e) }

func exitCode(err error) int {
	if _, ok := err.(usageError); ok {
		return 2
	}
	return 1
}
