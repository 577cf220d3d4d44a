package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// Index kinds under names/.
const (
	networkNames  = "networks"
	endpointNames = "endpoints"
)

// nameEntry is the content of names/<kind>/<hash>.json: the objects bearing
// one name, oldest first. The name is kept to tell hash collisions apart.
type nameEntry struct {
	Name string
	IDs  []string
}

// namePath hashes the name, which may hold any character, into a file name.
func (st store) namePath(kind, name string) string {
	sum := sha256.Sum256([]byte(name))
	return st.path(namesDir, kind, hex.EncodeToString(sum[:16])+".json")
}

// idsByName returns the IDs of objects named name, oldest first.
func (st store) idsByName(kind, name string) ([]string, error) {
	var e nameEntry
	if err := st.readJSON(st.namePath(kind, name), &e); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if e.Name != name {
		return nil, nil
	}
	return e.IDs, nil
}

func (st store) addName(kind, name, id string) error {
	if err := os.MkdirAll(st.path(namesDir, kind), 0o755); err != nil {
		return err
	}
	ids, err := st.idsByName(kind, name)
	if err != nil {
		return err
	}
	return st.putJSON(st.namePath(kind, name), nameEntry{Name: name, IDs: append(ids, id)})
}

func (st store) removeName(kind, name, id string) error {
	ids, err := st.idsByName(kind, name)
	if err != nil {
		return err
	}
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == id })
	if len(ids) == 0 {
		return st.drop(st.namePath(kind, name))
	}
	return st.putJSON(st.namePath(kind, name), nameEntry{Name: name, IDs: ids})
}

// ipKey turns an address into a file name (':' is not allowed on Windows).
func ipKey(a netip.Addr) string { return strings.ReplaceAll(a.String(), ":", "-") }

// ipHolder returns the endpoint holding a on network netID, or "".
func (st store) ipHolder(netID string, a netip.Addr) (string, error) {
	b, err := st.readFile(st.path(ipsDir, netID, ipKey(a)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return string(b), err
}

func (st store) holdIP(netID string, a netip.Addr, epID string) error {
	return st.put(st.path(ipsDir, netID, ipKey(a)), []byte(epID))
}

func (st store) releaseIP(netID string, a netip.Addr) error {
	return st.drop(st.path(ipsDir, netID, ipKey(a)))
}

// addMember records that endpoint epID belongs to network netID.
func (st store) addMember(netID, epID string) error {
	return st.put(st.path(membersDir, netID, epID), []byte(epID))
}

func (st store) removeMember(netID, epID string) error {
	return st.drop(st.path(membersDir, netID, epID))
}

// members returns the IDs of the endpoints of network netID.
func (st store) members(netID string) ([]string, error) {
	return st.listNames(st.path(membersDir, netID))
}

// portHolder returns the endpoint holding a PortMapping key, or "".
func (st store) portHolder(key string) (string, error) {
	b, err := st.readFile(st.path(portsDir, key))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return string(b), err
}

func (st store) holdPort(key, epID string) error {
	return st.put(st.path(portsDir, key), []byte(epID))
}

func (st store) releasePort(key string) error {
	return st.drop(st.path(portsDir, key))
}
