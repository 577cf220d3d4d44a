package etcd

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/calico-win/cni/datastore"
)

// WorkloadEndpoints are projectcalico.org/v3 resources, stored as
// libcalico-go's etcdv3 backend stores them: the whole resource with
// resourceVersion cleared (the etcd mod_revision stands for it), uid and
// creationTimestamp set on create.

// GetWorkloadEndpoint reads one endpoint; its ResourceVersion is the Rev.
func (s *Store) GetWorkloadEndpoint(ctx context.Context, k datastore.WEPKey) (*datastore.Versioned[datastore.WorkloadEndpoint], error) {
	key := endpointKey(k)
	resps, err := s.ranges(ctx, []rangeRequest{get(key)})
	if err != nil {
		return nil, err
	}
	if len(resps[0].KVs) == 0 {
		return nil, fmt.Errorf("%w: %s", datastore.ErrNotFound, key)
	}
	return decodeEndpoint(resps[0].KVs[0])
}

func decodeEndpoint(kv keyValue) (*datastore.Versioned[datastore.WorkloadEndpoint], error) {
	w := &datastore.Versioned[datastore.WorkloadEndpoint]{Rev: revString(kv.ModRevision)}
	if err := decodeValue(kv, &w.Value); err != nil {
		return nil, err
	}
	w.Value.Metadata.ResourceVersion = w.Rev
	return w, nil
}

// PutWorkloadEndpoint creates the endpoint when w.Rev is empty (it must not
// exist: ErrExists), otherwise replaces it if it is still at w.Rev
// (ErrConflict, or ErrNotFound when it is gone). It returns the new Rev.
func (s *Store) PutWorkloadEndpoint(ctx context.Context, w datastore.Versioned[datastore.WorkloadEndpoint]) (string, error) {
	v := w.Value
	if v.Metadata.Name == "" || v.Metadata.Namespace == "" {
		return "", fmt.Errorf("etcd: WorkloadEndpoint needs a name and a namespace")
	}
	if v.Kind == "" {
		v.Kind = "WorkloadEndpoint"
	}
	if v.APIVersion == "" {
		v.APIVersion = "projectcalico.org/v3"
	}
	op := datastore.Update
	if w.Rev == "" {
		op = datastore.Create
		if v.Metadata.UID == "" {
			uid, err := newUID()
			if err != nil {
				return "", err
			}
			v.Metadata.UID = uid
		}
		if v.Metadata.CreationTimestamp == "" {
			v.Metadata.CreationTimestamp = time.Now().UTC().Format(time.RFC3339)
		}
	}
	v.Metadata.ResourceVersion = ""
	data, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("etcd: encoding WorkloadEndpoint: %w", err)
	}
	key := endpointKey(datastore.WEPKey{Namespace: v.Metadata.Namespace, Name: v.Metadata.Name})
	rev, err := s.commit(ctx, []write{{op: op, key: key, rev: w.Rev, value: data}})
	if err != nil {
		return "", err
	}
	return revString(rev), nil
}

// DeleteWorkloadEndpoint deletes the endpoint if it is still at rev (any
// revision when rev is empty). A missing endpoint is ErrNotFound.
func (s *Store) DeleteWorkloadEndpoint(ctx context.Context, k datastore.WEPKey, rev string) error {
	_, err := s.commit(ctx, []write{{op: datastore.Delete, key: endpointKey(k), rev: rev}})
	return err
}

// newUID returns a random (version 4) UUID, as Kubernetes' uuid.NewUUID.
func newUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("etcd: generating uid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// EnsureProfile creates p unless a profile of its name exists: one read,
// and when the profile is absent one create transaction (a create that
// finds the key, made meanwhile by another call, is not an error).
func (s *Store) EnsureProfile(ctx context.Context, p datastore.Profile) error {
	// Read first, as Calico does (Get, then Create if absent): a
	// create-if-absent transaction holds a write, so etcd makes it a raft
	// proposal with its WAL fsync on every ADD, even when the profile
	// exists and nothing is written. A read is not proposed.
	key := profilePrefix + p.Metadata.Name
	resps, err := s.ranges(ctx, []rangeRequest{{Key: []byte(key), CountOnly: true}})
	if err != nil {
		return err
	}
	if resps[0].Count > 0 {
		return nil
	}
	uid, err := newUID()
	if err != nil {
		return err
	}
	p.Metadata.UID, p.Metadata.CreationTimestamp = uid, time.Now().UTC().Format(time.RFC3339)
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = s.commit(ctx, []write{{op: datastore.Create, key: key, value: data}})
	if errors.Is(err, datastore.ErrExists) {
		return nil
	}
	return err
}
