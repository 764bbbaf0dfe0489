#!/usr/bin/env bash
# Writes userlist.txt for PgBouncer from PostgreSQL's own SCRAM verifier, so no clear password is stored.
# Run once PostgreSQL is up: ./make-userlist.sh > userlist.txt && chmod 600 userlist.txt
set -euo pipefail
docker compose exec -T postgres psql -U postgres -Atc \
  "SELECT '\"' || rolname || '\" \"' || rolpassword || '\"' FROM pg_authid WHERE rolname = 'postgres'"
