package etcd

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
)

// Golden tests: what Commit stores is byte for byte what Calico stores, at
// the keys Calico uses (reference: calico-etcd-observed.md §9).

var goldenBlock = netip.MustParsePrefix("10.244.166.128/26")

// firstBlock is the first block Calico wrote on an empty store (§9.2).
func firstBlock() datastore.Block {
	aff, handle, zero := "host:node1", "k8s-pod-network.test0001", 0
	b := datastore.Block{
		CIDR:              goldenBlock,
		Affinity:          &aff,
		AffinityClaimTime: &datastore.ClaimTime{Time: time.Date(2026, 11, 22, 1, 56, 10, 0, time.UTC)},
		Allocations:       make([]*int, 64),
		Attributes: []datastore.Attribute{{
			HandleID: &handle,
			Secondary: map[string]string{
				"namespace": "default", "node": "node1", "pod": "pod-test0001",
				"timestamp": "2026-11-22 01:56:10.684482516 +0000 UTC",
			},
		}},
		SequenceNumber:              1795312570694147569,
		SequenceNumberForAllocation: map[string]uint64{"0": 1795312570694147568},
	}
	b.Allocations[0] = &zero
	for i := 1; i < 64; i++ {
		b.Unallocated = append(b.Unallocated, i)
	}
	return b
}

// firstBlockJSON is the reference text with its arrays written out.
func firstBlockJSON() string {
	allocations := []string{"0"}
	var unallocated []string
	for i := 1; i < 64; i++ {
		allocations = append(allocations, "null")
		unallocated = append(unallocated, strconv.Itoa(i))
	}
	return `{"cidr":"10.244.166.128/26","affinity":"host:node1","affinity_claim_time":"2026-11-22T01:56:10Z",` +
		`"allocations":[` + strings.Join(allocations, ",") + `],"unallocated":[` + strings.Join(unallocated, ",") + `],` +
		`"attributes":[{"handle_id":"k8s-pod-network.test0001","secondary":{"namespace":"default","node":"node1","pod":"pod-test0001",` +
		`"timestamp":"2026-11-22 01:56:10.684482516 +0000 UTC"}}],"sequenceNumber":1795312570694147569,` +
		`"sequenceNumberForAllocation":{"0":1795312570694147568},"deleted":false}`
}

func TestCommitWritesCalicoBytesIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	err := s.Commit(testCtx(t), datastore.Change{
		Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Create, Value: datastore.Affinity{
			Host: "node1", CIDR: goldenBlock, State: datastore.AffinityConfirmed}}},
		Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create, Value: datastore.Handle{
			HandleID: "k8s-pod-network.test0001", Block: map[string]int{"10.244.166.128/26": 1}}}},
		Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Create, Value: firstBlock()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ key, value string }{
		{"/calico/ipam/v2/assignment/ipv4/block/10.244.166.128-26", firstBlockJSON()},
		{"/calico/ipam/v2/handle/k8s-pod-network.test0001", `{"block":{"10.244.166.128/26":1},"deleted":false}`},
		{"/calico/ipam/v2/host/node1/ipv4/block/10.244.166.128-26", `{"state":"confirmed","deleted":false}`},
	}
	got := srv.List(t, "/calico/")
	if len(got) != len(want) {
		t.Fatalf("stored %d keys, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Key != w.key {
			t.Errorf("key %d = %s, want %s", i, got[i].Key, w.key)
		}
		if got[i].Value != w.value {
			t.Errorf("%s:\n got %s\nwant %s", w.key, got[i].Value, w.value)
		}
	}
}

// referenceWEP is the WorkloadEndpoint Calico's plugin stored (§9.2), compacted.
const referenceWEP = `{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3",` +
	`"metadata":{"name":"node1-cni-cnitool--f55c318bb8881d9c18d6-eth0","namespace":"default",` +
	`"uid":"033faf51-7285-4279-8d6a-d21b8a9fec25","creationTimestamp":"2026-11-22T02:39:30Z",` +
	`"labels":{"projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"cni"}},` +
	`"spec":{"orchestrator":"cni","node":"node1","containerID":"cnitool-f55c318bb8881d9c18d6","endpoint":"eth0",` +
	`"ipNetworks":["10.244.166.129/32"],"profiles":["anchor-net"],"interfaceName":"calicnitool-f55",` +
	`"mac":"aa:f9:23:a0:22:29"}}`

