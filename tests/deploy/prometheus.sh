#!/usr/bin/env bash
# The nodes' metrics, tested with a real Prometheus: Debian's prometheus scrapes two real
# `samtale serve` nodes on one fresh PostgreSQL database every second — one with /metrics on
# its main listener, the other with SAMTALE_METRICS_LISTEN (its main listener answers 404 for
# /metrics) — while customers and agents use the API and SSE streams stay open. Then, through
# Prometheus's HTTP API (tests/deploy/metrics.mjs), it checks that
#   1. both targets are up and every series the dashboard and alerts rely on is there for both,
#      with the values the traffic implies (one dispatcher leader, the streams that are open,
#      the waiting chats, a latency quantile that is a number);
#   2. every query of docs/deploy/grafana-dashboard.json (and of its variables) parses,
#      evaluates and names only series that exist;
#   3. docs/deploy/alerts.yml passes `promtool check rules` and `promtool test rules`
#      (tests/deploy/alerts.test.yml), loads, evaluates without error, and its alerts go
#      pending when they should against the real nodes: chats waiting with no agent, and a
#      node stopped (the leader: the other node takes over and no-leader stays quiet).
# Installs prometheus if missing (never starting Debian's service: this Prometheus runs from a
# temporary directory on a free port). Needs PostgreSQL on 127.0.0.1:5432 (user postgres,
# trust), started if down. Every step has a time limit; exits non-zero on any failure; cleans up
# processes and the database.
#
#   bash tests/deploy/prometheus.sh    # SAMTALE_BIN=… another binary; SAMTALE_DEPLOY_KEEP=1 keeps
#                                      # the temporary directory (configuration, logs) for a look
set -euo pipefail
cd "$(dirname "$0")"
here="$(pwd)"
root="$(cd ../.. && pwd)"
bin="${SAMTALE_BIN:-$root/target/release/samtale}"
dashboard="$root/docs/deploy/grafana-dashboard.json"
alerts="$root/docs/deploy/alerts.yml"
# shellcheck source=tests/deploy/common.sh
source ./common.sh
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    # Not the recommended node exporter: another service.
    install_without_starting --no-install-recommends prometheus
    # Nor at the next boot (the package enables its unit and its init script); and stopped, had
    # an existing policy-rc.d let the package start it.
    if [[ -d /run/systemd/system ]]; then
        timeout 30 systemctl disable --now prometheus >/dev/null 2>&1 || true
    else
        command -v systemctl >/dev/null && { timeout 30 systemctl disable prometheus >/dev/null 2>&1 || true; }
        [[ -x /etc/init.d/prometheus ]] && { timeout 30 /etc/init.d/prometheus stop >/dev/null 2>&1 || true; }
    fi
    timeout 30 update-rc.d prometheus disable >/dev/null 2>&1 || true
fi
for tool in curl node createdb dropdb pg_isready; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done

ensure_postgres

