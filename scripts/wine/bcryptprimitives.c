/*
 * Stand-in for Windows' bcryptprimitives.dll, for running Go test binaries
 * under Wine 8 (Debian bookworm), which lacks the DLL. Go >= 1.22 seeds its
 * random number generator from bcryptprimitives!ProcessPrng at start-up and
 * aborts when it is missing. This forwards to advapi32!SystemFunction036
 * (RtlGenRandom), which Wine implements. Never used on a real Windows host.
 */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!RtlGenRandom(data, chunk))
			return FALSE;
		data += chunk;
		len -= chunk;
	}
	return TRUE;
}
