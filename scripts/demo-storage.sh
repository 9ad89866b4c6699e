#!/usr/bin/env bash
# Runs the storage emulator (Azurite) on 127.0.0.1 for the demo, so that the demo's bundle
# and rollout screens can upload bundles and keep rollout records. It installs Azurite at the
# version package-lock.json pins when it is missing, and stays in the foreground: stop it
# with ctrl+c. Data lives in memory and is gone when it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/azurite ]; then
	command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ first" >&2; exit 1; }
	echo "installing Azurite (npm ci)..." >&2
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
cat >&2 <<'TXT'
Storage emulator on 127.0.0.1:10000 (blob) and :10001 (queue). In another terminal:
  SPOTDECK_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true go run ./cmd/spotdeck demo
TXT
exec node_modules/.bin/azurite --blobHost 127.0.0.1 --queueHost 127.0.0.1 \
	--tableHost 127.0.0.1 --inMemoryPersistence --extentMemoryLimit 1024 \
	--skipApiVersionCheck --loose --disableTelemetry --silent
