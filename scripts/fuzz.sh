#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a while: each func FuzzXxx in
# a _test.go file (Linux build), one after the other, with
#   go test -run '^$' -fuzz '^FuzzXxx$' -fuzztime $FUZZTIME
# A crash stops the script; Go writes the input that caused it under the
# package's testdata/fuzz/FuzzXxx, where `go test` replays it from then on
# (commit it with the fix). With FUZZ_WINE=1 the Windows-only targets
# (*_windows_test.go) run too, as Windows binaries under Wine (built by
# scripts/wine-test.sh without the fuzzing instrumentation: random
# mutation, no coverage guidance).
#
# Environment:
#   FUZZTIME      per target (default 30s)
#   FUZZ_PARALLEL fuzzing workers per target (default: go test's default)
#   FUZZ_WINE     1 to fuzz the Windows-only targets under Wine as well
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fuzztime=${FUZZTIME:-30s}
par=()
[ -n "${FUZZ_PARALLEL:-}" ] && par=(-parallel "$FUZZ_PARALLEL")
# The plugin's tests run the built binaries (its TestMain builds them
# otherwise, in every fuzzing worker).
if [ -z "${CALICO_WIN_BIN:-}" ]; then
	make -s build
	export CALICO_WIN_BIN=$PWD/bin
fi

# targets FILE-PATTERN: "pkgdir FuzzName" lines.
targets() {
	git ls-files -co --exclude-standard "$@" | while read -r f; do
		{ grep -oE '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' "$f" || true; } | sed -E 's/^func (Fuzz[A-Za-z0-9_]+).*/\1/' |
			while read -r name; do echo "./$(dirname "$f") $name"; done
	done | sort
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
slow=()
n=0

# fuzz PKG NAME CMD...: runs CMD, which fuzzes NAME of PKG. A crash stops
# the script. On a loaded machine Go's fuzzing engine may instead fail with
# "context deadline exceeded" when a worker answers late at the end: no
# crasher is written then, and it is no finding.
fuzz() {
	local pkg=$1 name=$2 before after
	shift 2
	before=$(ls "$pkg/testdata/fuzz/$name" 2>/dev/null | wc -l)
	if ! "$@" </dev/null 2>&1 | tee "$log"; then
		after=$(ls "$pkg/testdata/fuzz/$name" 2>/dev/null | wc -l)
		if [ "$after" = "$before" ] && tail -n 8 "$log" | grep -q 'context deadline exceeded'; then
			printf 'fuzz: %s: the engine timed out waiting for a worker (machine loaded); no crasher\n' "$name"
			slow+=("$name")
		else
			exit 1
		fi
	fi
	n=$((n + 1))
}

while read -r pkg name; do
	printf '\n== %s %s (%s)\n' "$pkg" "$name" "$fuzztime"
	fuzz "$pkg" "$name" go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "${par[@]}" "$pkg"
done < <(targets '*_test.go' ':!:*_windows_test.go')

if [ "${FUZZ_WINE:-}" = 1 ]; then
	while read -r pkg name; do
		printf '\n== %s %s under Wine (%s)\n' "$pkg" "$name" "$fuzztime"
		fuzz "$pkg" "$name" env WINE_TEST_ARGS="-test.run=^\$ -test.fuzz=^$name\$ -test.fuzztime=$fuzztime -test.parallel=${FUZZ_PARALLEL:-1} -test.fuzzcachedir=$(go env GOCACHE)/fuzz-wine" \
			./scripts/wine-test.sh "$pkg"
	done < <(targets '*_windows_test.go')
fi
printf '\nfuzz: %d targets, %s each, no crash\n' "$n" "$fuzztime"
if [ ${#slow[@]} -gt 0 ]; then
	printf 'fuzz: the engine timed out at the end of: %s\n' "${slow[*]}"
fi
