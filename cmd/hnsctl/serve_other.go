//go:build !windows

package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/calico-win/cni/hns/hcnservice"
)

func init() {
	register(command{path: "serve", args: "[--listen 127.0.0.1:PORT] [--addr-file FILE] [--log-level debug]",
		help: "serve the simulator as HCN to the computenetwork.dll shim under Wine (hns/hcnservice)", run: serve})
}

// serve runs the HCN service on the simulator until interrupted (SIGINT or
// SIGTERM). With --listen 127.0.0.1:0 the kernel picks the port; the
// address is printed on stdout and, with --addr-file, written to FILE once
// the service accepts calls, so a script can wait for the file instead of
// sleeping. Handles still open at exit are listed on stderr.
func serve(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "loopback `address` to listen on")
	addrFile := fs.String("addr-file", "", "write the address listened on to `FILE` once ready")
	level := fs.String("log-level", "info", "`level`: debug logs every HCN call")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return usagef("--log-level %q: %v", *level, err)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv})))
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return usagef("--listen %q: %v", *listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return usagef("--listen %q: the service has no authentication; listen on loopback only", *listen)
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	addr := l.Addr().String()
	if *addrFile != "" {
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
			l.Close()
			return err
		}
		if err := os.Rename(tmp, *addrFile); err != nil {
			l.Close()
			return err
		}
	}
	fmt.Fprintf(c.out, "%s=%s\n", hcnservice.EnvAddr, addr)
	srv := hcnservice.New(s)
	err = srv.Serve(ctx, l)
	if open := srv.OpenHandles(); len(open) > 0 {
		fmt.Fprintf(os.Stderr, "hnsctl serve: %d handle(s) still open at exit:\n  %s\n", len(open), strings.Join(open, "\n  "))
	}
	return err
}
