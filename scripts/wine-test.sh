#!/usr/bin/env bash
# Runs this module's Windows test binaries under Wine, on Linux.
#
#   scripts/wine-test.sh [package ...]
#
# Without arguments it tests every package that has Windows-only tests: a
# *_windows_test.go file, or a _test.go file whose //go:build line requires
# windows. Each package's tests are built with
# GOOS=windows GOARCH=amd64 go test -c -tags "$WINE_TEST_TAGS" and run under
# Wine in the package directory with -test.v. The script exits non-zero when
# a build or a test fails, or when a package runs no test at all.
#
# It installs what it needs (Debian: wine64, gcc-mingw-w64-x86-64) and keeps
# a Wine prefix outside the repository, in
# ${CALICO_WIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/calico-win}/wine, set up
# once and rebuilt when scripts/wine/ or the Wine version changes. Into its
# system32 go three DLLs built from scripts/wine/ with MinGW:
#   bcryptprimitives.dll  ProcessPrng, which Go >= 1.22 needs at start-up and
#                         Debian's Wine 8 lacks
#   computenetwork.dll    a scriptable fake of the HCN API and
#   vmcompute.dll         of HNSCall, for the tests tagged fakehcn
#                         (see scripts/wine/fakehcn.h)
# With WINE_HCN=service the prefix is a second one, prefix-hcn, whose
# computenetwork.dll and vmcompute.dll are instead the shim of the HCN
# service (hns/hcnservice/shim): every call goes over loopback to
# `hnsctl serve`, whose address the tests find in $CALICO_HCN_SERVICE. The
# script then starts that service itself on a fresh simulator directory
# unless CALICO_HCN_SERVICE is already set, and builds the tests with the
# tag hcnservice.
#
# Sourced (. scripts/wine-test.sh), it only defines its functions:
# wine_setup MODE (fake|service) installs what is needed and sets $wine,
# $wineserver and WINEPREFIX; wine_hcn_service DIR starts the service.
#
# Environment:
#   WINE_HCN         fake (default) or service: which HCN the prefix has
#   WINE_TEST_TAGS   build tags for the test binaries (default: fakehcn, or
#                    hcnservice with WINE_HCN=service)
#   WINE_TEST_ARGS   extra flags for every test binary, e.g. "-test.run=TestFake"
#   CALICO_WIN_CACHE cache directory (see above)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${CALICO_WIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/calico-win}/wine
hcn_mode=${WINE_HCN:-fake}
if [ "$hcn_mode" = service ]; then
	tags=${WINE_TEST_TAGS-hcnservice}
else
	tags=${WINE_TEST_TAGS-fakehcn}
fi
read -r -a extra_args <<<"${WINE_TEST_ARGS:-}"

export WINEARCH=win64 WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY # headless: Wine must never try to open a window

log() { printf 'wine-test: %s\n' "$*" >&2; }

ensure_packages() {
	if command -v x86_64-w64-mingw32-gcc >/dev/null &&
		{ command -v wine || command -v wine64 || [ -x /usr/lib/wine/wine64 ]; } >/dev/null; then
		return
	fi
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	log "installing wine64 and gcc-mingw-w64-x86-64"
	export DEBIAN_FRONTEND=noninteractive
	if ! "${sudo[@]}" apt-get install -y wine64 gcc-mingw-w64-x86-64 >&2; then
		"${sudo[@]}" apt-get update >&2
		"${sudo[@]}" apt-get install -y wine64 gcc-mingw-w64-x86-64 >&2
	fi
}

find_wine() {
	local c
	for c in wine wine64 /usr/lib/wine/wine64; do
		if command -v "$c" >/dev/null; then
			command -v "$c"
			return
		fi
	done
	log "no wine binary found"
	exit 1
}

find_wineserver() {
	local c
	for c in wineserver /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver; do
		if command -v "$c" >/dev/null; then
			command -v "$c"
			return
		fi
	done
	log "no wineserver binary found"
	exit 1
}

dlls=(bcryptprimitives computenetwork vmcompute)
shim=$repo/hns/hcnservice/shim

