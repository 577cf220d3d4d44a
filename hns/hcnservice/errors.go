package hcnservice

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/calico-win/cni/hns"
)

// HRESULTs the service returns besides HNS's own codes.
const (
	eFail         uint32 = 0x80004005 // E_FAIL: an error that is not HNS's (the simulator's disk, a timeout)
	eNotImpl      uint32 = 0x80004001 // E_NOTIMPL: a request the simulator does not implement
	eInvalidArg   uint32 = 0x80070057 // E_INVALIDARG (ERROR_INVALID_PARAMETER)
	eInvalidHandl uint32 = 0x80070006 // ERROR_INVALID_HANDLE: a handle never opened or already closed
)

// hresult is the HRESULT HNS returns for code: Win32 codes are wrapped in
// FACILITY_WIN32, which hcn's syscall wrappers strip again.
func hresult(code uint32) uint32 {
	if code&0xffff0000 == 0 {
		return 0x80070000 | code
	}
	return code
}

// fail is the response of a call that failed with hr: HNS's result record
// {"Success":false,"Error":"<text> ","ErrorCode":<hr>} beside the HRESULT.
func fail(hr uint32, text string) *Response {
	rec, _ := json.Marshal(struct {
		Success   bool
		Error     string
		ErrorCode uint32
	}{false, text + " ", hr})
	return &Response{HResult: hr, Result: string(rec)}
}

// failErr is the response of a call whose backend call returned err. HNS
// errors keep their code and text; a lookup miss becomes notFound (the code
// HNS returns for that object kind); anything else is E_FAIL with the text.
func failErr(err error, notFound uint32) *Response {
	var he *hns.Error
	if errors.As(err, &he) {
		return fail(hresult(he.Code), he.Text)
	}
	var nf *hns.NotFoundError
	if errors.As(err, &nf) {
		return fail(hresult(notFound), hns.CodeText(notFound))
	}
	return fail(eFail, err.Error())
}

// badArg is E_INVALIDARG with the reason, for settings or queries HNS
// would reject as malformed.
func badArg(format string, a ...any) *Response {
	return fail(eInvalidArg, fmt.Sprintf(format, a...))
}
