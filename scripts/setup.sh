#!/usr/bin/env bash
# edgepath set-up on Debian 12, as root, idempotent: installs the packages
# the build, the tests and the lab need, reserves and mounts hugepages, then
# configures and builds. Every failure says what failed and what to do.
#
#   scripts/setup.sh [--hugepages N] [--no-build] [--build-dir DIR]
set -euo pipefail

HUGEPAGES=${EDGEPATH_HUGEPAGES:-512} # 2 MiB pages: 1 GiB
BUILD=1
BUILD_DIR=build
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PACKAGES=(
	gcc make pkg-config meson ninja-build python3
	clang llvm lld libclang-rt-14-dev clang-format
	dpdk dpdk-dev libdpdk-dev
	libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev
	libssl-dev openssl libnghttp2-dev libcjson-dev
	# libcurl: edgectl, the API client (HTTP/2 over TLS and Unix sockets)
	libcurl4-openssl-dev
	nginx-light nghttp2-client nghttp2-server socat curl wrk
	iproute2 ethtool procps psmisc
	# jq: JSON checks in tests/integration/test_slowpath.sh. Not prometheus
	# for promtool (96 MB and a daemon): tests/unit/test_api.c carries a
	# strict parser of the text format instead.
	jq
	# systemd-analyze: tests/ops/test_units.py verifies scripts/systemd/*.
	# gnuplot-nox: the PNG plots of scripts/bench/bench.sh --sweep (no X).
	systemd gnuplot-nox
	# testssl.sh: the TLS scan of tests/integration/test_tls.sh.
	testssl.sh
	# hping3: the spoofed-source SYN flood of tests/e2e/test_synproxy.sh.
	hping3
	# bird2: BGP for the multi-node lab (scripts/lab.sh up --nodes 2) and
	# the slow path's announcements; Debian's own bird service is stopped
	# and disabled below, the lab runs its own BIRDs.
	bird2
	# tests/e2e/test_exception.sh: nftables keeps the kernel off the
	# af_packet veth (the tap holds the node's address); iperf3 measures
	# the exception path (scripts/bench/exception.sh).
	nftables iperf3 iputils-ping
	# etcd-server (3.4: the v3 JSON gateway under /v3/): the optional
	# configuration source (docs/scale-out.md); etcd-client for etcdctl in
	# tests/integration/test_etcd.sh. Tests start their own etcd on a
	# loopback port with a temporary data directory.
	etcd-server etcd-client
)

die() { echo "setup: error: $*" >&2; exit 1; }
say() { echo "setup: $*"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--hugepages) [ $# -ge 2 ] || die "--hugepages needs a number"
		HUGEPAGES=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--build-dir) [ $# -ge 2 ] || die "--build-dir needs a path"
		BUILD_DIR=$2; shift 2 ;;
	-h|--help) sed -n '2,7p' "$0"; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[[ "$HUGEPAGES" =~ ^[0-9]+$ ]] || die "--hugepages: '$HUGEPAGES' is not a number"
[ "$(id -u)" -eq 0 ] || die "run as root (packages, hugepages, namespaces need it)"
[ -r /etc/debian_version ] || die "this script supports Debian 12; see README for the package list"

install_packages() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "packages: all ${#PACKAGES[@]} present"
		return
	fi
	say "packages: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || die "apt-get update failed (network or sources.list?)"
	apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed for: ${missing[*]}"
}

# Debian enables etcd.service on install: a node's etcd is the operator's
# choice, and a stray one on 2379 would answer the tests' clients.
stop_etcd_service() {
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		systemctl disable --now etcd.service >/dev/null 2>&1 || true
	elif [ -x /etc/init.d/etcd ]; then
		/etc/init.d/etcd stop >/dev/null 2>&1 || true
	fi
}

# Hugepages are needed by the fast path and the slow path together (shared
# memory between two DPDK processes); tests that run alone use --no-huge.
setup_hugepages() {
	local have mnt=/dev/hugepages
	have=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
	if [ "${have:-0}" -lt "$HUGEPAGES" ]; then
		if ! echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages 2>/dev/null; then
			say "WARNING: cannot reserve hugepages (/proc/sys/vm/nr_hugepages not writable):"
			say "WARNING: the fast path + slow path (README main job) need them; unit tests do not"
			return 0
		fi
		have=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
	fi
	if [ "${have:-0}" -lt "$HUGEPAGES" ]; then
		say "WARNING: asked for $HUGEPAGES hugepages, the kernel gave ${have:-0} (memory fragmented?)"
	else
		say "hugepages: ${have} x 2 MiB reserved"
	fi
	if ! grep -q " $mnt hugetlbfs " /proc/mounts; then
		mkdir -p "$mnt"
		mount -t hugetlbfs nodev "$mnt" || say "WARNING: cannot mount hugetlbfs on $mnt"
	fi
}

build() {
	cd "$ROOT"
	if [ ! -f "$BUILD_DIR/build.ninja" ]; then
		meson setup "$BUILD_DIR" || die "meson setup failed (see $BUILD_DIR/meson-logs/meson-log.txt)"
	fi
	ninja -C "$BUILD_DIR" || die "build failed"
	say "built into $ROOT/$BUILD_DIR"
}

# Debian's bird2 starts a system BIRD (bird.service, /etc/init.d/bird):
# stop and disable it, the lab and the tests run their own in namespaces.
quiet_system_bird() {
	local pid
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now bird.service >/dev/null 2>&1 || true
	fi
	if command -v update-rc.d >/dev/null 2>&1; then
		update-rc.d bird disable >/dev/null 2>&1 || true
	fi
	pid=$(cat /run/bird/bird.pid 2>/dev/null || true)
	if [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = bird ]; then
		say "stopping the system BIRD (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
	fi
}

install_packages
quiet_system_bird
stop_etcd_service
setup_hugepages
[ "$BUILD" -eq 1 ] && build
say "done"
