#!/usr/bin/env bash
# Installs the Debian 12 packages jfsbr builds and tests with (apt-get; root or sudo).
set -euo pipefail
PACKAGES=(g++ cmake ninja-build pkg-config librocksdb-dev libgtest-dev libzstd-dev zlib1g-dev
          libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
          golang-etcd-server-dev etcd-server etcd-client openssl diffutils findutils gzip)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
