/*
 * Shared helpers for the fake HNS DLLs (computenetwork.c, vmcompute.c) that
 * scripts/wine-test.sh installs in the Wine prefix, so that hcsshim's hcn
 * package can be driven end to end under Wine by tests built with
 * -tags fakehcn. Never installed on a real Windows host.
 *
 * The fake is scripted through the process environment, which the test
 * process shares with the DLL (Go on Windows reads and writes it with
 * Get/SetEnvironmentVariableW):
 *
 *   FAKEHCN_FAIL_<Function>  hex HRESULT the function returns, with an
 *                            ErrorRecord {"Success":false,"Error":"<text>",
 *                            "ErrorCode":<decimal HRESULT>} as its result
 *   FAKEHCN_TEXT             <text> in that record ("fake failure" if unset)
 *   FAKEHCN_ENUM             JSON GUID list HcnEnumerate* returns ("[]")
 *   FAKEHCN_PROPS            JSON HcnQuery*Properties returns ("{}")
 *   FAKEHNS_RESPONSE         JSON HNSCall returns
 *
 * and it reports what it was asked:
 *
 *   FAKEHCN_CALLS            space-separated names of the functions called
 *   FAKEHCN_ARG_<Function>   the function's JSON argument (settings or
 *                            query; for HNSCall the path), or the object
 *                            GUID for Open/Delete
 */
#ifndef FAKEHCN_H
#define FAKEHCN_H

#include <windows.h>
#include <objbase.h>
#include <wchar.h>

#define FAKE_EXPORT __declspec(dllexport)

/* fake_env returns a CoTaskMemAlloc'd copy of the variable, or of def when
 * it is unset or empty (NULL when def is NULL). */
static inline LPWSTR fake_env(LPCWSTR name, LPCWSTR def)
{
	DWORD n = GetEnvironmentVariableW(name, NULL, 0);
	LPWSTR s;
	if (n > 1) {
		s = CoTaskMemAlloc(n * sizeof(WCHAR));
		if (s != NULL && GetEnvironmentVariableW(name, s, n) == n - 1)
			return s;
		CoTaskMemFree(s);
	}
	if (def == NULL)
		return NULL;
	n = (DWORD)wcslen(def) + 1;
	s = CoTaskMemAlloc(n * sizeof(WCHAR));
	if (s != NULL)
		memcpy(s, def, n * sizeof(WCHAR));
	return s;
}

static inline void fake_var(LPWSTR buf, size_t len, LPCWSTR prefix, LPCWSTR fn)
{
	_snwprintf(buf, len, L"%ls%ls", prefix, fn);
	buf[len - 1] = 0;
}

/* fake_record notes the call and its argument (may be NULL). */
static inline void fake_record(LPCWSTR fn, LPCWSTR arg)
{
	WCHAR name[128];
	LPWSTR calls = fake_env(L"FAKEHCN_CALLS", L"");
	size_t n = wcslen(calls) + wcslen(fn) + 2;
	LPWSTR next = CoTaskMemAlloc(n * sizeof(WCHAR));
	if (next != NULL) {
		_snwprintf(next, n, calls[0] ? L"%ls %ls" : L"%ls%ls", calls, fn);
		next[n - 1] = 0;
		SetEnvironmentVariableW(L"FAKEHCN_CALLS", next);
		CoTaskMemFree(next);
	}
	CoTaskMemFree(calls);
	if (arg != NULL) {
		fake_var(name, 128, L"FAKEHCN_ARG_", fn);
		SetEnvironmentVariableW(name, arg);
	}
}

static inline void fake_record_guid(LPCWSTR fn, const GUID *id)
{
	WCHAR s[64];
	if (id == NULL || StringFromGUID2(id, s, 64) == 0) {
		fake_record(fn, NULL);
		return;
	}
	s[wcslen(s) - 1] = 0; /* drop the braces */
	fake_record(fn, s + 1);
}

/* fake_fail returns the HRESULT scripted for fn (S_OK if none) and, when
 * it fails and result is not NULL, stores HNS's ErrorRecord in *result. */
static inline HRESULT fake_fail(LPCWSTR fn, LPWSTR *result)
{
	WCHAR name[128];
	LPWSTR v, text;
	ULONG hr;
	size_t n;

	if (result != NULL)
		*result = NULL;
	fake_var(name, 128, L"FAKEHCN_FAIL_", fn);
	v = fake_env(name, NULL);
	if (v == NULL)
		return S_OK;
	hr = wcstoul(v, NULL, 16);
	CoTaskMemFree(v);
	if (hr == 0 || result == NULL)
		return (HRESULT)hr;
	text = fake_env(L"FAKEHCN_TEXT", L"fake failure");
	n = wcslen(text) + 96;
	*result = CoTaskMemAlloc(n * sizeof(WCHAR));
	if (*result != NULL) {
		_snwprintf(*result, n, L"{\"Success\":false,\"Error\":\"%ls\",\"ErrorCode\":%lu}", text, hr);
		(*result)[n - 1] = 0;
	}
	CoTaskMemFree(text);
	return (HRESULT)hr;
}

#endif
