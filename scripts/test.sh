#!/usr/bin/env bash
# The one test command for spotdeck, on a fresh machine or a developer's:
#   installs what the tests need when missing (tmux from apt, Azurite from npm at the version
#   package-lock.json pins), starts Azurite on 127.0.0.1, runs the gofmt check, go vet and
#   go test -race ./..., and stops what it started.
# Extra arguments go to go test, e.g. scripts/test.sh -run TestStatus ./cmd/...
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

install_tmux() {
	command -v tmux >/dev/null && return
	log "installing tmux (apt)"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq tmux >/dev/null
}

install_azurite() {
	[ -x node_modules/.bin/azurite ] && return
	command -v npm >/dev/null || { log "npm is missing: install Node.js 20+ first"; exit 1; }
	log "installing Azurite (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
}

# port_free tells whether nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
	for _ in $(seq 1 100); do
		port_free "$1" || return 0
		sleep 0.1
	done
	log "Azurite did not start; its log:"; cat "$azurite_log" >&2; return 1
}

start_azurite() {
	local base=10000
	while ! { port_free $base && port_free $((base + 1)) && port_free $((base + 2)); }; do
		base=$((base + 100))
	done
	azurite_log=$(mktemp -t spotdeck-azurite.XXXXXX)
	node_modules/.bin/azurite --blobHost 127.0.0.1 --queueHost 127.0.0.1 \
		--tableHost 127.0.0.1 --blobPort $base --queuePort $((base + 1)) \
		--tablePort $((base + 2)) --inMemoryPersistence --extentMemoryLimit 2048 \
		--skipApiVersionCheck --loose --disableTelemetry >"$azurite_log" 2>&1 &
	azurite_pid=$!
	trap stop_azurite EXIT
	wait_port $base
	wait_port $((base + 1))
	# The emulator's documented development account and key (public, not a secret).
	local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	export SPOTDECK_TEST_STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\
AccountKey=$key;BlobEndpoint=http://127.0.0.1:$base/devstoreaccount1;\
QueueEndpoint=http://127.0.0.1:$((base + 1))/devstoreaccount1;"
	log "Azurite on 127.0.0.1:$base (blob) and :$((base + 1)) (queue)"
}

stop_azurite() {
	[ -n "${azurite_pid:-}" ] && kill "$azurite_pid" 2>/dev/null && wait "$azurite_pid" 2>/dev/null
	rm -f "$azurite_log"
	return 0
}

install_tmux
install_azurite
start_azurite

log "gofmt"
go_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard '*.go' |
			while read -r f; do [ -f "$f" ] && echo "$f"; done
	else
		find . -name '*.go' -not -path './node_modules/*'
	fi
}
unformatted=$(gofmt -l $(go_files))
if [ -n "$unformatted" ]; then
	log "gofmt would change:"; echo "$unformatted" >&2; exit 1
fi
log "go vet"
go vet ./...
log "go test -race"
if [ $# -gt 0 ]; then
	go test -race "$@"
else
	go test -race ./...
fi
