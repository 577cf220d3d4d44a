#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need, outside the
# repository, and prints the directory to put first on PATH:
#   etcd + etcdctl   Debian's etcd-server/etcd-client (a real etcd v3)
#   cnitool          go install github.com/containernetworking/cni/cnitool@v1.3.0
#   staticcheck      honnef.co/go/tools v0.8.2, the linter make test runs
#   host-local       the reference IPAM plugin (containernetworking/plugins v1.9.1),
#                    for the tests of IPAM delegation
#   gcc              Debian's, for go test -race (the race detector needs cgo)
# Wine and MinGW are installed by scripts/wine-test.sh, kube-apiserver by
# scripts/kube-apiserver.sh. Idempotent; a warm run takes well under a second.
set -euo pipefail

cache=${CALICO_WIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/calico-win}
bin=$cache/bin
mkdir -p "$bin"
log() { printf 'setup: %s\n' "$*" >&2; }

apt_install() {
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	if ! "${sudo[@]}" apt-get install -y -qq "$@" >&2; then
		"${sudo[@]}" apt-get update -qq >&2
		"${sudo[@]}" apt-get install -y -qq "$@" >&2
	fi
}

if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
	log "installing etcd-server and etcd-client"
	apt_install etcd-server etcd-client
	# The package's service must not hold the default ports on a systemd host.
	command -v systemctl >/dev/null && systemctl disable --now etcd >/dev/null 2>&1 || true
fi

if ! command -v gcc >/dev/null; then
	log "installing gcc (go test -race)"
	apt_install gcc libc6-dev
fi

if [ ! -x "$bin/cnitool" ]; then
	log "installing cnitool v1.3.0"
	GOBIN=$bin GOFLAGS=-buildvcs=false go install github.com/containernetworking/cni/cnitool@v1.3.0
fi
if [ ! -x "$bin/staticcheck" ]; then
	log "installing staticcheck v0.8.2"
	GOBIN=$bin GOFLAGS=-buildvcs=false go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi

if [ ! -x "$bin/host-local" ]; then
	log "installing host-local v1.9.1"
	GOBIN=$bin GOFLAGS=-buildvcs=false go install github.com/containernetworking/plugins/plugins/ipam/host-local@v1.9.1
fi
echo "$bin"
