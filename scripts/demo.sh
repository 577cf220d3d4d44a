#!/usr/bin/env bash
# make demo: a pod lifecycle through the built binaries, the way a Windows
# node runs it, on a local etcd and the HNS simulator:
#   1. start a real etcd and seed what calicoctl and calico-node write
#      (IP pool, strict affinity, ClusterInformation, the Node);
#   2. create the Calico network with hnsctl, as calico-node does: Overlay
#      in VXLAN mode, L2Bridge in BGP mode (windows-bgp);
#   3. for three pods: create an HCN namespace (as containerd does), then
#      cnitool ADD and CHECK, printing the CNI result, the HNS endpoint and
#      the datastore keys (in BGP mode also the host endpoint given to the
#      host and the interfaces the plugin turned forwarding on for);
#   4. DEL every pod and show that nothing is left; stop etcd, clean up.
#
#   scripts/demo.sh [vxlan|windows-bgp|both]     (default: both, one after the other)
#   make demo DEMO_MODE=windows-bgp
set -euo pipefail
modes=${1:-both}
case $modes in
vxlan | windows-bgp) ;;
both) modes="vxlan windows-bgp" ;;
*)
	echo "usage: $0 [vxlan|windows-bgp|both]" >&2
	exit 2
	;;
esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
toolbin=$(./scripts/setup.sh)
export PATH=$repo/bin:$toolbin:$PATH

