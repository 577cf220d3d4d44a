package sim

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
)

const (
	stoppingCreate = `hcnCreateEndpoint failed in Win32: The Host Compute Service is stopping. (0x803b0020) {"Success":false,"Error":"The Host Compute Service is stopping. ","ErrorCode":2151350304}`
	notStartedGet  = `hcnEnumerateNetworks failed in Win32: The service has not been started. (0x426) {"Success":false,"Error":"The service has not been started. ","ErrorCode":2147943462}`
	attachFailed   = `hcnModifyNamespace failed in Win32: The requested operation for attach namespace failed. (0x803b002e) {"Success":false,"Error":"The requested operation for attach namespace failed. ","ErrorCode":2151350318}`
)

func TestInjectFaultCount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check(t, "InjectFault", f.s.InjectFault(ctx, "attachendpoint", hns.NamespaceAttachFailed, 2))
	// The fault is persisted: a second Sim (another process) runs into it.
	other, err := Open(f.s.Dir())
	check(t, "Open", err)
	for i, s := range []*Sim{f.s, other} {
		err := s.AttachEndpoint(ctx, f.ns2.Id, f.b.Id)
		if err == nil || err.Error() != attachFailed {
			t.Errorf("attach #%d: err = %v, want %s", i+1, err, attachFailed)
		}
	}
	if _, err := f.s.GetEndpointByID(ctx, f.b.Id); err != nil {
		t.Errorf("other kinds must not fail: %v", err)
	}
	check(t, "third attach", f.s.AttachEndpoint(ctx, f.ns2.Id, f.b.Id))
	fs, err := f.s.FaultState(ctx)
	check(t, "FaultState", err)
	if len(fs.Armed) != 0 {
		t.Errorf("spent faults remain armed: %+v", fs.Armed)
	}
}

func TestInjectFaultAnyUntilCleared(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check(t, "InjectFault", f.s.InjectFault(ctx, KindAny, hns.RequestUnsupported, -1))
	calls := map[string]func() error{
		"GetNetworkByName": func() error { _, err := f.s.GetNetworkByName(ctx, "Calico"); return err },
		"DeleteEndpoint":   func() error { return f.s.DeleteEndpoint(ctx, f.b.Id) },
		"Version":          func() error { _, err := f.s.Version(ctx); return err },
	}
	for range 3 {
		for name, call := range calls {
			if err := call(); hns.Code(err) != hns.RequestUnsupported || !hns.IsServiceUnavailable(err) {
				t.Errorf("%s: err = %v, want 0x803b0015", name, err)
			}
		}
	}
	check(t, "ClearFaults", f.s.ClearFaults(ctx))
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s after ClearFaults: %v", name, err)
		}
	}
}

func TestInjectFaultIsConsumedExactlyOnceAcrossCallers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check(t, "InjectFault", f.s.InjectFault(ctx, KindGetEndpointByName, hns.ServiceStopping, 5))
	var failed atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			s, err := Open(f.s.Dir()) // one Sim each, as separate processes
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := s.GetEndpointByName(ctx, "a_Calico"); hns.Code(err) == hns.ServiceStopping {
				failed.Add(1)
			} else if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := failed.Load(); got != 5 {
		t.Errorf("%d calls failed, want exactly 5", got)
	}
}

func TestInjectFaultRejectsBadArguments(t *testing.T) {
	s := openSim(t)
	ctx := context.Background()
	for _, tt := range []struct {
		kind  string
		code  uint32
		count int
	}{
		{"CreateEndpoints", hns.ServiceStopping, 1},
		{KindCreateEndpoint, 0, 1},
		{KindCreateEndpoint, hns.ServiceStopping, 0},
	} {
		if err := s.InjectFault(ctx, tt.kind, tt.code, tt.count); err == nil {
			t.Errorf("InjectFault(%q, 0x%x, %d) = nil, want an error", tt.kind, tt.code, tt.count)
		}
	}
	if err := s.SetLatency(ctx, "Lookups", time.Second); err == nil {
		t.Error("SetLatency with an unknown kind = nil, want an error")
	}
}

func TestLatency(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check(t, "SetLatency", f.s.SetLatency(ctx, KindGetEndpointByName, 100*time.Millisecond))
	start := time.Now()
	_, err := f.s.GetEndpointByName(ctx, "a_Calico")
	check(t, "GetEndpointByName", err)
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("delayed call took %v, want at least 100ms", d)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := f.s.GetEndpointByName(short, "a_Calico"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed call past its deadline: err = %v, want context.DeadlineExceeded", err)
	}
	check(t, "SetLatency(0)", f.s.SetLatency(ctx, KindGetEndpointByName, 0))
	start = time.Now()
	_, err = f.s.GetEndpointByName(ctx, "a_Calico")
	check(t, "GetEndpointByName", err)
	if d := time.Since(start); d >= 100*time.Millisecond {
		t.Errorf("call after removing the latency took %v", d)
	}
}

func TestStopService(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check(t, "StopService", f.s.StopService(ctx, 0))
	_, err := f.s.CreateEndpoint(ctx, f.endpoint("x", "10.244.5.30"))
	if err == nil || err.Error() != stoppingCreate {
		t.Errorf("CreateEndpoint while stopped: %v\nwant %s", err, stoppingCreate)
	}
	if !hns.IsServiceUnavailable(err) {
		t.Errorf("IsServiceUnavailable(%v) = false", err)
	}
	// Inspection helpers still work, and nothing was created.
	eps, err := f.s.ListEndpoints(ctx)
	check(t, "ListEndpoints while stopped", err)
	if len(eps) != 4 {
		t.Errorf("%d endpoints, want 4", len(eps))
	}
	check(t, "StopService(not started)", f.s.StopService(ctx, hns.ServiceNotStarted))
	_, err = f.s.GetNetworkByName(ctx, "Calico")
	if err == nil || err.Error() != notStartedGet {
		t.Errorf("GetNetworkByName while not started: %v\nwant %s", err, notStartedGet)
	}
	check(t, "StartService", f.s.StartService(ctx))
	if _, err := f.s.CreateEndpoint(ctx, f.endpoint("x", "10.244.5.30")); err != nil {
		t.Errorf("CreateEndpoint after StartService: %v", err)
	}
}
