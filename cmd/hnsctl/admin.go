package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

func init() {
	kinds := strings.Join(sim.Kinds, ", ")
	register(
		command{path: "fault inject", args: "--kind KIND --code CODE [--count N]",
			help: "make the next N calls of KIND fail with an HNS code (kinds: " + kinds + ")", run: faultInject},
		command{path: "fault latency", args: "--kind KIND --duration D", help: "delay every call of KIND (0 removes the delay)", run: faultLatency},
		command{path: "fault clear", help: "remove armed faults and latencies", run: faultClear},
		command{path: "fault list", help: "show armed faults, latencies and the service state", run: faultList},
		command{path: "service stop", args: "[--code CODE]", help: "make every call fail (default 0x803b0020, the service is stopping)", run: serviceStop},
		command{path: "service start", help: "undo service stop", run: serviceStart},
		command{path: "reset", help: "remove every object and fault (the configuration stays)", run: reset},
		command{path: "version", args: "[--set MAJOR.MINOR]", help: "show (or set) the HNS version and the features it implies", run: version},
		command{path: "config show", help: "show the simulator configuration", run: configShow},
		command{path: "config set", args: "[--cascade-delete=BOOL] [--mgmt-delay D] [--detach-code CODE]",
			help: "change the simulator configuration", run: configSet},
	)
}

// parseCode accepts an HNS code in hex (0x803b0020) or decimal.
func parseCode(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, usagef("bad code %q: want e.g. 0x803b0020", s)
	}
	return uint32(v), nil
}

func faultInject(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("fault inject", flag.ContinueOnError)
	kind := fs.String("kind", "", "call `kind` (an hns.Client method name, or * for all)")
	code := fs.String("code", "", "HNS `code`, e.g. 0x803b0020")
	count := fs.Int("count", 1, "how many calls fail; -1 for every call until 'fault clear'")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *kind == "" || *code == "" {
		return usagef("--kind and --code are required")
	}
	v, err := parseCode(*code)
	if err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	return s.InjectFault(ctx, *kind, v, *count)
}