func referenceEndpoint() datastore.WorkloadEndpoint {
	return datastore.WorkloadEndpoint{
		Kind: "WorkloadEndpoint", APIVersion: "projectcalico.org/v3",
		Metadata: datastore.ObjectMeta{
			Name: "node1-cni-cnitool--f55c318bb8881d9c18d6-eth0", Namespace: "default",
			UID: "033faf51-7285-4279-8d6a-d21b8a9fec25", CreationTimestamp: "2026-11-22T02:39:30Z",
			Labels: map[string]string{"projectcalico.org/namespace": "default", "projectcalico.org/orchestrator": "cni"},
		},
		Spec: datastore.WorkloadEndpointSpec{
			Orchestrator: "cni", Node: "node1", ContainerID: "cnitool-f55c318bb8881d9c18d6", Endpoint: "eth0",
			IPNetworks: []string{"10.244.166.129/32"}, Profiles: []string{"anchor-net"},
			InterfaceName: "calicnitool-f55", MAC: "aa:f9:23:a0:22:29",
		},
	}
}

func TestEndpointWritesCalicoBytesIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	w := referenceEndpoint()
	w.Metadata.ResourceVersion = "4711" // a revision a caller carried over is never stored
	rev, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: w})
	if err != nil {
		t.Fatal(err)
	}
	key := "/calico/resources/v3/projectcalico.org/workloadendpoints/default/node1-cni-cnitool--f55c318bb8881d9c18d6-eth0"
	got, ok := srv.Get(t, key)
	if !ok || got != referenceWEP {
		t.Errorf("%s:\n got %s\nwant %s", key, got, referenceWEP)
	}
	if kvs := srv.List(t, key); len(kvs) != 1 || kvs[0].ModRevision != rev {
		t.Errorf("Put returned rev %s, stored mod_revision is %+v", rev, kvs)
	}
}

func TestEndpointCreateSetsMetadataIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	w := referenceEndpoint()
	w.Kind, w.APIVersion, w.Metadata.UID, w.Metadata.CreationTimestamp = "", "", "", ""
	before := time.Now().UTC().Truncate(time.Second)
	rev, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: w})
	if err != nil {
		t.Fatal(err)
	}
	k := datastore.WEPKey{Namespace: "default", Name: w.Metadata.Name}
	got, err := s.GetWorkloadEndpoint(testCtx(t), k)
	if err != nil {
		t.Fatal(err)
	}
	m := got.Value.Metadata
	uuidV4 := func(s string) bool {
		return len(s) == 36 && s[8] == '-' && s[13] == '-' && s[14] == '4' && s[18] == '-' && strings.ContainsRune("89ab", rune(s[19])) && s[23] == '-'
	}
	if !uuidV4(m.UID) {
		t.Errorf("uid %q is not a version 4 UUID", m.UID)
	}
	created, err := time.Parse(time.RFC3339, m.CreationTimestamp)
	if err != nil || !strings.HasSuffix(m.CreationTimestamp, "Z") || created.Before(before) || created.After(time.Now().Add(time.Second)) {
		t.Errorf("creationTimestamp %q: want RFC 3339 UTC of now (%v)", m.CreationTimestamp, err)
	}
	if got.Value.Kind != "WorkloadEndpoint" || got.Value.APIVersion != "projectcalico.org/v3" {
		t.Errorf("kind/apiVersion = %q/%q", got.Value.Kind, got.Value.APIVersion)
	}
	if m.ResourceVersion != rev || got.Rev != rev {
		t.Errorf("Get: resourceVersion %q, Rev %q, want both %q", m.ResourceVersion, got.Rev, rev)
	}

	// An update keeps the identity the create gave it.
	upd := got.Value
	upd.Spec.IPNetworks = []string{"10.244.166.130/32"}
	if _, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: upd, Rev: rev}); err != nil {
		t.Fatal(err)
	}
	stored, _ := srv.Get(t, endpointKey(k))
	if !strings.Contains(stored, `"uid":"`+m.UID+`","creationTimestamp":"`+m.CreationTimestamp+`"`) || strings.Contains(stored, "resourceVersion") {
		t.Errorf("after update, stored %s", stored)
	}
}

// referencePool is the IPPool calicoctl stored (§9.2), with the elided
// metadata filled in.
const referencePool = `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"pool-10-244",` +
	`"uid":"5d3c5f8e-3f4b-4a55-9a0e-9d9b7f3c2a11","creationTimestamp":"2026-11-22T01:50:02Z"},` +
	`"spec":{"cidr":"10.244.0.0/16","vxlanMode":"Always","ipipMode":"Never","natOutgoing":true,"blockSize":26,` +
	`"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}`

func TestReadParsesStoredPoolsIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	srv.Put(t, "/calico/resources/v3/projectcalico.org/ippools/pool-10-244", referencePool)
	// Older objects lack what calicoctl now fills in; Read applies libcalico-go's defaults.
	srv.Put(t, "/calico/resources/v3/projectcalico.org/ippools/old-v4",
		`{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"old-v4"},"spec":{"cidr":"192.168.0.0/16","disabled":true}}`)
	srv.Put(t, "/calico/resources/v3/projectcalico.org/ippools/old-v6",
		`{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"old-v6"},"spec":{"cidr":"fd00:10:244::/64"}}`)

	got := read(t, s, datastore.Query{Pools: true}).Pools
	want := []datastore.IPPool{
		{Name: "old-v4", CIDR: netip.MustParsePrefix("192.168.0.0/16"), BlockSize: 26, Disabled: true,
			AllowedUses: []string{"Workload", "Tunnel"}, AssignmentMode: "Automatic"},
		{Name: "old-v6", CIDR: netip.MustParsePrefix("fd00:10:244::/64"), BlockSize: 122,
			AllowedUses: []string{"Workload", "Tunnel"}, AssignmentMode: "Automatic"},
		{Name: "pool-10-244", CIDR: netip.MustParsePrefix("10.244.0.0/16"), BlockSize: 26, NATOutgoing: true,
			NodeSelector: "all()", AllowedUses: []string{"Workload", "Tunnel"}, AssignmentMode: "Automatic", VXLANMode: "Always"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pools:\n got %+v\nwant %+v", got, want)
	}
}

func TestReadLegacyValuesIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	// An affinity written by an old Calico has an empty value: read as {}, that is confirmed.
	srv.Put(t, "/calico/ipam/v2/host/node1/ipv4/block/10.244.166.128-26", "")
	srv.Put(t, "/calico/ipam/v2/config", `{"strict_affinity":true}`)
	snap := read(t, s, datastore.Query{Affinities: "node1", Config: true})
	if len(snap.Affinities) != 1 {
		t.Fatalf("affinities = %+v, want one", snap.Affinities)
	}
	a := snap.Affinities[0]
	if a.Value != (datastore.Affinity{Host: "node1", CIDR: goldenBlock}) || a.Rev == "" {
		t.Errorf("legacy affinity = %+v, want state \"\" for %s with a Rev", a, goldenBlock)
	}
	if *snap.Config != (datastore.IPAMConfig{StrictAffinity: true}) {
		t.Errorf("config = %+v: absent fields must read as false/0", *snap.Config)
	}
}

// TestReadPastTxnLimitIntegration: a Read needing more ranges than one
// transaction may hold still sees every object, at one revision.
func TestReadPastTxnLimitIntegration(t *testing.T) {
	s, _ := newTestStore(t)
	var ids []string
	for batch := range 3 {
		var ws []datastore.Write[datastore.Handle]
		for i := range 100 {
			id := "k8s-pod-network.bulk-" + strconv.Itoa(batch*100+i)
			ids = append(ids, id)
			ws = append(ws, datastore.Write[datastore.Handle]{Op: datastore.Create,
				Value: datastore.Handle{HandleID: id, Block: map[string]int{"10.244.166.128/26": 1}}})
		}
		if err := s.Commit(testCtx(t), datastore.Change{Handles: ws}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.RoundTrips()
	snap := read(t, s, datastore.Query{Handles: ids, Pools: true})
	if n := s.RoundTrips() - before; n != 3 { // 301 ranges, 128 per transaction
		t.Errorf("Read of 301 ranges took %d round trips, want 3", n)
	}
	var missing []string
	for _, id := range ids {
		if _, ok := snap.Handles[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d handles missing from the Read, e.g. %v", len(missing), missing[:min(3, len(missing))])
	}
	revs := map[string]bool{}
	for _, h := range snap.Handles {
		revs[h.Rev] = true
	}
	if len(revs) != 3 {
		t.Errorf("handles carry %d distinct revisions, want the 3 of their 3 commits", len(revs))
	}
}

func read(t *testing.T, s *Store, q datastore.Query) *datastore.Snapshot {
	t.Helper()
	snap, err := s.Read(testCtx(t), q)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return snap
}
