package sim

// FuzzStateFiles: the simulator's state lives in files that a killed
// process, a test or an operator may leave torn or rewrite. Whatever one of
// them holds, a later process opening the directory and making its calls
// must not panic: a corrupt file is an error. `go test` runs the seeds in
// testdata/fuzz; `make fuzz` fuzzes.

import (
	"context"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
)

func FuzzStateFiles(f *testing.F) {
	// A template state: a network with its host endpoint, a pod endpoint
	// attached to a namespace, a remote endpoint, a fault and a latency.
	tmpl := fuzzTempDir(f)
	ctx := context.Background()
	s, err := Open(tmpl)
	if err != nil {
		f.Fatal(err)
	}
	n, err := s.SetupOverlay(ctx, OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.244.5.0/26"),
		ManagementIP: netip.MustParseAddr("10.0.0.4")}, 0)
	if err != nil {
		f.Fatal(err)
	}
	ep, err := s.CreateEndpoint(ctx, &hns.Endpoint{Name: "cid_Calico", HostComputeNetwork: n.Id,
		IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.3"}}})
	if err != nil {
		f.Fatal(err)
	}
	ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.AttachEndpoint(ctx, ns.Id, ep.Id); err != nil {
		f.Fatal(err)
	}
	if _, err := s.CreateEndpoint(ctx, &hns.Endpoint{Name: "remote", HostComputeNetwork: n.Id, Flags: hns.EndpointFlagRemote,
		IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.20"}}}); err != nil {
		f.Fatal(err)
	}
	if err := s.InjectFault(ctx, KindDeleteNetwork, hns.ServiceStopping, 1); err != nil {
		f.Fatal(err)
	}
	if err := s.SetLatency(ctx, KindVersion, time.Microsecond); err != nil {
		f.Fatal(err)
	}
	files := stateFiles(f, tmpl)
	for i, p := range files {
		b, err := os.ReadFile(filepath.Join(tmpl, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8((i-len(b)%len(files)+len(files))%len(files)), b)
	}
	work := fuzzTempDir(f)
	f.Fuzz(func(t *testing.T, which uint8, content []byte) {
		dir := filepath.Join(work, "state")
		removeTree(dir)
		if err := os.CopyFS(dir, os.DirFS(tmpl)); err != nil {
			t.Fatal(err)
		}
		// The length takes part so that mutating the content moves the
		// corruption between files too.
		target := files[(int(which)+len(content))%len(files)]
		if err := os.WriteFile(filepath.Join(dir, target), content, 0o644); err != nil {
			t.Fatal(err)
		}
		// A short budget: a fuzzed latency makes calls wait for it, which
		// is right; a call that outlives its context is a hang.
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		defer func() {
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("the calls took %s on a 300ms context", d)
			}
		}()
		s, err := Open(dir)
		if err != nil {
			return
		}
		// A later plugin process and hnsctl, in the order a pod's life
		// makes its calls; errors are expected, panics and hangs are not.
		_, _ = s.Version(ctx)
		_, _ = s.Config(ctx)
		_, _ = s.FaultState(ctx)
		_, _ = s.ListNetworks(ctx)
		_, _ = s.ListEndpoints(ctx)
		_, _ = s.ListNamespaces(ctx)
		_, _ = s.ListEndpointsOfNetwork(ctx, n.Id)
		_, _ = s.GetNetworkByID(ctx, n.Id)
		if net, err := s.GetNetworkByName(ctx, "Calico"); err == nil {
			_, _ = s.CreateEndpoint(ctx, &hns.Endpoint{Name: "new_Calico", HostComputeNetwork: net.Id,
				IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.4"}}})
		}
		_, _ = s.GetNamespaceByID(ctx, ns.Id)
		_, _ = s.EndpointState(ctx, ep.Id)
		if e, err := s.GetEndpointByName(ctx, "cid_Calico"); err == nil {
			_ = s.DetachEndpoint(ctx, ns.Id, e.Id)
			_ = s.DeleteEndpoint(ctx, e.Id)
		}
		_, _ = s.GetEndpointByID(ctx, ep.Id)
		_ = s.DeleteNamespace(ctx, ns.Id)
		_ = s.DeleteNetwork(ctx, n.Id)
		_ = s.Reset(ctx)
	})
}

// stateFiles lists the regular files under dir (but the lock), sorted, as
// paths relative to dir.
func stateFiles(f *testing.F, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel != lockFileName && !strings.HasPrefix(filepath.Base(rel), ".") {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		f.Fatalf("listing the state files: %v (%d)", err, len(out))
	}
	slices.Sort(out)
	return out
}

// fuzzTempDir is f.TempDir, removed with removeTree (see tempDir).
func fuzzTempDir(f *testing.F) string {
	dir, err := os.MkdirTemp("", "hns-sim-fuzz-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { removeTree(dir) })
	return dir
}
