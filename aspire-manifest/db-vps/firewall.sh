#!/usr/bin/env bash
# DB VPS firewall: SSH from anywhere, PgBouncer (6432), PostgreSQL (5432, migrations) and Redis (6379) from the Main VPS only.
set -euo pipefail
: "${MAIN_VPS_PRIVATE_IP:?set MAIN_VPS_PRIVATE_IP}"
ufw --force reset
ufw default deny incoming
ufw default allow outgoing
ufw allow 22/tcp
for port in 6432 5432 6379; do
  ufw allow from "$MAIN_VPS_PRIVATE_IP" to any port "$port" proto tcp
done
ufw --force enable
ufw status verbose
