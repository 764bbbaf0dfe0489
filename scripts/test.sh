#!/usr/bin/env bash
# Runs every test against real PostgreSQL and Redis processes that the test fixture starts itself (and a headless Chromium).
# Two phases: the suite in parallel, then the tests marked [Trait("Category", "Alone")] on a quiet machine
# (their bounds are on how evenly thousands of clients come back, which the suite's own load would decide).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh --deploy-tools --browser
status=0
dotnet test SocialChat.sln --logger "console;verbosity=normal" --filter "Category!=Alone" "$@" || status=$?
dotnet test SocialChat.sln --no-build --logger "console;verbosity=normal" --filter "Category=Alone" "$@" || status=$?
exit $status
