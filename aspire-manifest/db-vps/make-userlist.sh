#!/usr/bin/env bash
# Writes userlist.txt for PgBouncer from PostgreSQL's own SCRAM verifier, so no clear password is stored.
# Run once PostgreSQL is up, before PgBouncer starts: ./make-userlist.sh > userlist.txt && chmod 600 userlist.txt
# (local connections need the password too: the cluster was created with --auth-local=scram-sha-256).
set -euo pipefail
docker compose exec -T postgres sh -c 'PGPASSWORD=$POSTGRES_PASSWORD exec psql -U postgres -Atc "$0"' \
  "SELECT '\"' || rolname || '\" \"' || rolpassword || '\"' FROM pg_authid WHERE rolname = 'postgres'"