# setup_prefix creates the prefix of mode $1 (fake or service) and installs
# the DLLs, unless the stamp says they are current.
setup_prefix() {
	local mode=$1
	local sys32=$WINEPREFIX/drive_c/windows/system32
	local stamp stampfile=$cache/stamp dlldir=$cache/dll
	if [ "$mode" = service ]; then
		stampfile=$cache/stamp-hcn dlldir=$cache/dll-hcn
	fi
	stamp="$("$wine" --version) $(cd "$repo/scripts/wine" && cat ./*.c ./*.h ./*.def | sha256sum)"
	[ "$mode" = service ] && stamp="$stamp $(cat "$shim"/*.c "$shim"/*.h | sha256sum)"
	local current=1 d
	for d in "${dlls[@]}"; do
		[ -f "$sys32/$d.dll" ] || current=0
	done
	if [ "$current" = 1 ] && [ -f "$WINEPREFIX/system.reg" ] &&
		[ "$(cat "$stampfile" 2>/dev/null)" = "$stamp" ]; then
		return
	fi
	if [ ! -f "$WINEPREFIX/system.reg" ]; then
		log "creating the Wine prefix $WINEPREFIX"
		# No Mono or Gecko: nothing here needs .NET or HTML, and the
		# installers would try the network.
		WINEDLLOVERRIDES="mscoree,mshtml=" "$wine" wineboot -i >/dev/null 2>&1 || true
		"$wineserver" -w
		if [ ! -d "$sys32" ]; then
			log "wineboot did not create $sys32"
			exit 1
		fi
	fi
	mkdir -p "$dlldir"
	local cc=(x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -Wextra -Wno-unused-parameter)
	"${cc[@]}" -o "$dlldir/bcryptprimitives.dll" \
		"$repo/scripts/wine/bcryptprimitives.c" "$repo/scripts/wine/bcryptprimitives.def" -ladvapi32
	if [ "$mode" = service ]; then
		log "building the HCN service shim DLLs from hns/hcnservice/shim"
		"${cc[@]}" -o "$dlldir/computenetwork.dll" "$shim/computenetwork.c" "$shim/hcnshim.c" -lole32 -lws2_32
		"${cc[@]}" -o "$dlldir/vmcompute.dll" "$shim/vmcompute.c" "$shim/hcnshim.c" -lole32 -lws2_32
	else
		log "building the stand-in DLLs from scripts/wine"
		"${cc[@]}" -o "$dlldir/computenetwork.dll" "$repo/scripts/wine/computenetwork.c" -lole32
		"${cc[@]}" -o "$dlldir/vmcompute.dll" "$repo/scripts/wine/vmcompute.c" -lole32
	fi
	for d in "${dlls[@]}"; do
		cp "$dlldir/$d.dll" "$sys32/$d.dll"
	done
	printf '%s' "$stamp" >"$stampfile"
}

# wine_setup installs Wine and MinGW if needed, takes the cache lock (one
# run at a time per cache: runs share the prefixes) and prepares the prefix
# of mode $1.
wine_setup() {
	local mode=$1
	ensure_packages
	wine=$(find_wine)
	wineserver=$(find_wineserver)
	mkdir -p "$cache/bin" "$cache/log"
	exec 9>"$cache/lock"
	flock 9
	if [ "$mode" = service ]; then
		export WINEPREFIX=$cache/prefix-hcn
	else
		export WINEPREFIX=$cache/prefix
	fi
	setup_prefix "$mode"
}

