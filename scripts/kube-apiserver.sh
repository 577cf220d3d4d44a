#!/usr/bin/env bash
# Prints the path of a kube-apiserver binary for the integration tests
# (internal/kastest), building it first if it is not cached.
#
#   KUBE_APISERVER_BIN=$(scripts/kube-apiserver.sh)
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the staging
# modules (k8s.io/api, k8s.io/apiserver, ...) with ./staging paths. So a
# scratch module requires it and replaces every staging module with its
# published v0.<minor>.<patch> tag; the list is derived from the release's own
# go.mod, so changing KAS_VERSION is enough. The binary is stamped with the
# version (kubectl refuses an unstamped server).
#
# Cold: ~1 min of downloads and ~6-7 min of compiling on 2 cores (peak ~2 GB
# of RAM, 2 GB of Go build cache); warm: instant. CI caches $KAS_CACHE keyed
# on KAS_VERSION.
#
#   KUBE_APISERVER_BIN  use this binary (must exist); nothing is built
#   KAS_VERSION         release to build                      [v1.34.4]
#   KAS_CACHE           where builds are kept                 [${XDG_CACHE_HOME:-~/.cache}/kas]
set -euo pipefail

log() { printf 'kube-apiserver.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

if [ -n "${KUBE_APISERVER_BIN:-}" ]; then
	[ -x "$KUBE_APISERVER_BIN" ] || die "KUBE_APISERVER_BIN=$KUBE_APISERVER_BIN is not an executable"
	echo "$KUBE_APISERVER_BIN"
	exit 0
fi
version=${KAS_VERSION:-v1.34.4}
cache=${KAS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kas}
dir=$cache/$version
bin=$dir/kube-apiserver
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

command -v go >/dev/null || die "no Go toolchain to build kube-apiserver $version with"
ver=${version#v}
major=${ver%%.*}
minor=${ver#*.}
minor=${minor%%.*}
patch=${ver##*.}
staging=v0.$minor.$patch
mkdir -p "$dir/src"
exec 9>"$dir/.lock"
flock 9 # one build at a time on this machine
if [ -x "$bin" ]; then # built by another run meanwhile
	echo "$bin"
	exit 0
fi
log "building kube-apiserver $version (staging modules at $staging) in $dir/src; ~8 min cold"
start=$(date +%s)
cd "$dir/src"
export GOWORK=off
rm -f go.mod go.sum
gomod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
[ -f "$gomod" ] || die "could not download the go.mod of k8s.io/kubernetes@$version"
{
	printf 'module kasbuild\n\n'
	grep -E '^go [0-9]' "$gomod"
	grep -E '^godebug [a-z]' "$gomod" || true # the release pins its GODEBUG defaults
	printf '\nreplace (\n'
	# Every k8s.io module required at v0.0.0 is a staging module.
	awk -v v="$staging" '/^[[:space:]]+k8s\.io\/[a-z0-9-]+ v0\.0\.0$/ {printf "\t%s => %s %s\n", $1, $1, v}' "$gomod"
	printf ')\n'
} >go.mod
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$version" >&2
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
mv "$bin.tmp" "$bin"
log "built $bin in $(($(date +%s) - start)) s"
echo "$bin"
