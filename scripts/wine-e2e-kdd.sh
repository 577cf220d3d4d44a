#!/usr/bin/env bash
# calico.exe under Wine on the Kubernetes datastore: runs the tests of
# internal/winee2e (tag winee2e) with the HCN service prefix prepared by
# scripts/wine-test.sh, a real kube-apiserver (scripts/kube-apiserver.sh,
# or $KUBE_APISERVER_BIN) and etcd (scripts/setup.sh). Needs bin/ from
# `make build`. Extra arguments go to go test (e.g. -run TestKDDLifecycleIntegration).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PATH=$(./scripts/setup.sh):$PATH
export PATH
if [ -z "${KUBE_APISERVER_BIN:-}" ]; then
	KUBE_APISERVER_BIN=$(./scripts/kube-apiserver.sh)
	export KUBE_APISERVER_BIN
fi
[ -f bin/windows/calico.exe ] || { echo "wine-e2e-kdd: bin/windows/calico.exe is missing: run make build" >&2; exit 1; }
# shellcheck source=scripts/wine-test.sh
. ./scripts/wine-test.sh
wine_setup service
export WINE=$wine CALICO_WIN_BIN=$PWD/bin
trap '"$wineserver" -k 2>/dev/null || true' EXIT
go test -tags winee2e -count=1 -timeout 10m "$@" ./internal/winee2e