# wine_hcn_service starts `hnsctl serve` on the simulator directory $1,
# logging to $2, waits until it listens (it prints its address once it
# accepts calls) and exports CALICO_HCN_SERVICE; hcn_service_pid is its
# process, for the caller to stop.
wine_hcn_service() {
	local dir=$1 logf=$2 hnsctl=${HNSCTL:-$cache/bin/hnsctl} line
	if [ -z "${HNSCTL:-}" ]; then
		(cd "$repo" && CGO_ENABLED=0 go build -o "$hnsctl" ./cmd/hnsctl)
	fi
	rm -f "$dir.fifo"
	mkfifo "$dir.fifo"
	# shellcheck disable=SC2086 # HCN_SERVICE_FLAGS is a list of flags
	"$hnsctl" --dir "$dir" serve --listen 127.0.0.1:0 ${HCN_SERVICE_FLAGS:-} >"$dir.fifo" 2>"$logf" &
	hcn_service_pid=$!
	if ! read -r -t 30 line <"$dir.fifo"; then
		log "hnsctl serve did not start:"
		cat "$logf" >&2
		return 1
	fi
	rm -f "$dir.fifo"
	CALICO_HCN_SERVICE=${line#*=}
	export CALICO_HCN_SERVICE
}

# windows_test_packages lists, relative to the repository, the directories
# holding Windows-only tests.
windows_test_packages() {
	local f
	(cd "$repo" && find . -name '*_test.go' -not -path './.git/*' -not -path '*/testdata/*' -not -path '*/vendor/*') |
		while read -r f; do
			if [[ $f == *_windows_test.go ]] ||
				grep -m1 '^//go:build ' "$repo/$f" | grep -qE '(^|[^!])\bwindows\b'; then
				printf '%s/\n' "$(dirname "$f")"
			fi
		done | sort -u
}

# run_package builds and runs one package's tests; it prints go test's
# summary line and returns non-zero on failure.
run_package() {
	local pkg=$1 importpath dir exe out rc=0 passed failed start ms secs
	importpath=$(cd "$repo" && GOOS=windows go list "$pkg")
	dir=$(cd "$repo" && GOOS=windows go list -f '{{.Dir}}' "$pkg")
	exe=$cache/bin/${importpath//\//_}.test.exe
	out=$cache/log/${importpath//\//_}.log
	rm -f "$exe"
	if ! (cd "$repo" && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -tags "$tags" -o "$exe" "$pkg"); then
		printf 'FAIL\t%s [build failed]\n' "$importpath"
		return 1
	fi
	if [ ! -f "$exe" ]; then
		printf 'FAIL\t%s [no test files for windows]\n' "$importpath"
		return 1
	fi
	start=$(date +%s%N)
	(cd "$dir" && "$wine" "$exe" -test.v -test.count=1 -test.timeout=10m "${extra_args[@]}") 2>&1 | tee "$out" || rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	passed=$(grep -c '^--- PASS' "$out" || true)
	failed=$(grep -c -- '--- FAIL' "$out" || true)
	if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
		printf 'FAIL\t%s\t%ss (wine: exit %d, %d failed)\n' "$importpath" "$secs" "$rc" "$failed"
		return 1
	fi
	if [ "$passed" -eq 0 ]; then
		printf 'FAIL\t%s\t%ss (wine: no test ran)\n' "$importpath" "$secs"
		return 1
	fi
	printf 'ok  \t%s\t%ss (wine: %d tests passed)\n' "$importpath" "$secs" "$passed"
	total_passed=$((total_passed + passed))
}

main() {
	wine_setup "$hcn_mode"
	if [ "$hcn_mode" = service ] && [ -z "${CALICO_HCN_SERVICE:-}" ]; then
		hcn_svc_dir=$(mktemp -d "${TMPDIR:-/tmp}/calico-win-hcn.XXXXXX")
		trap 'kill "$hcn_service_pid" 2>/dev/null; wait "$hcn_service_pid" 2>/dev/null; rm -rf "$hcn_svc_dir"' EXIT
		wine_hcn_service "$hcn_svc_dir/hns" "$cache/log/hcn-service.log"
	fi

	local pkgs=("$@")
	if [ ${#pkgs[@]} -eq 0 ]; then
		mapfile -t pkgs < <(windows_test_packages)
	fi
	if [ ${#pkgs[@]} -eq 0 ]; then
		log "no package has Windows tests"
		exit 1
	fi
	total_passed=0
	local failed=() pkg
	for pkg in "${pkgs[@]}"; do
		run_package "$pkg" || failed+=("$pkg")
	done
	if [ ${#failed[@]} -ne 0 ]; then
		log "FAIL: ${failed[*]}"
		exit 1
	fi
	log "${#pkgs[@]} package(s), $total_passed top-level tests passed under Wine"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
