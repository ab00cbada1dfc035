#!/usr/bin/env bash
# Idempotent set-up: a virtualenv in .venv with virt-doctor and its test tools installed.
# Re-running is cheap: nothing is reinstalled unless pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: virt-doctor needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 2
fi
# Debian packages the tests run for real: prometheus + promtool (metric alerts), etcd-server (beside the
# kube-apiserver in ../shared/kube), openssl and xz (its certificates and binary), prometheus-alertmanager
# (the whole alerting path into `serve`), postgresql (the store), chromium + chromium-driver (the dashboard),
# libarchive13 (tar archives are read through it; Debian 13 installs it as libarchive13t64).
need=()
"$PYTHON" -c 'import ctypes.util, sys; sys.exit(not ctypes.util.find_library("archive"))' || need+=(libarchive13)
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v prometheus-alertmanager >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO=none; fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian's ${need[*]}" >&2
  [ "$SUDO" = none ] && { echo "setup: need root (or sudo) to apt-get install ${need[*]}" >&2; exit 2; }
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's kubectl (package kubernetes-client), unpacked into .venv/debian: the tests run the commands
# virt-doctor prints with it. Unpacked, not installed, so it never replaces another kubectl on the machine.
if [ ! -x .venv/debian/usr/bin/kubectl ]; then
  echo "setup: unpacking Debian's kubernetes-client into .venv/debian" >&2
  mkdir -p .venv/debian
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download kubernetes-client >/dev/null 2>&1); then
    [ "$SUDO" != none ] && $SUDO apt-get update -qq && (cd "$tmp" && apt-get download kubernetes-client >/dev/null)
  fi
  dpkg-deb -x "$tmp"/kubernetes-client_*.deb .venv/debian
  rm -rf "$tmp"
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.virt-doctor-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! .venv/bin/python -c 'import virt_doctor' 2>/dev/null; then
  echo "setup: installing virt-doctor and its dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  echo "$want" > "$stamp"
fi
