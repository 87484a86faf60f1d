#!/usr/bin/env bash
# Install what hachaos needs on a Debian 12 machine, idempotently: the Debian packages listed in
# scripts/debian-packages.txt (without letting their install scripts start host-wide daemons), the npm
# packages from package-lock.json, and the TypeScript build. Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t PKGS < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/debian-packages.txt)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run as root (or: apt-get install ${missing[*]})" >&2
    exit 4
  fi
  echo "setup: installing ${missing[*]}" >&2
  # A policy-rc.d that exits 101 keeps the packages' maintainer scripts from starting keepalived, haproxy,
  # apache2, corosync … in the host namespace: the labs start their own, inside namespaces.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  cleanup() { [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d; return 0; }
  trap cleanup EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  cleanup
  trap - EXIT
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: building" >&2
npm run --silent build
