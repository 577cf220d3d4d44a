package sim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/calico-win/cni/hns"
)

// Kinds of call that faults and latencies target: the hns.Client method
// names, plus KindAny for every call.
const (
	KindAny                    = "*"
	KindVersion                = "Version"
	KindGetNetworkByName       = "GetNetworkByName"
	KindGetNetworkByID         = "GetNetworkByID"
	KindCreateNetwork          = "CreateNetwork"
	KindDeleteNetwork          = "DeleteNetwork"
	KindAddNetworkPolicy       = "AddNetworkPolicy"
	KindCreateEndpoint         = "CreateEndpoint"
	KindDeleteEndpoint         = "DeleteEndpoint"
	KindGetEndpointByID        = "GetEndpointByID"
	KindGetEndpointByName      = "GetEndpointByName"
	KindListEndpointsOfNetwork = "ListEndpointsOfNetwork"
	KindGetNamespaceByID       = "GetNamespaceByID"
	KindCreateNamespace        = "CreateNamespace"
	KindDeleteNamespace        = "DeleteNamespace"
	KindAttachEndpoint         = "AttachEndpoint"
	KindDetachEndpoint         = "DetachEndpoint"
	KindHostNamespace          = "HostNamespace"
)

// Kinds lists every valid fault kind.
var Kinds = []string{
	KindAny, KindVersion,
	KindGetNetworkByName, KindGetNetworkByID, KindCreateNetwork, KindDeleteNetwork, KindAddNetworkPolicy,
	KindCreateEndpoint, KindDeleteEndpoint, KindGetEndpointByID, KindGetEndpointByName,
	KindListEndpointsOfNetwork,
	KindGetNamespaceByID, KindCreateNamespace, KindDeleteNamespace, KindAttachEndpoint, KindDetachEndpoint,
	KindHostNamespace,
}

// Fault makes calls of Kind fail with Code. Count is how many calls are
// left to fail; a negative Count fails every call until ClearFaults.
type Fault struct {
	Kind  string
	Code  uint32
	Count int
}

// Faults is the persisted fault state: it lives in the state directory so
// that a test can arm a fault that a later plugin process runs into.
type Faults struct {
	Stopped     bool   // StopService was called
	StoppedCode uint32 // the code every call fails with while stopped
	Armed       []Fault
	Latency     map[string]time.Duration // by kind
}

func canonicalKind(kind string) (string, error) {
	for _, k := range Kinds {
		if strings.EqualFold(k, kind) {
			return k, nil
		}
	}
	return "", fmt.Errorf("hns sim: unknown call kind %q (want one of %s)", kind, strings.Join(Kinds, ", "))
}

func (f *Faults) match(kind string) int {
	for i, a := range f.Armed {
		if a.Count != 0 && (a.Kind == kind || a.Kind == KindAny) {
			return i
		}
	}
	return -1
}

func (f *Faults) latency(kind string) time.Duration {
	return f.Latency[kind] + f.Latency[KindAny]
}

// InjectFault makes the next count calls of kind (or every call for
// KindAny) fail with code, HNS-style; count < 0 means until ClearFaults.
// Faults armed earlier fire first.
func (s *Sim) InjectFault(ctx context.Context, kind string, code uint32, count int) error {
	k, err := canonicalKind(kind)
	if err != nil {
		return err
	}
	if count == 0 || code == 0 {
		return errors.New("hns sim: a fault needs a non-zero code and count")
	}
	return s.editFaults(ctx, func(f *Faults) {
		f.Armed = append(f.Armed, Fault{Kind: k, Code: code, Count: count})
	})
}

// SetLatency delays every call of kind by d (0 removes the delay). Delays
// for a kind and for KindAny add up. A delayed call returns ctx's error if
// ctx ends first.
func (s *Sim) SetLatency(ctx context.Context, kind string, d time.Duration) error {
	k, err := canonicalKind(kind)
	if err != nil {
		return err
	}
	return s.editFaults(ctx, func(f *Faults) {
		if d <= 0 {
			delete(f.Latency, k)
			return
		}
		if f.Latency == nil {
			f.Latency = map[string]time.Duration{}
		}
		f.Latency[k] = d
	})
}

// StopService makes every call fail with code (0 means 0x803b0020, the
// service is stopping) until StartService.
func (s *Sim) StopService(ctx context.Context, code uint32) error {
	if code == 0 {
		code = hns.ServiceStopping
	}
	return s.editFaults(ctx, func(f *Faults) { f.Stopped, f.StoppedCode = true, code })
}

// StartService undoes StopService.
func (s *Sim) StartService(ctx context.Context) error {
	return s.editFaults(ctx, func(f *Faults) { f.Stopped, f.StoppedCode = false, 0 })
}

// ClearFaults removes armed faults and latencies (not a stopped service).
func (s *Sim) ClearFaults(ctx context.Context) error {
	return s.editFaults(ctx, func(f *Faults) { f.Armed, f.Latency = nil, nil })
}

// FaultState returns the persisted fault state.
func (s *Sim) FaultState(ctx context.Context) (Faults, error) {
	if err := ctx.Err(); err != nil {
		return Faults{}, err
	}
	return unlockedRead(s, s.readFaults)
}

func (s *Sim) readFaults() (Faults, error) {
	var f Faults
	err := readJSON(s.st.path(faultsFileName), &f)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Faults{}, err
	}
	return f, nil
}

func (s *Sim) editFaults(ctx context.Context, edit func(*Faults)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.locked(true, func() error {
		f, err := s.readFaults()
		if err != nil {
			return err
		}
		edit(&f)
		return writeJSON(s.st.path(faultsFileName), f)
	})
}

// begin starts every client call: it applies latency, a stopped service and
// armed faults for kind, reporting them as HNS would for the hcn call op.
// With no faults file (the usual case) it costs one failed open.
// readFaults (like readConfig) is for locked sections; elsewhere it goes
// through unlockedRead.
func (s *Sim) begin(ctx context.Context, kind, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := unlockedRead(s, s.readFaults)
	if err != nil {
		return err
	}
	if d := f.latency(kind); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	if f.Stopped {
		return hns.NewError(op, f.StoppedCode)
	}
	if f.match(kind) < 0 {
		return nil
	}
	// Consume the fault under the lock so that concurrent processes fire
	// exactly Count failures between them.
	var code uint32
	err = s.locked(true, func() error {
		cur, err := s.readFaults()
		if err != nil {
			return err
		}
		i := cur.match(kind)
		if i < 0 {
			return nil
		}
		code = cur.Armed[i].Code
		if cur.Armed[i].Count > 0 {
			cur.Armed[i].Count--
			if cur.Armed[i].Count == 0 {
				cur.Armed = append(cur.Armed[:i], cur.Armed[i+1:]...)
			}
		}
		return writeJSON(s.st.path(faultsFileName), cur)
	})
	if err != nil {
		return err
	}
	if code != 0 {
		return hns.NewError(op, code)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
