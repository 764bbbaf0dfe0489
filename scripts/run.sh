#!/usr/bin/env bash
# Brings the whole system up: PostgreSQL, Redis, Worker, Api, Realtime ×2 and the dashboard (http://localhost:18888).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh
exec dotnet run --project SocialChat.AppHost -- "$@"
