#!/usr/bin/env bash
# Make sure the test run has a Chromium for Playwright and PostgreSQL server binaries, installing when missing.
set -euo pipefail
PYTHON=${PYTHON:-.venv/bin/python}

can_apt() {
  command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ -n "${CRM_CHROMIUM:-}" ] && [ -x "$CRM_CHROMIUM" ]; then
  echo "Chromium: $CRM_CHROMIUM"
elif [ -x /usr/bin/chromium ]; then
  echo "Chromium: /usr/bin/chromium"
elif can_apt; then
  echo "Chromium: installing Debian's chromium"
  apt_install chromium
else
  echo "Chromium: installing Playwright's"
  "$PYTHON" -m playwright install chromium
fi

if command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "PostgreSQL: found"
elif can_apt; then
  echo "PostgreSQL: installing Debian's postgresql"
  apt_install postgresql
else
  echo "PostgreSQL: not installed; the PostgreSQL run will be skipped (a failure under CI=true)"
fi

# The deploy/ tests (tests/test_deploy.py): systemd-analyze verify, shellcheck, caddy validate and nginx -t.
for tool in systemd-analyze:systemd shellcheck:shellcheck; do
  command=${tool%%:*} package=${tool#*:}
  if command -v "$command" >/dev/null 2>&1; then
    echo "$command: found"
  elif can_apt; then
    echo "$command: installing Debian's $package"
    apt_install "$package"
  else
    echo "$command: not installed; its deploy test will be skipped (a failure under CI=true)"
  fi
done
# Caddy and nginx are only asked to check their configuration: their Debian packages are unpacked into
# .venv/deploy-tools rather than installed, which would start web servers on ports 80 and 443.
TOOLS=${CRM_DEPLOY_TOOLS:-.venv/deploy-tools}
for tool in caddy:caddy:usr/bin nginx:nginx:usr/sbin; do
  IFS=: read -r command package bindir <<<"$tool"
  if command -v "$command" >/dev/null 2>&1 || [ -x "$TOOLS/$bindir/$command" ]; then
    echo "$command: found"
  elif can_apt; then
    echo "$command: unpacking Debian's $package into $TOOLS"
    if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
    mkdir -p "$TOOLS/debs"
    if ! { (cd "$TOOLS/debs" && apt-get download -qq "$package" 2>/dev/null) \
           && debs=("$TOOLS"/debs/"${package}"_*.deb) && dpkg -x "${debs[-1]}" "$TOOLS"; }; then
      echo "$command: could not be unpacked; its deploy test will be skipped (a failure under CI=true)"
    fi
  else
    echo "$command: not installed; its deploy test will be skipped (a failure under CI=true)"
  fi
done
