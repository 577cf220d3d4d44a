/*
 * vmcompute.dll for Wine: only HNSCall, which hcsshim's hcn.GetGlobals uses
 * for GET /globals/version; forwarded to the HCN service (see hcnshim.h).
 */
#include "hcnshim.h"

SHIM_EXPORT HRESULT WINAPI HNSCall(LPCWSTR method, LPCWSTR path, LPCWSTR object, LPWSTR *response)
{
	WCHAR req[512];
	_snwprintf(req, 512, L"%ls %ls", method ? method : L"", path ? path : L"");
	req[511] = 0;
	return shim_call("HNSCall", NULL, NULL, req, NULL, response, NULL);
}
