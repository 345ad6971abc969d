#!/usr/bin/env bash
# install-test-deps.sh installs the external tools that the dashboards/ and
# alerts/ tests run for real:
#
#   - promtool, prometheus              (Debian package "prometheus")
#   - prometheus-alertmanager, amtool   (Debian package "prometheus-alertmanager")
#   - kcat                              (Debian package "kcat"; internal/kafka interop test)
#   - tsc + @grafana/schema             (npm, into $WABA_NPM_DIR, default $REPO/.cache/npm)
#
# It is idempotent: a tool that is already present is not reinstalled. The apt
# part needs root and runs only when a binary is missing. The Debian packages
# ship services; none of them is left running: a temporary policy-rc.d forbids
# starting them during the install, and they are stopped and disabled
# afterwards in case an init system started them anyway.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NPM_DIR="${WABA_NPM_DIR:-$REPO/.cache/npm}"
# Pinned versions, checked against what really installs (npm view, apt-cache policy).
TYPESCRIPT_VERSION="5.9.3"
GRAFANA_SCHEMA_VERSION="13.2.3"

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

need_apt=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1 || need_apt+=(prometheus-alertmanager)
command -v yamllint >/dev/null 2>&1 || need_apt+=(yamllint)               # deploy/ manifests
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)         # deploy/ unit verify
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)                       # internal/kafka interop

if ((${#need_apt[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		log "missing ${need_apt[*]}; run this script as root (it uses apt-get)"
		exit 1
	fi
	# Forbid service starts during the install unless a policy already exists.
	created_policy=""
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		created_policy=1
	fi
	cleanup_policy() { [[ -n "$created_policy" ]] && rm -f /usr/sbin/policy-rc.d || true; }
	trap cleanup_policy EXIT
	log "apt-get install ${need_apt[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${need_apt[@]}"
	cleanup_policy
	trap - EXIT
	# Belt and braces: stop and disable any unit the packages may have started.
	if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
		for unit in prometheus prometheus-alertmanager prometheus-node-exporter; do
			systemctl disable --now "$unit" >/dev/null 2>&1 || true
		done
	elif command -v service >/dev/null 2>&1; then
		for unit in prometheus prometheus-alertmanager prometheus-node-exporter; do
			service "$unit" stop >/dev/null 2>&1 || true
		done
	fi
fi
log "promtool: $(promtool --version 2>&1 | head -n1)"
log "alertmanager: $(prometheus-alertmanager --version 2>&1 | head -n1)"

installed_version() { # $1 = package name; prints the installed version or nothing
	local pj="$NPM_DIR/node_modules/$1/package.json"
	[[ -f "$pj" ]] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$pj" || true
}
if [[ "$(installed_version typescript)" != "$TYPESCRIPT_VERSION" ||
	"$(installed_version @grafana/schema)" != "$GRAFANA_SCHEMA_VERSION" ]]; then
	if ! command -v npm >/dev/null 2>&1; then
		log "npm is missing; install Node.js and npm (Debian: apt-get install nodejs npm)"
		exit 1
	fi
	log "npm install typescript@$TYPESCRIPT_VERSION @grafana/schema@$GRAFANA_SCHEMA_VERSION into $NPM_DIR"
	mkdir -p "$NPM_DIR"
	npm install --prefix "$NPM_DIR" --no-audit --no-fund --loglevel=error \
		"typescript@$TYPESCRIPT_VERSION" "@grafana/schema@$GRAFANA_SCHEMA_VERSION" >&2
fi
log "tsc: $("$NPM_DIR/node_modules/.bin/tsc" --version), @grafana/schema $(installed_version @grafana/schema)"

# A real VictoriaMetrics single-node server for the push test (push/), built from the Go
# module proxy into .cache/bin (about a minute, once). `go install pkg@version` is refused
# here (the proxy does not list the module's versions), so it builds from a scratch module.
VM_VERSION="v1.129.1"
VM_BIN="$REPO/.cache/bin/victoria-metrics"
if ! command -v victoria-metrics >/dev/null 2>&1 && [[ ! -x "$VM_BIN" ]]; then
	log "building victoria-metrics $VM_VERSION into $VM_BIN"
	tmp=$(mktemp -d)
	printf 'module vmbuild\ngo 1.26\nrequire github.com/VictoriaMetrics/VictoriaMetrics %s\n' "$VM_VERSION" >"$tmp/go.mod"
	mkdir -p "$(dirname "$VM_BIN")"
	(cd "$tmp" && GOFLAGS=-mod=mod go build -o "$VM_BIN" github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics) >&2
	rm -rf "$tmp"
fi
log "victoria-metrics: $( (command -v victoria-metrics || echo "$VM_BIN") | head -n1)"
