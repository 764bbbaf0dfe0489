#!/usr/bin/env bash
# Runs every test against real PostgreSQL and Redis processes that the test fixture starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh --deploy-tools
dotnet test SocialChat.sln --logger "console;verbosity=normal" "$@"