work=$(mktemp -d "${TMPDIR:-/tmp}/calico-win-demo.XXXXXX")
etcd_pid=
cleanup() {
	[ -n "$etcd_pid" ] && kill "$etcd_pid" 2>/dev/null && wait "$etcd_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# A free loopback port pair for etcd.
port=$((20000 + RANDOM % 20000))
while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null || (echo >/dev/tcp/127.0.0.1/$((port + 1))) 2>/dev/null; do
	port=$((port + 2))
done
endpoint=http://127.0.0.1:$port
say "starting etcd on $endpoint"
etcd --name demo --data-dir "$work/etcd" \
	--listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
	--listen-peer-urls "http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
	--initial-cluster "demo=http://127.0.0.1:$((port + 1))" \
	--heartbeat-interval 10 --election-timeout 100 --logger zap --log-outputs "$work/etcd.log" &
etcd_pid=$!
for _ in $(seq 100); do
	curl -fs "$endpoint/health" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fs "$endpoint/health" >/dev/null || { echo "etcd did not start:"; tail "$work/etcd.log"; exit 1; }
export ETCDCTL_API=3
etcdctl() { command etcdctl --endpoints "$endpoint" "$@"; }

node=win-node-1
say "seeding Calico's datastore (what calicoctl and calico-node write)"
etcdctl put /calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool \
	'{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool","uid":"8e0b5d0c-5c2f-4f0e-9a3c-6d1b2c3d4e5f","creationTimestamp":"2026-11-22T00:00:00Z"},"spec":{"cidr":"10.244.5.0/26","vxlanMode":"Always","ipipMode":"Never","natOutgoing":true,"blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}' >/dev/null
etcdctl put /calico/ipam/v2/config '{"strict_affinity":true,"auto_allocate_blocks":true}' >/dev/null
etcdctl put /calico/resources/v3/projectcalico.org/clusterinformations/default \
	'{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},"spec":{"datastoreReady":true}}' >/dev/null
etcdctl put /calico/resources/v3/projectcalico.org/nodes/$node \
	'{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"'$node'","labels":{"kubernetes.io/os":"windows"}},"spec":{}}' >/dev/null
etcdctl get --prefix /calico --keys-only | sed '/^$/d'

# demo MODE: the whole pod lifecycle in one networking mode, on its own
# simulated HNS (the datastore is shared: what one mode frees, the next
# reuses).
demo() {
local mode=$1
export CALICO_HNS_SIM_DIR=$work/hns-$mode
if [ "$mode" = vxlan ]; then
	say "[$mode] hnsctl: creating the Calico Overlay network as calico-node does"
	hnsctl network create --name Calico --type Overlay --subnet 10.244.5.0/26 --vni 4096 --management-ip 10.0.0.4
else
	say "[$mode] hnsctl: creating the Calico L2Bridge network as calico-node does (the plugin makes its host endpoint)"
	hnsctl network create --name Calico --type L2Bridge --subnet 10.244.5.0/26 --management-ip 10.0.0.4
fi

mkdir -p "$work/net.d"
cat >"$work/net.d/10-calico.conflist" <<CONF
{
  "cniVersion": "1.0.0",
  "name": "Calico",
  "plugins": [{
    "type": "calico",
    "mode": "$mode",
    "vxlan_mac_prefix": "0E-2A",
    "vxlan_vni": 4096,
    "windows_use_single_network": true,
    "nodename": "$node",
    "nodename_file_optional": true,
    "datastore_type": "etcdv3",
    "etcd_endpoints": "$endpoint",
    "ipam_lock_file": "$work/ipam.lock",
    "log_level": "info",
    "log_file_path": "$work/cni.log",
    "ipam": {"type": "calico-ipam", "subnet": "usePodCidr"},
    "capabilities": {"dns": true},
    "DNS": {"Nameservers": ["10.96.0.10"], "Search": ["svc.cluster.local"]},
    "policies": [
      {"Name": "EndpointPolicy", "Value": {"Type": "OutBoundNAT", "ExceptionList": ["10.96.0.0/12"]}},
      {"Name": "EndpointPolicy", "Value": {"Type": "SDNROUTE", "DestinationPrefix": "10.96.0.0/12", "NeedEncap": true}}
    ]
  }]
}
CONF
export NETCONFPATH=$work/net.d CNI_PATH=$repo/bin CNI_CACHE_DIR=$work/cni-cache-$mode
cd "$work"

pods=(web-0 web-1 web-2)
declare -A netns
for p in "${pods[@]}"; do
	netns[$p]=$(hnsctl namespace create)
	say "[$mode] pod default/$p: cnitool add Calico ${netns[$p]}"
	CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=$p" cnitool add Calico "${netns[$p]}"
	echo
	CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=$p" cnitool check Calico "${netns[$p]}"
	echo "CHECK: OK"
done

say "[$mode] HNS endpoints"
hnsctl endpoint list
if [ "$mode" = windows-bgp ]; then
	say "[$mode] the host's default namespace (Calico_ep is attached to it) and its interfaces"
	hnsctl host namespace
	hnsctl host interfaces
fi
say "the first pod's endpoint, as HNS returns it"
hnsctl -o json endpoint show "$(hnsctl -o json endpoint list | python3 -c 'import json,sys; print(next(e["Name"] for e in json.load(sys.stdin) if e["Name"].endswith("_Calico") and e["Name"]!="Calico_ep"))')"
say "datastore keys"
etcdctl get --prefix /calico --keys-only | sed '/^$/d'
say "the WorkloadEndpoint of default/web-0"
etcdctl get --print-value-only /calico/resources/v3/projectcalico.org/workloadendpoints/default/win--node--1-k8s-web--0-eth0

for p in "${pods[@]}"; do
	say "[$mode] pod default/$p: cnitool del"
	CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=$p" cnitool del Calico "${netns[$p]}"
	hnsctl namespace delete "${netns[$p]}" >/dev/null
done

say "[$mode] after DEL: HNS endpoints (only the host endpoint remains)"
hnsctl endpoint list
say "[$mode] after DEL: IPAM handles and workload endpoints (none)"
etcdctl get --prefix /calico/ipam/v2/handle/ --keys-only | sed '/^$/d'
etcdctl get --prefix /calico/resources/v3/projectcalico.org/workloadendpoints/ --keys-only | sed '/^$/d'
left=$(etcdctl get --prefix /calico/ipam/v2/handle/ --keys-only | sed '/^$/d' | wc -l)
eps=$(hnsctl -o json endpoint list | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["Name"]!="Calico_ep"))')
if [ "$left" != 0 ] || [ "$eps" != 0 ]; then
	echo "demo: something leaked in $mode mode ($left handles, $eps endpoints)"; exit 1
fi
say "[$mode] 3 pods added, checked and deleted; nothing leaked"
cd "$repo"
}

for m in $modes; do
	demo "$m"
done
say "demo complete ($modes)"
