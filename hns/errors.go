package hns

import (
	"errors"
	"fmt"
)

// HRESULTs and Win32 codes HNS returns that the plugin and simulator use.
// Texts are HNS's own (Windows' message table), reproduced verbatim.
const (
	ErrorNotFound           uint32 = 0x490 // Win32 ERROR_NOT_FOUND
	ErrorInvalidParameter   uint32 = 0x57
	ErrorAlreadyExists      uint32 = 0x1392 // Win32 ERROR_OBJECT_ALREADY_EXISTS
	NetworkNotFound         uint32 = 0x803b0001
	EndpointNotFound        uint32 = 0x803b0002
	InvalidNetworkConfig    uint32 = 0x803b000a
	InvalidEndpointConfig   uint32 = 0x803b000c
	InvalidPolicy           uint32 = 0x803b000d
	InvalidPolicyType       uint32 = 0x803b000e
	NetworkAlreadyExists    uint32 = 0x803b0010
	PortAlreadyExists       uint32 = 0x803b0013
	EndpointAlreadyAttached uint32 = 0x803b0014
	RequestUnsupported      uint32 = 0x803b0015
	DegradedObject          uint32 = 0x803b0017
	InvalidJSON             uint32 = 0x803b001b
	InvalidIP               uint32 = 0x803b001e
	ServiceStopping         uint32 = 0x803b0020
	EndpointNamespaceExists uint32 = 0x803b002b
	EntityHasReferences     uint32 = 0x803b002c
	NamespaceAttachFailed   uint32 = 0x803b002e
	AddrInvalidOrReserved   uint32 = 0x803b002f
	EndpointNotAttached     uint32 = 0x803b0034
	ServiceNotStarted       uint32 = 0x426 // Win32 ERROR_SERVICE_NOT_ACTIVE; HNS returns HRESULT 0x80070426, which hcn reduces
)

// codeText holds the system texts HNS puts in its errors.
var codeText = map[uint32]string{
	ErrorNotFound:           "Element not found.",
	ErrorInvalidParameter:   "The parameter is incorrect.",
	ErrorAlreadyExists:      "The object already exists.",
	NetworkNotFound:         "The network was not found.",
	EndpointNotFound:        "The endpoint was not found.",
	InvalidNetworkConfig:    "The network configuration is invalid.",
	InvalidEndpointConfig:   "The endpoint configuration is invalid.",
	InvalidPolicy:           "The provided policy configuration is invalid or missing parameters.",
	InvalidPolicyType:       "Invalid Policy Type.",
	NetworkAlreadyExists:    "A network with this name already exists.",
	PortAlreadyExists:       "The specified port already exists.",
	EndpointAlreadyAttached: "This endpoint is already attached to the switch.",
	RequestUnsupported:      "The specified request is unsupported.",
	DegradedObject:          "There was an operation attempted on a degraded object.",
	InvalidJSON:             "The JSON document is invalid.",
	InvalidIP:               "IP address is either invalid or not part of any configured subnet(s).",
	ServiceStopping:         "The Host Compute Service is stopping.",
	EndpointNamespaceExists: "This requested operation is invalid as endpoint is already part of a network namespace.",
	EntityHasReferences:     "The entity has references.",
	NamespaceAttachFailed:   "The requested operation for attach namespace failed.",
	AddrInvalidOrReserved:   "An address provided is invalid or reserved.",
	EndpointNotAttached:     "This requested operation is invalid as endpoint is not attached.",
	ServiceNotStarted:       "The service has not been started.",
}

// CodeText returns HNS's text for a code ("" if unknown).
func CodeText(code uint32) string { return codeText[code] }

// Error is an error HNS itself returned: the failing call, the HRESULT (or
// Win32 code, as hcn's syscall wrappers report FACILITY_WIN32 codes) and
// the system text. Error() prints it in HNS's format:
//
//	hcnCreateEndpoint failed in Win32: <text> (0x<code>) {"Success":false,"Error":"<text> ","ErrorCode":<decimal HRESULT>}
type Error struct {
	Op   string // hcnCreateEndpoint, hcnOpenNamespace, ...
	Code uint32
	Text string
}

// NewError returns the HNS error for op and code with HNS's text.
func NewError(op string, code uint32) *Error {
	t := codeText[code]
	if t == "" {
		t = fmt.Sprintf("Unknown error (0x%x)", code)
	}
	return &Error{Op: op, Code: code, Text: t}
}

// hresult returns the HRESULT HNS puts in its ErrorRecord: Win32 codes are
// reported wrapped in FACILITY_WIN32.
func (e *Error) hresult() uint32 {
	if e.Code&0xffff0000 == 0 {
		return 0x80070000 | e.Code
	}
	return e.Code
}

func (e *Error) Error() string {
	return fmt.Sprintf(`%s failed in Win32: %s (0x%x) {"Success":false,"Error":"%s ","ErrorCode":%d}`,
		e.Op, e.Text, e.Code, e.Text, e.hresult())
}

// NotFoundError is the shim-side "nothing matched the query" error that hcn
// returns from its lookups (NetworkNotFoundError, EndpointNotFoundError,
// NamespaceNotFoundError), with hcn's texts.
type NotFoundError struct {
	Kind string // Network, Endpoint, Namespace
	Name string // set for lookups by name
	ID   string // set for lookups by ID
}

func (e *NotFoundError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("%s name %q not found", e.Kind, e.Name)
	}
	return fmt.Sprintf("%s ID %q not found", e.Kind, e.ID)
}

// Code returns the HNS code of err, or 0 when err is not an HNS error.
func Code(err error) uint32 {
	var he *Error
	if errors.As(err, &he) {
		return he.Code
	}
	return 0
}

// IsNotFound reports whether err means the object does not exist: the shim's
// lookup errors, 0x490 (Element not found), 0x803b0001 (network) and
// 0x803b0002 (endpoint). hcn.IsNotFoundError misses the last three.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return true
	}
	switch Code(err) {
	case ErrorNotFound, NetworkNotFound, EndpointNotFound:
		return true
	}
	return false
}

// IsAlreadyExists reports a name or object that already exists.
func IsAlreadyExists(err error) bool {
	switch Code(err) {
	case ErrorAlreadyExists, NetworkAlreadyExists, PortAlreadyExists, EndpointAlreadyAttached:
		return true
	}
	return false
}

// IsConflict reports a conflict with other state: an address held by another
// endpoint, or an endpoint already in a namespace.
func IsConflict(err error) bool {
	switch Code(err) {
	case AddrInvalidOrReserved, EndpointNamespaceExists, EntityHasReferences:
		return true
	}
	return false
}

// IsInvalidConfig reports a request HNS refused as malformed.
func IsInvalidConfig(err error) bool {
	switch Code(err) {
	case InvalidNetworkConfig, InvalidEndpointConfig, InvalidPolicy, InvalidPolicyType,
		InvalidJSON, InvalidIP, ErrorInvalidParameter:
		return true
	}
	return false
}

// IsServiceUnavailable reports that HNS is stopping, not started or crashed:
// worth retrying later.
func IsServiceUnavailable(err error) bool {
	switch Code(err) {
	case ServiceStopping, ServiceNotStarted, RequestUnsupported:
		return true
	}
	return false
}
