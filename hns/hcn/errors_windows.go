//go:build windows

package hcn

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/Microsoft/hcsshim/hcn"
	"golang.org/x/sys/windows"

	"github.com/calico-win/cni/hns"
)

// convertError turns the error of an hcn call made for the hns.Client method
// op into what hns's classifiers read, so that hns.IsNotFound and friends
// answer for this adapter exactly as for the simulator:
//
//   - hcn's lookup misses (NetworkNotFoundError, EndpointNotFoundError,
//     NamespaceNotFoundError) become *hns.NotFoundError;
//   - errors HNS returned (*hcn.HcnError, or the bare hcserror.HcsError of
//     hcn's v1 hnsCall) become *hns.Error with the failing call's name, the
//     code as hcn reports it and HNS's text;
//   - anything else (hcn's own argument checks, JSON errors, a missing DLL)
//     is wrapped with op and left unclassified.
func convertError(op string, err error) error {
	if err == nil {
		return nil
	}
	if nf := notFoundError(err); nf != nil {
		return nf
	}
	if he := hnsError(err); he != nil {
		return he
	}
	return fmt.Errorf("hcn %s: %w", op, err)
}

func notFoundError(err error) *hns.NotFoundError {
	// hcn's not-found types implement error on the value, not the pointer.
	if e := (hcn.NetworkNotFoundError{}); errors.As(err, &e) {
		return &hns.NotFoundError{Kind: "Network", Name: e.NetworkName, ID: e.NetworkID}
	}
	if e := (hcn.EndpointNotFoundError{}); errors.As(err, &e) {
		return &hns.NotFoundError{Kind: "Endpoint", Name: e.EndpointName, ID: e.EndpointID}
	}
	if e := (hcn.NamespaceNotFoundError{}); errors.As(err, &e) {
		return &hns.NotFoundError{Kind: "Namespace", ID: e.NamespaceID}
	}
	return nil
}

// hcsErrorType is hcsshim's *hcserror.HcsError, which HcnError embeds and
// hcn's hnsCall returns bare. Its package is internal, so the type is
// reached through HcnError's field, and its unexported title (the failing
// call) and rest (HNS's ErrorRecord) are read by reflection.
var hcsErrorType = reflect.TypeOf(hcn.HcnError{}.HcsError)

// errorGenFailure is the code hcn gives an error that carries no Win32
// code (hcserror.Win32FromError's default).
const errorGenFailure = uint32(windows.ERROR_GEN_FAILURE)

func hnsError(err error) *hns.Error {
	var he *hcn.HcnError
	if errors.As(err, &he) && he.HcsError != nil {
		return fromHcsError(reflect.ValueOf(he.HcsError))
	}
	target := reflect.New(hcsErrorType)
	if errors.As(err, target.Interface()) && !target.Elem().IsNil() {
		return fromHcsError(target.Elem())
	}
	return nil
}

// fromHcsError reads a non-nil *hcserror.HcsError.
func fromHcsError(p reflect.Value) *hns.Error {
	v := p.Elem()
	cause, _ := v.FieldByName("Err").Interface().(error)
	code := win32Code(cause)
	return &hns.Error{
		Op:   strings.TrimSpace(stringField(v, "title")),
		Code: code,
		Text: errorText(stringField(v, "rest"), code, cause),
	}
}

func stringField(v reflect.Value, name string) string {
	f := v.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

// win32Code is the code hcn.HcnError keeps (and hcn.CheckErrorWithCode
// compares): the Errno of the call, whose FACILITY_WIN32 HRESULTs hcn's
// syscall wrappers have already reduced to Win32 codes (0x80070490 -> 0x490).
func win32Code(cause error) uint32 {
	var errno windows.Errno
	if errors.As(cause, &errno) {
		return uint32(errno)
	}
	return errorGenFailure
}

// errorText prefers the text of HNS's ErrorRecord
// ({"Success":false,"Error":"Element not found. ","ErrorCode":2147943568}),
// then hns's text for the code, then the system's.
func errorText(record string, code uint32, cause error) string {
	var rec struct{ Error string }
	if json.Unmarshal([]byte(record), &rec) == nil {
		if t := strings.TrimSpace(rec.Error); t != "" {
			return t
		}
	}
	if t := hns.CodeText(code); t != "" {
		return t
	}
	if cause != nil {
		return cause.Error()
	}
	return ""
}
