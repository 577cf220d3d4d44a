/*
 * Fake computenetwork.dll (the HCN API) for tests under Wine; see fakehcn.h
 * for how tests script it. Signatures follow hcsshim's hcn/zsyscall_windows.go.
 */
#include "fakehcn.h"

/* FakeHcnMarker lets a test tell the fake from the real DLL. */
FAKE_EXPORT HRESULT WINAPI FakeHcnMarker(void) { return S_OK; }

#define WSTR_(s) L##s
#define WSTR(x) WSTR_(#x)

#define FAKE_OBJECT(Kind) \
FAKE_EXPORT HRESULT WINAPI HcnEnumerate##Kind##s(LPCWSTR query, LPWSTR *ids, LPWSTR *result) \
{ \
	HRESULT hr; \
	fake_record(L"HcnEnumerate" WSTR(Kind) L"s", query); \
	if ((hr = fake_fail(L"HcnEnumerate" WSTR(Kind) L"s", result)) != S_OK) \
		return hr; \
	*ids = fake_env(L"FAKEHCN_ENUM", L"[]"); \
	return S_OK; \
} \
FAKE_EXPORT HRESULT WINAPI HcnOpen##Kind(const GUID *id, HANDLE *h, LPWSTR *result) \
{ \
	HRESULT hr; \
	fake_record_guid(L"HcnOpen" WSTR(Kind), id); \
	if ((hr = fake_fail(L"HcnOpen" WSTR(Kind), result)) != S_OK) \
		return hr; \
	*h = (HANDLE)1; \
	return S_OK; \
} \
FAKE_EXPORT HRESULT WINAPI HcnModify##Kind(HANDLE h, LPCWSTR settings, LPWSTR *result) \
{ \
	fake_record(L"HcnModify" WSTR(Kind), settings); \
	return fake_fail(L"HcnModify" WSTR(Kind), result); \
} \
FAKE_EXPORT HRESULT WINAPI HcnQuery##Kind##Properties(HANDLE h, LPCWSTR query, LPWSTR *props, LPWSTR *result) \
{ \
	HRESULT hr; \
	fake_record(L"HcnQuery" WSTR(Kind) L"Properties", query); \
	if ((hr = fake_fail(L"HcnQuery" WSTR(Kind) L"Properties", result)) != S_OK) \
		return hr; \
	*props = fake_env(L"FAKEHCN_PROPS", L"{}"); \
	return S_OK; \
} \
FAKE_EXPORT HRESULT WINAPI HcnDelete##Kind(const GUID *id, LPWSTR *result) \
{ \
	fake_record_guid(L"HcnDelete" WSTR(Kind), id); \
	return fake_fail(L"HcnDelete" WSTR(Kind), result); \
} \
FAKE_EXPORT HRESULT WINAPI HcnClose##Kind(HANDLE h) \
{ \
	fake_record(L"HcnClose" WSTR(Kind), NULL); \
	return fake_fail(L"HcnClose" WSTR(Kind), NULL); \
}

FAKE_OBJECT(Network)
FAKE_OBJECT(Endpoint)
FAKE_OBJECT(Namespace)

FAKE_EXPORT HRESULT WINAPI HcnCreateNetwork(const GUID *id, LPCWSTR settings, HANDLE *h, LPWSTR *result)
{
	HRESULT hr;
	fake_record(L"HcnCreateNetwork", settings);
	if ((hr = fake_fail(L"HcnCreateNetwork", result)) != S_OK)
		return hr;
	*h = (HANDLE)1;
	return S_OK;
}

FAKE_EXPORT HRESULT WINAPI HcnCreateEndpoint(HANDLE network, const GUID *id, LPCWSTR settings, HANDLE *h, LPWSTR *result)
{
	HRESULT hr;
	fake_record(L"HcnCreateEndpoint", settings);
	if ((hr = fake_fail(L"HcnCreateEndpoint", result)) != S_OK)
		return hr;
	*h = (HANDLE)1;
	return S_OK;
}

FAKE_EXPORT HRESULT WINAPI HcnCreateNamespace(const GUID *id, LPCWSTR settings, HANDLE *h, LPWSTR *result)
{
	HRESULT hr;
	fake_record(L"HcnCreateNamespace", settings);
	if ((hr = fake_fail(L"HcnCreateNamespace", result)) != S_OK)
		return hr;
	*h = (HANDLE)1;
	return S_OK;
}
