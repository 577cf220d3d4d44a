/*
 * Fake vmcompute.dll for tests under Wine: only HNSCall, which hcsshim's
 * hcn.GetGlobals uses for GET /globals/version. See fakehcn.h.
 */
#include "fakehcn.h"

FAKE_EXPORT HRESULT WINAPI HNSCall(LPCWSTR method, LPCWSTR path, LPCWSTR object, LPWSTR *response)
{
	HRESULT hr;
	fake_record(L"HNSCall", path);
	if ((hr = fake_fail(L"HNSCall", NULL)) != S_OK)
		return hr;
	*response = fake_env(L"FAKEHNS_RESPONSE", L"{\"Success\":false,\"Error\":\"FAKEHNS_RESPONSE not set\"}");
	return S_OK;
}
