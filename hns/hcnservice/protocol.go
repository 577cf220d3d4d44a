package hcnservice

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The wire format, one request and one response per TCP connection:
//
//	request:  "<op> <guid|-> <handle> <pid> <len>\n" then len bytes of UTF-8 argument
//	response: "<hresult hex> <handle> <outlen> <resultlen>\n" then the output and the result record
//
// op is the DLL export's name (HcnOpenNetwork, HNSCall, ...); the argument is
// the settings or query JSON (for HNSCall, "<method> <path>"). Lengths are
// byte counts, so JSON needs no escaping. The server closes the connection
// after the response.

// maxArg bounds a request's argument: HCN settings are a few kilobytes.
const maxArg = 16 << 20

// Request is one DLL call.
type Request struct {
	Op     string
	ID     string // object GUID without braces, "" if none
	Handle uint64
	PID    uint32 // the calling process, for the handle table
	Arg    string
}

// Response is what the DLL call returns.
type Response struct {
	HResult uint32
	Handle  uint64
	Out     string // GUID list or properties JSON
	Result  string // HNS's result (error) record, "" on success
}

// ReadRequest parses one request.
func ReadRequest(r *bufio.Reader) (*Request, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("reading request header: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 5 {
		return nil, fmt.Errorf("malformed request header %q", strings.TrimSpace(line))
	}
	req := &Request{Op: f[0], ID: f[1]}
	if req.ID == "-" {
		req.ID = ""
	}
	if req.Handle, err = strconv.ParseUint(f[2], 10, 64); err != nil {
		return nil, fmt.Errorf("request handle %q: %w", f[2], err)
	}
	pid, err := strconv.ParseUint(f[3], 10, 32)
	if err != nil {
		return nil, fmt.Errorf("request pid %q: %w", f[3], err)
	}
	req.PID = uint32(pid)
	n, err := strconv.ParseUint(f[4], 10, 32)
	if err != nil || n > maxArg {
		return nil, fmt.Errorf("request argument length %q: want 0-%d", f[4], maxArg)
	}
	arg := make([]byte, n)
	if _, err := io.ReadFull(r, arg); err != nil {
		return nil, fmt.Errorf("reading request argument: %w", err)
	}
	req.Arg = string(arg)
	return req, nil
}

// WriteRequest is the client side of ReadRequest (the shim's, in Go, for
// tests).
func WriteRequest(w io.Writer, req *Request) error {
	id := req.ID
	if id == "" {
		id = "-"
	}
	_, err := fmt.Fprintf(w, "%s %s %d %d %d\n%s", req.Op, id, req.Handle, req.PID, len(req.Arg), req.Arg)
	return err
}

// WriteResponse sends resp.
func WriteResponse(w io.Writer, resp *Response) error {
	_, err := fmt.Fprintf(w, "%08x %d %d %d\n%s%s", resp.HResult, resp.Handle, len(resp.Out), len(resp.Result), resp.Out, resp.Result)
	return err
}

// ReadResponse is the client side of WriteResponse.
func ReadResponse(r *bufio.Reader) (*Response, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("reading response header: %w", err)
	}
	var resp Response
	var nOut, nRes int
	if _, err := fmt.Sscanf(line, "%x %d %d %d\n", &resp.HResult, &resp.Handle, &nOut, &nRes); err != nil {
		return nil, fmt.Errorf("malformed response header %q: %w", strings.TrimSpace(line), err)
	}
	body := make([]byte, nOut+nRes)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	resp.Out, resp.Result = string(body[:nOut]), string(body[nOut:])
	return &resp, nil
}