func faultLatency(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("fault latency", flag.ContinueOnError)
	kind := fs.String("kind", "", "call `kind` (an hns.Client method name, or * for all)")
	d := fs.Duration("duration", 0, "added `delay`")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *kind == "" {
		return usagef("--kind is required")
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	return s.SetLatency(ctx, *kind, *d)
}

func faultClear(ctx context.Context, c *cli, args []string) error {
	return simCall(c, args, func(s *sim.Sim) error { return s.ClearFaults(ctx) })
}

func faultList(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(flag.NewFlagSet("fault list", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	f, err := s.FaultState(ctx)
	if err != nil {
		return err
	}
	return c.emit(f, func(row func(...any)) {
		row("KIND", "FAULT", "REMAINING", "LATENCY")
		if f.Stopped {
			row("*", fmt.Sprintf("service stopped (0x%x)", f.StoppedCode), "until started", "")
		}
		for _, a := range f.Armed {
			left := strconv.Itoa(a.Count)
			if a.Count < 0 {
				left = "until cleared"
			}
			row(a.Kind, fmt.Sprintf("0x%x %s", a.Code, hns.CodeText(a.Code)), left, "")
		}
		for kind, d := range f.Latency {
			row(kind, "", "", d)
		}
	})
}

func serviceStop(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("service stop", flag.ContinueOnError)
	code := fs.String("code", "0x803b0020", "the HNS `code` every call fails with")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	v, err := parseCode(*code)
	if err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	return s.StopService(ctx, v)
}

func serviceStart(ctx context.Context, c *cli, args []string) error {
	return simCall(c, args, func(s *sim.Sim) error { return s.StartService(ctx) })
}

func reset(ctx context.Context, c *cli, args []string) error {
	return simCall(c, args, func(s *sim.Sim) error { return s.Reset(ctx) })
}

// simCall runs a flagless simulator command.
func simCall(c *cli, args []string, f func(*sim.Sim) error) error {
	if _, err := c.parse(flag.NewFlagSet(c.cmd.path, flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	return f(s)
}

func version(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	set := fs.String("set", "", "set the simulated HNS `version`, e.g. 15.4")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *set != "" {
		v, err := parseVersion(*set)
		if err != nil {
			return err
		}
		s, err := c.simulator()
		if err != nil {
			return err
		}
		if err := s.UpdateConfig(ctx, func(cfg *sim.Config) { cfg.Version = v }); err != nil {
			return err
		}
	}
	b, err := c.backend()
	if err != nil {
		return err
	}
	v, err := b.Version(ctx)
	if err != nil {
		return err
	}
	f := hns.FeaturesFor(v)
	out := struct {
		Version  hns.Version
		Features hns.Features
	}{v, f}
	return c.emit(out, func(row func(...any)) {
		row("VERSION", v.String())
		row("FEATURES", featureList(f))
	})
}

func parseVersion(s string) (hns.Version, error) {
	major, minor, ok := strings.Cut(s, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if !ok || err1 != nil || err2 != nil || ma < 0 || mi < 0 {
		return hns.Version{}, usagef("bad version %q: want MAJOR.MINOR", s)
	}
	return hns.Version{Major: ma, Minor: mi}, nil
}

func featureList(f hns.Features) string {
	all := []struct {
		name string
		on   bool
	}{
		{"Acl", f.Acl}, {"V2Api", f.V2Api}, {"RemoteSubnet", f.RemoteSubnet}, {"HostRoute", f.HostRoute},
		{"DSR", f.DSR}, {"Slash32EndpointPrefixes", f.Slash32EndpointPrefixes},
		{"AclSupportForProtocol252", f.AclSupportForProtocol252}, {"SessionAffinity", f.SessionAffinity},
		{"IPv6DualStack", f.IPv6DualStack}, {"SetPolicy", f.SetPolicy}, {"VxlanPort", f.VxlanPort},
		{"L4Proxy", f.L4Proxy}, {"L4WfpProxy", f.L4WfpProxy}, {"TierAcl", f.TierAcl}, {"NetworkACL", f.NetworkACL},
		{"NestedIpSet", f.NestedIpSet}, {"DisableHostPort", f.DisableHostPort},
		{"ModifyLoadbalancer", f.ModifyLoadbalancer}, {"Accelnet", f.Accelnet},
	}
	var on []string
	for _, x := range all {
		if x.on {
			on = append(on, x.name)
		}
	}
	return strings.Join(on, ",")
}

func configShow(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(flag.NewFlagSet("config show", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return err
	}
	return printConfig(c, cfg)
}

func printConfig(c *cli, cfg sim.Config) error {
	return c.emit(cfg, func(row func(...any)) {
		row("VERSION", cfg.Version.String())
		row("CASCADE NETWORK DELETE", yesNo(cfg.CascadeNetworkDelete))
		row("MANAGEMENT IP DELAY", cfg.ManagementIPDelay)
		row("DETACH NOT ATTACHED CODE", fmt.Sprintf("0x%x", cfg.DetachNotAttachedCode))
		row("HOST ADDRESS", cfg.HostAddress)
	})
}

func configSet(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("config set", flag.ContinueOnError)
	cascade := fs.Bool("cascade-delete", true, "network delete removes its endpoints (false: refuse with 0x803b002c)")
	delay := fs.Duration("mgmt-delay", 0, "default delay before a new network's management IP appears")
	detach := fs.String("detach-code", "", "code of a detach of an endpoint that is not attached (0x803b0034 or 0x490)")
	host := fs.String("host-address", "", "the host adapter's IPv4 address: the management IP of networks created without one")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var code uint32
	if set["detach-code"] {
		var err error
		if code, err = parseCode(*detach); err != nil {
			return err
		}
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	err = s.UpdateConfig(ctx, func(cfg *sim.Config) {
		if set["cascade-delete"] {
			cfg.CascadeNetworkDelete = *cascade
		}
		if set["mgmt-delay"] {
			cfg.ManagementIPDelay = *delay
		}
		if set["detach-code"] {
			cfg.DetachNotAttachedCode = code
		}
		if set["host-address"] {
			cfg.HostAddress = *host
		}
	})
	if err != nil {
		return err
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return err
	}
	return printConfig(c, cfg)
}
