//go:build windows

package hcn

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/Microsoft/hcsshim/hcn"
	"golang.org/x/sys/windows"

	"github.com/calico-win/cni/hns"
)

// hcn's lookup misses become hns.NotFoundError with the same text, also
// when wrapped.
func TestNotFoundErrors(t *testing.T) {
	for _, tc := range []struct {
		in   error
		want hns.NotFoundError
	}{
		{hcn.NetworkNotFoundError{NetworkName: "Calico"}, hns.NotFoundError{Kind: "Network", Name: "Calico"}},
		{hcn.NetworkNotFoundError{NetworkID: "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11"}, hns.NotFoundError{Kind: "Network", ID: "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11"}},
		{hcn.EndpointNotFoundError{EndpointName: "c1_Calico"}, hns.NotFoundError{Kind: "Endpoint", Name: "c1_Calico"}},
		{hcn.EndpointNotFoundError{EndpointID: "9D2C0E4B-6A1F-4C52-8E3B-77A1D2F0C9E1"}, hns.NotFoundError{Kind: "Endpoint", ID: "9D2C0E4B-6A1F-4C52-8E3B-77A1D2F0C9E1"}},
		{hcn.NamespaceNotFoundError{NamespaceID: "00000000-0000-0000-0000-000000000000"}, hns.NotFoundError{Kind: "Namespace", ID: "00000000-0000-0000-0000-000000000000"}},
	} {
		for _, in := range []error{tc.in, fmt.Errorf("looking up: %w", tc.in)} {
			t.Run(in.Error(), func(t *testing.T) {
				got := convertError("Get", in)
				var nf *hns.NotFoundError
				if !errors.As(got, &nf) || *nf != tc.want {
					t.Fatalf("convertError(%#v) = %#v, want %#v", in, got, &tc.want)
				}
				if got.Error() != tc.in.Error() {
					t.Errorf("text = %q, hcn's = %q", got.Error(), tc.in.Error())
				}
				if !hns.IsNotFound(got) || !hcn.IsNotFoundError(tc.in) {
					t.Errorf("IsNotFound(%v) = false", got)
				}
				if hns.IsAlreadyExists(got) || hns.IsConflict(got) || hns.IsInvalidConfig(got) || hns.IsServiceUnavailable(got) {
					t.Errorf("%v is classified as more than not found", got)
				}
			})
		}
	}
}

// Errors that are not HNS's keep their identity, gain the method name and
// are classified as nothing.
func TestOtherErrors(t *testing.T) {
	if err := convertError("Get", nil); err != nil {
		t.Errorf("convertError(nil) = %v", err)
	}
	base := errors.New("invalid endpoint ID")
	for _, in := range []error{base, context.DeadlineExceeded, &hcn.HcnError{}} {
		got := convertError("DeleteEndpoint", in)
		if !errors.Is(got, in) {
			t.Errorf("convertError(%v) = %v, which does not wrap it", in, got)
		}
		if hns.IsNotFound(got) || hns.Code(got) != 0 {
			t.Errorf("convertError(%v) = %v is classified (code %#x)", in, got, hns.Code(got))
		}
	}
	if got := convertError("DeleteEndpoint", base).Error(); got != "hcn DeleteEndpoint: invalid endpoint ID" {
		t.Errorf("text = %q", got)
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		record string
		code   uint32
		cause  error
		want   string
	}{
		{`{"Success":false,"Error":"Element not found. ","ErrorCode":2147943568}`, 0x490, nil, "Element not found."},
		{`{"Success":false,"Error":"An address provided is invalid or reserved. ","ErrorCode":2151350319}`, hns.AddrInvalidOrReserved, nil, "An address provided is invalid or reserved."},
		{"", hns.EndpointNotFound, nil, "The endpoint was not found."},
		{"not json", hns.NetworkNotFound, nil, "The network was not found."},
		{`{"Success":false,"Error":" ","ErrorCode":1}`, 0xdead, errors.New("system text"), "system text"},
		{"", 0xdead, nil, ""},
	} {
		if got := errorText(tc.record, tc.code, tc.cause); got != tc.want {
			t.Errorf("errorText(%q, %#x, %v) = %q, want %q", tc.record, tc.code, tc.cause, got, tc.want)
		}
	}
}

func TestWin32Code(t *testing.T) {
	for _, tc := range []struct {
		cause error
		want  uint32
	}{
		{windows.Errno(0x490), 0x490},
		{windows.Errno(hns.EndpointNamespaceExists), hns.EndpointNamespaceExists},
		{fmt.Errorf("wrapped: %w", windows.Errno(0x57)), 0x57},
		{errors.New("no code"), 0x1f},
		{nil, 0x1f},
	} {
		if got := win32Code(tc.cause); got != tc.want {
			t.Errorf("win32Code(%v) = %#x, want %#x", tc.cause, got, tc.want)
		}
	}
}
