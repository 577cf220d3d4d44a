/*
 * The thin C side of the HCN service for Wine (see ../doc.go): every export
 * of computenetwork.dll and vmcompute.dll that hcsshim's hcn package calls
 * becomes one request over loopback TCP to the Go service named by the
 * environment variable CALICO_HCN_SERVICE ("127.0.0.1:PORT"). The service
 * answers the HRESULT, a handle, the output string and HNS's result record;
 * all HNS semantics are there. Wire format: ../protocol.go.
 *
 * With the variable unset or the service unreachable, every call fails with
 * HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE), as HNS does when its service
 * is not running.
 */
#ifndef HCNSHIM_H
#define HCNSHIM_H

#include <winsock2.h>
#include <windows.h>
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHIM_EXPORT __declspec(dllexport)
#define SHIM_UNAVAILABLE ((HRESULT)0x80070426)

HRESULT shim_call(const char *op, const GUID *id, HANDLE h, LPCWSTR arg,
	HANDLE *out_handle, LPWSTR *out, LPWSTR *result);

#endif
