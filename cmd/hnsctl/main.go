// Command hnsctl inspects and drives an HNS: on Linux the simulator
// (hns/sim) in the directory given by --dir or $CALICO_HNS_SIM_DIR, on
// Windows the host's real HNS, read-only, or the simulator as calico.exe
// uses it (CALICO_HNS_BACKEND=sim, or --dir).
//
// It sets up what tests need (the "Calico" network as calico-node creates
// it, remote endpoints, namespaces as containerd creates them), arms faults
// for a later plugin process, and shows the state in tables or, with
// -o json, in hcn's field names. It talks to HNS only through hns.Client
// and the simulator's admin methods; it must not import the plugin, ipam or
// datastore packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one leaf of the command tree, e.g. "network create".
type command struct {
	path string // words naming the command
	args string // synopsis of flags and arguments
	help string
	run  func(ctx context.Context, c *cli, args []string) error
}

var commands []command // filled by init functions of the command files

func register(cs ...command) { commands = append(commands, cs...) }

// usageError makes run exit with status 2 and print the command's usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// run executes one hnsctl invocation and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{out: stdout, format: "table", dir: ""}
	global := flag.NewFlagSet("hnsctl", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	c.commonFlags(global)
	if err := global.Parse(args); err != nil {
		fmt.Fprintf(stderr, "hnsctl: %v\n\n", err)
		printUsage(stderr)
		return 2
	}
	cmd, rest := lookup(global.Args())
	if cmd == nil {
		if len(global.Args()) > 0 && global.Arg(0) != "help" {
			fmt.Fprintf(stderr, "hnsctl: unknown command %q\n\n", strings.Join(global.Args(), " "))
			printUsage(stderr)
			return 2
		}
		printUsage(stdout)
		return 0
	}
	c.cmd = cmd
	err := cmd.run(ctx, c, rest)
	if c.b != nil {
		c.b.Close()
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelpShown):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "hnsctl %s: %v\nusage: hnsctl %s %s\n", cmd.path, err, cmd.path, cmd.args)
		return 2
	default:
		fmt.Fprintf(stderr, "hnsctl %s: %v\n", cmd.path, err)
		return 1
	}
}

// lookup finds the longest command path that prefixes words.
func lookup(words []string) (*command, []string) {
	var best *command
	bestLen := 0
	for i := range commands {
		p := strings.Fields(commands[i].path)
		if len(p) <= len(words) && len(p) > bestLen && strings.Join(words[:len(p)], " ") == commands[i].path {
			best, bestLen = &commands[i], len(p)
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, words[bestLen:]
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, `usage: hnsctl [--dir DIR] [-o table|json] COMMAND ...

On Linux hnsctl drives the HNS simulator whose state is in --dir (default
$CALICO_HNS_SIM_DIR, else /var/run/calico-win/hns-sim or a per-user temporary
directory). On Windows it lists the host's HNS objects and changes nothing,
unless --dir is given or CALICO_HNS_BACKEND=sim (as for calico.exe): then it
drives the simulator (default $CALICO_HNS_SIM_DIR, else
c:\CalicoWindows\hns-sim).

Commands:
`)
	sorted := slices.SortedFunc(slices.Values(commands), func(a, b command) int { return strings.Compare(a.path, b.path) })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-22s %s\n", c.path, c.help)
	}
	fmt.Fprintf(w, "\nRun 'hnsctl COMMAND -h' for a command's flags.\n")
}
