#!/usr/bin/env bash
# make soak: the exporter (with checkpoints) is killed with SIGKILL at random points while a
# generated month is written to its log in slices that cut lines, with a rotation every
# simulated hour (rename and copytruncate alternating); it is restarted each time, and its
# final exposition is compared byte for byte with one uninterrupted read of the same lines.
# See TestSoakRotations in internal/app/soak_test.go and docs/reliability.md. make test runs the
# same test in a short form.
#
# Sizes: SOAK_KILLS (default 1000), SOAK_LINES (default 300000: a month at about 0.12
# lines per simulated second), SOAK_HOURS (rotations, default 720: one per hour of a
# 30-day month), SOAK_SEED (kill points and slices; default from the clock).
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${SOAK_KILLS:-1000}
lines=${SOAK_LINES:-300000}
hours=${SOAK_HOURS:-720}
seed=${SOAK_SEED:-0}
report=${SOAK_REPORT:-$PWD/.cache/soak-result.json}
mkdir -p "$(dirname "$report")"
echo "soak: $kills kills, $lines lines, $hours rotations (result: $report)"
go test -count=1 -timeout 0 -v -run '^TestSoakRotations$' ./internal/app \
  -args -soak.kills="$kills" -soak.lines="$lines" -soak.hours="$hours" -soak.seed="$seed" -soak.report="$report" \
  | grep -v '^=== RUN'
cat "$report"
