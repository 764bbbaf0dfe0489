#!/usr/bin/env bash
# Installs what SocialChat runs beside the .NET SDK: PostgreSQL server binaries and redis-server
# (and, with --deploy-tools, nginx and pgbouncer for the topology tests). Idempotent; prints what it installs.
set -euo pipefail

missing=()
have_postgres() {
  command -v postgres >/dev/null && command -v initdb >/dev/null && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
if [[ "${1:-}" == "--deploy-tools" ]]; then
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v pgbouncer >/dev/null || [[ -x /usr/sbin/pgbouncer ]] || missing+=(pgbouncer)
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

# The packages start system-wide servers of their own; SocialChat runs its own instances, so stop those
# to keep their ports (5432, 6379) free. Without systemd (containers, CI) there is nothing to stop.
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  systemctl disable --now postgresql redis-server 2>/dev/null || true
else
  command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | while read -r version cluster _; do
    pg_ctlcluster "$version" "$cluster" stop 2>/dev/null || true
  done
  pkill -x redis-server 2>/dev/null || true
fi
echo "Installed ${missing[*]}."
