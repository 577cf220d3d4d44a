#!/usr/bin/env bash
# Runs every test: formatting and vet (Linux and Windows), the builds, the Go
# tests (unit and integration: real etcd, real kube-apiserver, the binaries
# through libcni and cnitool), and the Windows tests under Wine. Installs
# what it needs first (scripts/setup.sh, scripts/wine-test.sh,
# scripts/kube-apiserver.sh), caching outside the repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "setup"
bin=$(./scripts/setup.sh)
export PATH=$bin:$PATH
if [ -x ./scripts/kube-apiserver.sh ]; then
	KUBE_APISERVER_BIN=$(./scripts/kube-apiserver.sh)
	export KUBE_APISERVER_BIN
fi

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "not gofmt'ed:"; echo "$unformatted"; exit 1
fi

step "go mod tidy"
go mod tidy -diff

step "staticcheck (linux, windows)"
staticcheck ./...
GOOS=windows GOARCH=amd64 staticcheck ./...

step "go vet (linux, windows)"
go vet ./...
GOOS=windows GOARCH=amd64 go vet ./...
GOOS=windows GOARCH=amd64 go vet -tags fakehcn,hnsintegration ./hns/hcn/
GOOS=windows GOARCH=amd64 go vet -tags hcnservice ./hns/hcn/

step "build"
make build
export CALICO_WIN_BIN=$PWD/bin

step "go test"
go test -count=1 -timeout 20m ./...

# The race detector: every package's own tests, and the plugin's concurrent
# lifecycles (parallel requests, the early connection, ADDs side by side,
# outages) run through binaries built with -race. A race in a binary makes
# it exit 66 and print the report, so the test fails. The whole plugin
# suite under -race takes over 30 minutes here, hence the selection.
step "go test -race"
CGO_ENABLED=1 go test -race -count=1 -timeout 20m $(go list ./... | grep -v '/plugin$')
race_bin=$(mktemp -d)
trap 'rm -rf "$race_bin"' EXIT
CGO_ENABLED=1 go build -race -o "$race_bin/" ./cmd/calico ./cmd/calico-ipam
CGO_ENABLED=1 CALICO_WIN_BIN=$race_bin go test -race -count=1 -timeout 20m ./plugin -run \
	'^(TestAddCheckDelIntegration|TestKDDAddCheckDelIntegration|TestKDDConcurrentAddsIntegration|TestIPAMConcurrentProcessesIntegration|TestKDDConnectsWhileCallSetsUp|TestKDDEndpointWrittenAlongsideHNSIntegration|TestKDDFaultLeavesNothingIntegration|TestEtcdClusterOutagesIntegration)$'

step "windows tests under wine"
# As Windows binaries: the hcn adapter (against fake HCN DLLs), the
# simulator's and the IPAM lock's Windows file locking (LockFileEx), log
# rotation while others hold the log open, the state directory's DACLs, the
# dataplane on the simulator, the plugin's config and defaults, and which HNS
# hnsctl.exe shows.
./scripts/wine-test.sh ./hns/hcn ./hns/sim ./internal/flock ./internal/logging ./internal/statedir ./dataplane ./plugin ./cmd/hnsctl

step "windows binaries end to end under wine (scripts/demo-windows.sh)"
# calico.exe and calico-ipam.exe on the default backend (hcsshim's hcn and
# the real DLL calls), HNS served by hnsctl serve to the shim DLLs, a real
# etcd, cnitool.exe: several pods, a fault, GC, leak checks. Then the hns
# contract suite through the same DLL boundary.
./scripts/demo-windows.sh >"${TMPDIR:-/tmp}/calico-win-demo-windows.log" 2>&1 ||
	{ tail -40 "${TMPDIR:-/tmp}/calico-win-demo-windows.log"; exit 1; }
tail -3 "${TMPDIR:-/tmp}/calico-win-demo-windows.log"
WINE_HCN=service ./scripts/wine-test.sh ./hns/hcn
# calico.exe under Wine on the Kubernetes datastore (a real kube-apiserver).
./scripts/wine-e2e-kdd.sh
