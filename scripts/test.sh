#!/usr/bin/env bash
# Runs every test against real PostgreSQL and Redis processes that the test fixture starts itself (and a headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh --deploy-tools --browser
dotnet test SocialChat.sln --logger "console;verbosity=normal" "$@"
