#!/usr/bin/env bash
# Install crm on a Debian 12+ or Ubuntu 24.04+ machine, as root, from the checkout this script is in:
#   deploy/install.sh shop.example.com           Caddy in front, HTTPS certificate fetched by Caddy
#   deploy/install.sh --nginx shop.example.com   nginx in front, certificate from certbot (asks for an email)
# It installs Python, a virtualenv with crm in the checkout, the user `crm`, instance/.env (kept if there),
# the systemd units (web, worker, nightly backup) and the proxy, then starts everything. Running it again
# (after `git pull`, say) reinstalls and restarts; the database, secret key and .env are left as they are.
# docs/deploy.md tells the whole story.
set -euo pipefail

usage() { echo "usage: $0 [--nginx] DOMAIN   (e.g. $0 shop.example.com)" >&2; exit 2; }

PROXY=caddy
DOMAIN=
while [ $# -gt 0 ]; do
  case "$1" in
    --nginx) PROXY=nginx ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) [ -z "$DOMAIN" ] || usage; DOMAIN=$1 ;;
  esac
  shift
done
[ -n "$DOMAIN" ] || usage
if ! [[ "$DOMAIN" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
  echo "not a domain name: $DOMAIN" >&2; exit 2
fi
[ "$(id -u)" = 0 ] || { echo "run as root (sudo $0 ...)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "this script needs Debian or Ubuntu (apt-get)" >&2; exit 1; }

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)  # the checkout
UNITS=(crm-web.service crm-worker.service crm-backup.service crm-backup.timer)
export DEBIAN_FRONTEND=noninteractive

say() { printf '\n==> %s\n' "$*"; }

install_packages() {
  say "Installing Python and $PROXY"
  apt-get update -qq
  local extra=(caddy)
  [ "$PROXY" = nginx ] && extra=(nginx certbot python3-certbot-nginx)
  apt-get install -y -qq python3 python3-venv git curl "${extra[@]}" >/dev/null
}

install_app() {
  say "Installing crm into $DIR/.venv"
  id crm >/dev/null 2>&1 || useradd --system --home-dir "$DIR" --no-create-home --shell /usr/sbin/nologin crm
  [ -x "$DIR/.venv/bin/python" ] || python3 -m venv "$DIR/.venv"
  "$DIR/.venv/bin/pip" install -q --upgrade pip
  # Editable, as `make run` installs it: crm runs from the checkout, next to its migrations and instance/.
  "$DIR/.venv/bin/pip" install -q -e "${DIR}[postgresql]"
  # The service can't write to its own code: compile it now, so each start doesn't have to.
  "$DIR/.venv/bin/python" -m compileall -q "$DIR/crm" "$DIR/migrations" >/dev/null
  install -d -o crm -g crm -m 0700 "$DIR/instance"
  # crm reads the code (a checkout made under a strict umask may hide it); instance/ and a .env beside
  # the checkout keep their own modes, they hold secrets.
  find "$DIR" \( -path "$DIR/instance" -o -path "$DIR/.env" \) -prune -o -exec chmod go+rX {} +
}

write_env() {
  local env="$DIR/instance/.env"
  if [ -e "$env" ]; then
    echo "Keeping $env"
    return
  fi
  say "Writing $env"
  install -o crm -g crm -m 0600 /dev/null "$env"
  cat >"$env" <<EOF
# crm's settings, read by crm itself at start-up (README's Configuration table lists every one).
# After a change: systemctl restart crm-web crm-worker
CRM_HOST=127.0.0.1
CRM_PORT=5000
# One proxy ($PROXY) in front: trust its X-Forwarded-* and X-Request-ID headers; the site is HTTPS-only.
CRM_PROXIES=1
CRM_SESSION_COOKIE_SECURE=true
# PostgreSQL instead of SQLite in this folder (docs/deploy.md, "Moving to PostgreSQL"):
# CRM_DATABASE_URL=postgresql://crm:PASSWORD@localhost/crm
# The follow page's codes go out through an SMTP server:
# CRM_MAIL_SERVER=smtp.example.com
# CRM_MAIL_PORT=587
# CRM_MAIL_USE_TLS=true
# CRM_MAIL_USERNAME=crm@example.com
# CRM_MAIL_PASSWORD=
# CRM_MAIL_FROM=shop@example.com
# Several machines: the queue and the rate limits in Redis (docs/deploy.md, "Outgrowing one machine"):
# CRM_REDIS_URL=redis://localhost:6379/0
# CRM_RATELIMIT_STORAGE_URI=redis://localhost:6379/1
EOF
}

install_units() {
  say "Installing the systemd units"
  local unit
  for unit in "${UNITS[@]}"; do
    sed "s#/opt/crm#$DIR#g" "$DIR/deploy/$unit" >"/etc/systemd/system/$unit"
  done
  systemctl daemon-reload
  systemctl enable -q crm-web.service crm-worker.service crm-backup.timer
  systemctl restart crm-web.service
  systemctl restart crm-worker.service
  systemctl start crm-backup.timer
}

configure_caddy() {
  say "Serving https://$DOMAIN with Caddy"
  local file=/etc/caddy/Caddyfile
  if [ -s "$file" ] && ! grep -q "crm on its own domain" "$file"; then
    cp "$file" "$file.before-crm"
    echo "Kept the previous Caddyfile as $file.before-crm"
  fi
  sed "s/crm\.example\.com/$DOMAIN/" "$DIR/deploy/Caddyfile" >"$file"
  caddy validate --config "$file" --adapter caddyfile >/dev/null
  systemctl enable -q caddy
  systemctl reload-or-restart caddy
}

configure_nginx() {
  say "Serving $DOMAIN with nginx; certbot fetches the certificate"
  sed "s/crm\.example\.com/$DOMAIN/" "$DIR/deploy/nginx/crm.conf" >/etc/nginx/sites-available/crm
  ln -sf /etc/nginx/sites-available/crm /etc/nginx/sites-enabled/crm
  nginx -t
  systemctl reload-or-restart nginx
  certbot --nginx -d "$DOMAIN" --redirect
}

wait_until_up() {
  local port
  port=$(sed -n 's/^CRM_PORT=//p' "$DIR/instance/.env" | tail -1)
  for _ in $(seq 30); do
    if curl -fsS "http://127.0.0.1:${port:-5000}/healthz" >/dev/null 2>&1; then
      say "crm is running: open https://$DOMAIN to create the owner account"
      return
    fi
    sleep 1
  done
  echo "crm did not answer on 127.0.0.1:${port:-5000}: see journalctl -u crm-web -u crm-worker" >&2
  exit 1
}

install_packages
install_app
write_env
install_units
if [ "$PROXY" = nginx ]; then configure_nginx; else configure_caddy; fi
wait_until_up
