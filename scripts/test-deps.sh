#!/usr/bin/env bash
# Make sure the test run has a Chromium for Playwright, PostgreSQL server binaries and redis-server (the
# PostgreSQL leg's broker and rate-limit store), installing when missing.
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

if command -v redis-server >/dev/null 2>&1; then
  echo "Redis: found"
elif can_apt; then
  echo "Redis: installing Debian's redis-server"
  apt_install redis-server
else
  echo "Redis: not installed; the PostgreSQL run goes without it (a failure under CI=true)"
fi
