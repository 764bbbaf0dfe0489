#!/usr/bin/env bash
# Installs what SocialChat runs beside the .NET SDK: PostgreSQL server binaries, redis-server and npm (the Api's build
# runs `npm ci` for the web client's SignalR library, the tests' build for the Node.js benchmark peer); with
# --deploy-tools also nginx, pgbouncer, psql and openssl for the deployment-bundle tests, and with --browser Debian's
# chromium for the browser tests. Idempotent; prints what it installs.
set -euo pipefail

missing=()
have_postgres() {
  command -v postgres >/dev/null && command -v initdb >/dev/null && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null
}
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v npm >/dev/null || missing+=(npm)
if [[ " $* " == *" --browser "* ]]; then
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
fi
if [[ " $* " == *" --deploy-tools "* ]]; then
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v pgbouncer >/dev/null || [[ -x /usr/sbin/pgbouncer ]] || missing+=(pgbouncer)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v openssl >/dev/null || missing+=(openssl)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "SocialChat needs: ${missing[*]}. Install them as root, then run this again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing ${missing[*]} (Debian packages)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null

# The packages start system-wide servers of their own; SocialChat runs its own instances, so stop and disable
# those (only those: other PostgreSQL or Redis processes on this machine are left alone) to keep 5432 and 6379 free.
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  systemctl disable --now postgresql redis-server 2>/dev/null || true
else
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h 2>/dev/null | while read -r version cluster _; do
      pg_ctlcluster "$version" "$cluster" stop 2>/dev/null || true
      echo manual > "/etc/postgresql/$version/$cluster/start.conf" || true
    done
  fi
  if [[ -x /etc/init.d/redis-server ]]; then
    /etc/init.d/redis-server stop >/dev/null 2>&1 || true
    update-rc.d redis-server disable >/dev/null 2>&1 || true
  fi
fi
echo "Installed ${missing[*]}."
