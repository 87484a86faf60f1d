#!/usr/bin/env bash
# The README's first quick-start command: install what is missing, build the keepalived lab, run a real
# failover drill against lb1 (NIC down: capture, probes, takeover vs Master_Down_Interval, failback), print
# its report, then remove the lab. Needs root. The run stays in the run store for `hachaos report`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
trap 'node bin/run.js lab down --quiet >/dev/null 2>&1 || true' EXIT
node bin/run.js lab up
echo
node bin/run.js failover --target lb1
echo
# The drills of the last 30 days against a 99.99 % objective, as text and as a self-contained HTML page.
node bin/run.js report --since 30d --slo 99.99
node bin/run.js report --since 30d --slo 99.99 --format html -o "${HACHAOS_REPORT:-/tmp/hachaos-report.html}" --quiet
echo "HTML report (one self-contained file): ${HACHAOS_REPORT:-/tmp/hachaos-report.html}"
