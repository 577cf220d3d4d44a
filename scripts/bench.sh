#!/usr/bin/env bash
# make bench: prints the benchmark figures (not timed tests).
#   plugin/        each CNI call a fresh process (VERSION, IPAM and full ADD/DEL,
#                  KDD vs etcd side by side for both API groups and credential forms,
#                  and against an etcd that serves TLS with client certificates,
#                  50 and 110 concurrent ADDs): p50/p99 ms, etcd ops per call, peak RSS
#   ipam/          ADD on a node holding 5,000 addresses in 100 blocks vs an empty node
#   datastore/etcd one Read / one Commit against etcd
#   hns/sim        simulator lookups and creates with 1,000 endpoints present
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=$(./scripts/setup.sh)
export PATH=$bin:$PATH CALICO_WIN_BIN=$PWD/bin
run() { echo; echo "== $*"; go test -run '^$' "$@" 2>&1 | grep -Ev '^(time=|goos|goarch|cpu|PASS)'; }
if [ -x ./scripts/kube-apiserver.sh ]; then # the plugin's KDD benchmarks need it too
	KUBE_APISERVER_BIN=$(./scripts/kube-apiserver.sh)
	export KUBE_APISERVER_BIN
fi
run -bench . -benchtime 30x ./plugin/
run -bench . -benchtime 60x ./ipam/
run -bench . ./datastore/etcd/
run -bench . -benchtime 2s ./hns/sim/
if [ -d datastore/kdd ] && [ -n "${KUBE_APISERVER_BIN:-}" ]; then
	run -bench . ./datastore/kdd/
fi