work="$(mktemp -d /tmp/samtale-metrics.XXXXXX)"
db="samtale_metrics_$$"
pids=()
failed=1
cleanup() {
    set +e
    if [[ $failed -ne 0 ]]; then
        for f in "$work"/node-*.log "$work"/prometheus.log; do
            [[ -f "$f" ]] && { echo "--- last lines of $f"; tail -n 15 "$f"; }
        done
    fi
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    timeout 30 dropdb -h 127.0.0.1 -U postgres --if-exists --force "$db"
    if [[ -n "${SAMTALE_DEPLOY_KEEP:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The alert rules, before anything runs: they parse, and fire (or not) as their tests say.
checked="$(timeout 30 promtool check rules "$alerts" 2>&1)" || die "promtool check rules: $checked"
rules=$(sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p' <<<"$checked")
[[ -n "$rules" && "$rules" -gt 0 ]] || die "promtool check rules found no rules: $checked"
tested="$(timeout 60 promtool test rules "$here/alerts.test.yml" 2>&1)" || die "promtool test rules: $tested"
say "docs/deploy/alerts.yml: promtool check rules ($rules rules) and test rules (tests/deploy/alerts.test.yml): SUCCESS"

# Free ports on 127.0.0.1: node A, node B, node B's metrics listener, Prometheus.
read -r port_a port_b port_m port_p < <(node -e '
  const net = require("net"); const ports = [];
  const next = () => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => {
    ports.push(s.address().port); s.close(() => ports.length < 4 ? next() : console.log(ports.join(" "))); }); };
  next();')

# Two nodes on one fresh database, one key file.
timeout 30 createdb -h 127.0.0.1 -U postgres "$db"
export SAMTALE_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export SAMTALE_KEY_FILE="$work/samtale.key"
export SAMTALE_ADMIN_PASSWORD="metrics-test-admin"
export RUST_LOG="${RUST_LOG:-info}"
# A: the demo data and /metrics on its main listener. B: /metrics on a listener of its own only.
"$bin" serve --demo --listen "127.0.0.1:$port_a" >"$work/node-$port_a.log" 2>&1 &
pids+=($!); pid_a=$!
wait_ready "$port_a" "$pid_a"
SAMTALE_METRICS_LISTEN="127.0.0.1:$port_m" "$bin" serve --listen "127.0.0.1:$port_b" >"$work/node-$port_b.log" 2>&1 &
pids+=($!); pid_b=$!
disown "$pid_b" # metrics.mjs stops one of the nodes: no notice from bash about it
disown "$pid_a"
wait_ready "$port_b" "$pid_b"
say "nodes ready: A 127.0.0.1:$port_a (pid $pid_a, --demo, /metrics on it), B 127.0.0.1:$port_b (pid $pid_b, /metrics on 127.0.0.1:$port_m); database $db"

# Where each node's /metrics is, and is not.
answer() { timeout 10 curl -s -o "$work/body" --max-time 5 -w '%{http_code} %{content_type}' "$1"; }
got="$(answer "http://127.0.0.1:$port_a/metrics")"
[[ "$got" == "200 application/openmetrics-text"* ]] || die "A's /metrics: $got"
grep -q '^samtale_log_head_position ' "$work/body" || die "A's /metrics has no samtale_log_head_position"
grep -q '^# EOF$' "$work/body" || die "A's /metrics does not end with # EOF"
got_b="$(answer "http://127.0.0.1:$port_b/metrics")"
[[ "${got_b%% *}" == 404 ]] || die "B's main listener answered $got_b for /metrics, not 404"
got_m="$(answer "http://127.0.0.1:$port_m/metrics")"
[[ "$got_m" == "200 application/openmetrics-text"* ]] || die "B's metrics listener: $got_m"
got_r="$(answer "http://127.0.0.1:$port_m/readyz")"
[[ "${got_r%% *}" == 404 ]] || die "B's metrics listener answered $got_r for /readyz: it should serve /metrics only"
say "/metrics: A :$port_a 200; B main :$port_b 404, B metrics :$port_m 200 (and 404 for anything else there)"

# Prometheus, scraping both every second and evaluating the rules every second.
mkdir -p "$work/tsdb"
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $alerts
scrape_configs:
  - job_name: samtale
    static_configs:
      - targets: ["127.0.0.1:$port_a", "127.0.0.1:$port_m"]
EOF
timeout 30 promtool check config "$work/prometheus.yml" >/dev/null || die "promtool check config refused the test's prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$port_p" >"$work/prometheus.log" 2>&1 &
pids+=($!); pid_p=$!
for _ in $(seq 1 100); do
    curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port_p/-/ready" && break
    kill -0 "$pid_p" 2>/dev/null || die "prometheus exited"
    sleep 0.1
done
curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port_p/-/ready" || die "prometheus was not ready within 10 s"
say "prometheus $(prometheus --version 2>&1 | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p') on 127.0.0.1:$port_p (pid $pid_p), scraping 127.0.0.1:$port_a and 127.0.0.1:$port_m every 1 s"

# The traffic and every check against Prometheus.
set +e
PROMETHEUS="http://127.0.0.1:$port_p" NODE_A="127.0.0.1:$port_a" NODE_B="127.0.0.1:$port_b" \
    INSTANCE_A="127.0.0.1:$port_a" INSTANCE_B="127.0.0.1:$port_m" \
    PIDS="{\"127.0.0.1:$port_a\": $pid_a, \"127.0.0.1:$port_m\": $pid_b}" \
    DASHBOARD="$dashboard" RULES="$rules" AGENT=kari SECOND_AGENT=ola PASSWORD=samtale-demo \
    timeout 100 node "$here/metrics.mjs"
status=$?
set -e
[[ $status -eq 0 ]] || die "the checks against Prometheus failed (status $status)"
failed=0
say "passed in $(( $(ms_since "$began") / 1000 )) s"
