/* The one function every export calls; see hcnshim.h. */
#include "hcnshim.h"

/* utf8 returns a malloc'd UTF-8 copy of s ("" for NULL). */
static char *utf8(LPCWSTR s, int *len)
{
	int n;
	char *b;
	if (s == NULL) {
		*len = 0;
		return calloc(1, 1);
	}
	n = WideCharToMultiByte(CP_UTF8, 0, s, -1, NULL, 0, NULL, NULL);
	b = malloc(n > 0 ? n : 1);
	if (b == NULL)
		return NULL;
	b[0] = 0;
	if (n > 0)
		WideCharToMultiByte(CP_UTF8, 0, s, -1, b, n, NULL, NULL);
	*len = n > 0 ? n - 1 : 0;
	return b;
}

/* wide returns a CoTaskMemAlloc'd UTF-16 copy of n bytes of UTF-8, which
 * hcn frees with CoTaskMemFree. */
static LPWSTR wide(const char *s, int n)
{
	int w = n > 0 ? MultiByteToWideChar(CP_UTF8, 0, s, n, NULL, 0) : 0;
	LPWSTR b = CoTaskMemAlloc((w + 1) * sizeof(WCHAR));
	if (b == NULL)
		return NULL;
	if (w > 0)
		MultiByteToWideChar(CP_UTF8, 0, s, n, b, w);
	b[w] = 0;
	return b;
}

static const DWORD timeout_ms = 120000;

static SOCKET dial(void)
{
	char addr[64], *colon;
	struct sockaddr_in sa;
	SOCKET s;
	DWORD n = GetEnvironmentVariableA("CALICO_HCN_SERVICE", addr, sizeof addr);
	if (n == 0 || n >= sizeof addr || (colon = strrchr(addr, ':')) == NULL)
		return INVALID_SOCKET;
	*colon = 0;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((u_short)atoi(colon + 1));
	sa.sin_addr.s_addr = inet_addr(addr);
	s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (s == INVALID_SOCKET)
		return s;
	/* A hung service must not hang the CNI call forever: the service
	 * bounds each call to 60 s, so 120 s without an answer means it is
	 * gone, and the call fails as "service not started". */
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout_ms, sizeof timeout_ms);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&timeout_ms, sizeof timeout_ms);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
		closesocket(s);
		return INVALID_SOCKET;
	}
	return s;
}

static int send_all(SOCKET s, const char *b, int n)
{
	while (n > 0) {
		int k = send(s, b, n, 0);
		if (k <= 0)
			return -1;
		b += k;
		n -= k;
	}
	return 0;
}

/* recv_all reads until the service closes the connection. */
static char *recv_all(SOCKET s, int *len)
{
	int cap = 4096, n = 0, k;
	char *b = malloc(cap + 1), *nb;
	while (b != NULL && (k = recv(s, b + n, cap - n, 0)) > 0) {
		n += k;
		if (n == cap) {
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (nb == NULL)
				free(b);
			b = nb;
		}
	}
	if (b != NULL)
		b[n] = 0;
	*len = n;
	return b;
}

HRESULT shim_call(const char *op, const GUID *id, HANDLE h, LPCWSTR arg,
	HANDLE *out_handle, LPWSTR *out, LPWSTR *result)
{
	WSADATA wsa;
	SOCKET s;
	char head[256], guid[40] = "-", *a, *resp = NULL, *body;
	int alen, rlen = 0, nout, nres;
	unsigned long hr = (unsigned long)SHIM_UNAVAILABLE;
	unsigned long long handle = 0;

	if (result != NULL)
		*result = NULL;
	if (out != NULL)
		*out = NULL;
	if (id != NULL)
		snprintf(guid, sizeof guid, "%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
			id->Data1, id->Data2, id->Data3, id->Data4[0], id->Data4[1], id->Data4[2],
			id->Data4[3], id->Data4[4], id->Data4[5], id->Data4[6], id->Data4[7]);
	if ((a = utf8(arg, &alen)) == NULL)
		return E_OUTOFMEMORY;
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
		free(a);
		return SHIM_UNAVAILABLE;
	}
	s = dial();
	if (s != INVALID_SOCKET) {
		snprintf(head, sizeof head, "%s %s %llu %lu %d\n", op, guid,
			(unsigned long long)(ULONG_PTR)h, GetCurrentProcessId(), alen);
		if (send_all(s, head, (int)strlen(head)) == 0 && send_all(s, a, alen) == 0) {
			shutdown(s, SD_SEND);
			resp = recv_all(s, &rlen);
		}
		closesocket(s);
	}
	WSACleanup();
	free(a);
	if (resp == NULL)
		return SHIM_UNAVAILABLE;
	body = strchr(resp, '\n');
	if (body == NULL || sscanf(resp, "%lx %llu %d %d", &hr, &handle, &nout, &nres) != 4 ||
		nout < 0 || nres < 0 || nout + nres != rlen - (int)(body + 1 - resp)) {
		free(resp);
		return SHIM_UNAVAILABLE;
	}
	body++;
	if (out_handle != NULL)
		*out_handle = (HANDLE)(ULONG_PTR)handle;
	if (out != NULL && nout > 0)
		*out = wide(body, nout);
	if (result != NULL && nres > 0)
		*result = wide(body + nout, nres);
	free(resp);
	return (HRESULT)hr;
}
