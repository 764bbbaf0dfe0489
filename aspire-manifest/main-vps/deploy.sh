#!/usr/bin/env bash
# Build on a workstation, copy to the Main VPS, migrate, then restart with no downtime for realtime clients:
#   MAIN_VPS=deploy@main-vps ./deploy.sh
# Realtime instances restart one at a time, each waiting until the previous one is healthy again, so
# clients reconnect (with jitter) to the others and catch up with GET …/messages?after=.
# Only build what would be copied, into DIR (one folder per service), and deploy nothing:
#   ./deploy.sh --publish-only DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [[ "${1:-}" == --publish-only ]]; then
  out="${2:?usage: ./deploy.sh --publish-only DIR}"
else
  : "${MAIN_VPS:?set MAIN_VPS=user@host}"
  out="$(mktemp -d)"
fi
# ReadyToRun, for the VPS's linux-x64: a service starts with its code compiled ahead, so the requests right after
# a restart don't wait on the JIT (BENCHMARKS.md: a fresh Api's p99 over its first 15 s, 0.6 s instead of 1.5 s).
for project in Worker Api Realtime; do
  dotnet publish "$root/SocialChat.$project/SocialChat.$project.csproj" -c Release -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -o "$out/$(echo "$project" | tr 'A-Z' 'a-z')"
done
[[ "${1:-}" != --publish-only ]] || exit 0
rsync -az --delete "$out/" "$MAIN_VPS:/opt/socialchat.new/"
ssh "$MAIN_VPS" 'bash -s' <<'REMOTE'
set -euo pipefail
sudo rsync -a --delete /opt/socialchat.new/ /opt/socialchat/
healthy() { for _ in $(seq 60); do curl -fsS "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 1; done; return 1; }
# The Worker applies migrations (straight to PostgreSQL) before it reports healthy.
sudo systemctl restart socialchat-worker && healthy 5070
# Every enabled instance, so one added later (socialchat-realtime@6 …) is deployed too.
instances() { ls /etc/systemd/system/multi-user.target.wants/ | sed -n "s/^socialchat-$1@\([0-9]*\)\.service$/\1/p" | sort -n; }
for i in $(instances api); do sudo systemctl restart "socialchat-api@$i" && healthy $((5080 + i)); done
for i in $(instances realtime); do sudo systemctl restart "socialchat-realtime@$i" && healthy $((5090 + i)); done
REMOTE
