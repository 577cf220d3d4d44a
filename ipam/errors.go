package ipam

import "errors"

// Errors with Calico's texts, which users search for.
var (
	ErrStrictAffinity = errors.New("global strict affinity should not be false for Windows node")
	ErrBlockLimit     = errors.New("cannot allocate new block due to per host block limit")
	ErrNoFreeBlocks   = errors.New("no free blocks left in the selected IP pools")
	// ErrNoNode: the Calico Node resource of this host does not exist (calico-node has not registered it).
	ErrNoNode = errors.New("no Calico Node resource for this host")
	// ErrInvalidRequest marks problems with what was asked (a bad IP= address, an unknown pool): the caller's input, not the datastore.
	ErrInvalidRequest = errors.New("invalid IPAM request")
	// ErrAutoAllocateDisabled: no free address and IPAMConfig forbids claiming blocks.
	ErrAutoAllocateDisabled = errors.New("no free address in this host's blocks and automatic block allocation is disabled")
)
