/*
 * computenetwork.dll for Wine: the HCN API, each function forwarded to the
 * HCN service (see hcnshim.h). Signatures follow hcsshim's
 * hcn/zsyscall_windows.go.
 */
#include "hcnshim.h"

#define OBJECT(Kind) \
SHIM_EXPORT HRESULT WINAPI HcnEnumerate##Kind##s(LPCWSTR query, LPWSTR *ids, LPWSTR *result) \
{ return shim_call("HcnEnumerate" #Kind "s", NULL, NULL, query, NULL, ids, result); } \
SHIM_EXPORT HRESULT WINAPI HcnOpen##Kind(const GUID *id, HANDLE *h, LPWSTR *result) \
{ return shim_call("HcnOpen" #Kind, id, NULL, NULL, h, NULL, result); } \
SHIM_EXPORT HRESULT WINAPI HcnCreate##Kind(const GUID *id, LPCWSTR settings, HANDLE *h, LPWSTR *result) \
{ return shim_call("HcnCreate" #Kind, id, NULL, settings, h, NULL, result); } \
SHIM_EXPORT HRESULT WINAPI HcnModify##Kind(HANDLE h, LPCWSTR settings, LPWSTR *result) \
{ return shim_call("HcnModify" #Kind, NULL, h, settings, NULL, NULL, result); } \
SHIM_EXPORT HRESULT WINAPI HcnQuery##Kind##Properties(HANDLE h, LPCWSTR query, LPWSTR *props, LPWSTR *result) \
{ return shim_call("HcnQuery" #Kind "Properties", NULL, h, query, NULL, props, result); } \
SHIM_EXPORT HRESULT WINAPI HcnDelete##Kind(const GUID *id, LPWSTR *result) \
{ return shim_call("HcnDelete" #Kind, id, NULL, NULL, NULL, NULL, result); } \
SHIM_EXPORT HRESULT WINAPI HcnClose##Kind(HANDLE h) \
{ return shim_call("HcnClose" #Kind, NULL, h, NULL, NULL, NULL, NULL); }

OBJECT(Network)
OBJECT(Namespace)

SHIM_EXPORT HRESULT WINAPI HcnEnumerateEndpoints(LPCWSTR query, LPWSTR *ids, LPWSTR *result)
{ return shim_call("HcnEnumerateEndpoints", NULL, NULL, query, NULL, ids, result); }
SHIM_EXPORT HRESULT WINAPI HcnOpenEndpoint(const GUID *id, HANDLE *h, LPWSTR *result)
{ return shim_call("HcnOpenEndpoint", id, NULL, NULL, h, NULL, result); }
/* An endpoint is created on the network whose handle HCN is given. */
SHIM_EXPORT HRESULT WINAPI HcnCreateEndpoint(HANDLE network, const GUID *id, LPCWSTR settings, HANDLE *h, LPWSTR *result)
{ return shim_call("HcnCreateEndpoint", id, network, settings, h, NULL, result); }
SHIM_EXPORT HRESULT WINAPI HcnModifyEndpoint(HANDLE h, LPCWSTR settings, LPWSTR *result)
{ return shim_call("HcnModifyEndpoint", NULL, h, settings, NULL, NULL, result); }
SHIM_EXPORT HRESULT WINAPI HcnQueryEndpointProperties(HANDLE h, LPCWSTR query, LPWSTR *props, LPWSTR *result)
{ return shim_call("HcnQueryEndpointProperties", NULL, h, query, NULL, props, result); }
SHIM_EXPORT HRESULT WINAPI HcnDeleteEndpoint(const GUID *id, LPWSTR *result)
{ return shim_call("HcnDeleteEndpoint", id, NULL, NULL, NULL, NULL, result); }
SHIM_EXPORT HRESULT WINAPI HcnCloseEndpoint(HANDLE h)
{ return shim_call("HcnCloseEndpoint", NULL, h, NULL, NULL, NULL, NULL); }
