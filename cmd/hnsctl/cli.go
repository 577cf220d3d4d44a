package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// backend is the HNS hnsctl shows: hns.Client plus listing everything.
type backend interface {
	hns.Client
	ListNetworks(ctx context.Context) ([]hns.Network, error)
	ListEndpoints(ctx context.Context) ([]hns.Endpoint, error)
	ListNamespaces(ctx context.Context) ([]hns.Namespace, error)
	Close()
}

// cli is the state of one invocation.
type cli struct {
	out    io.Writer
	format string // table or json
	dir    string // simulator state directory ("" = sim.DefaultDir())
	cmd    *command
	b      backend
}

func (c *cli) commonFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.dir, "dir", c.dir, "simulator state `directory` (default $"+sim.DirEnv+" or a system default)")
	fs.StringVar(&c.format, "o", c.format, "output `format`: table or json")
}

// parse parses a command's flags, which may come before, between or after
// its positional arguments, and checks the number of positional arguments.
func (c *cli) parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) ([]string, error) {
	fs.SetOutput(io.Discard)
	c.commonFlags(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, c.helpError(fs)
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if c.format != "table" && c.format != "json" {
		return nil, usagef("-o %q: want table or json", c.format)
	}
	if len(pos) < minArgs || (maxArgs >= 0 && len(pos) > maxArgs) {
		return nil, usagef("wrong number of arguments (%d)", len(pos))
	}
	return pos, nil
}

// helpError prints the command's flags and reports flag.ErrHelp.
func (c *cli) helpError(fs *flag.FlagSet) error {
	fmt.Fprintf(c.out, "usage: hnsctl %s %s\n\n%s\n\nFlags:\n", c.cmd.path, c.cmd.args, c.cmd.help)
	fs.SetOutput(c.out)
	fs.PrintDefaults()
	return errHelpShown
}

var errHelpShown = errors.New("help shown")

// backend opens the HNS on first use.
func (c *cli) backend() (backend, error) {
	if c.b == nil {
		b, err := openBackend(c.dir)
		if err != nil {
			return nil, err
		}
		c.b = b
	}
	return c.b, nil
}

// simulator returns the simulator, for commands that change HNS or use
// simulator-only features; on real HNS they are refused.
func (c *cli) simulator() (*sim.Sim, error) {
	b, err := c.backend()
	if err != nil {
		return nil, err
	}
	s, ok := b.(simBackend)
	if !ok {
		return nil, fmt.Errorf("refused: hnsctl only reads a real HNS (%s changes it or needs the simulator)", c.cmd.path)
	}
	return s.Sim, nil
}

// simBackend is the simulator as a backend.
type simBackend struct{ *sim.Sim }

func (simBackend) Close() {}

// lookupNetwork finds a network by ID (if ref is a GUID) or name.
func lookupNetwork(ctx context.Context, b backend, ref string) (*hns.Network, error) {
	if isGUID(ref) {
		n, err := b.GetNetworkByID(ctx, ref)
		if !hns.IsNotFound(err) {
			return n, err
		}
	}
	return b.GetNetworkByName(ctx, ref)
}

// lookupEndpoint finds an endpoint by ID (if ref is a GUID) or name.
func lookupEndpoint(ctx context.Context, b backend, ref string) (*hns.Endpoint, error) {
	if isGUID(ref) {
		e, err := b.GetEndpointByID(ctx, ref)
		if !hns.IsNotFound(err) {
			return e, err
		}
	}
	return b.GetEndpointByName(ctx, ref)
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
