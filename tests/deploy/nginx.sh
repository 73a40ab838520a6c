#!/usr/bin/env bash
# docs/deploy/nginx.conf, tested: Debian's nginx with that file (placeholders substituted) in
# front of two real `samtale serve` nodes on one fresh PostgreSQL database, over HTTPS with a
# certificate made now. Shows that
#   1. the client's real address reaches the rate limits (and a forged one does not), and
#   2. SSE streams cut by a node's SIGKILL resume through nginx on the other node, with every
#      message exactly once (tests/deploy/resume.mjs).
# Installs nginx if missing (it never starts Debian's service: this nginx runs from a temporary
# prefix). Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust), started if down. Every
# step has a time limit; exits non-zero on any failure; cleans up processes and the database.
#
#   bash tests/deploy/nginx.sh    # SAMTALE_BIN=… another binary; SAMTALE_DEPLOY_KEEP=1 keeps the
#                                 # temporary directory (logs, configuration) for a look
set -euo pipefail
cd "$(dirname "$0")"
here="$(pwd)"
root="$(cd ../.. && pwd)"
bin="${SAMTALE_BIN:-$root/target/release/samtale}"
conf="$root/docs/deploy/nginx.conf"
# shellcheck source=tests/deploy/common.sh
source ./common.sh
command -v nginx >/dev/null || install_without_starting nginx
for tool in openssl curl node createdb dropdb pg_isready; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done

ensure_postgres

work="$(mktemp -d /tmp/samtale-deploy.XXXXXX)"
chmod 755 "$work" # nginx's workers run as nobody and keep their temporary files here
db="samtale_deploy_$$"
pids=()
nginx_pid=""
failed=1
cleanup() {
    set +e
    if [[ $failed -ne 0 ]]; then
        for f in "$work"/node-*.log "$work"/nginx/error.log; do
            [[ -f "$f" ]] && { echo "--- last lines of $f"; tail -n 15 "$f"; }
        done
    fi
    [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${pids[@]}" $nginx_pid; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    timeout 30 dropdb -h 127.0.0.1 -U postgres --if-exists --force "$db"
    if [[ -n "${SAMTALE_DEPLOY_KEEP:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free ports on 127.0.0.1: two nodes, nginx's HTTPS and HTTP.
read -r port_a port_b port_tls port_http < <(node -e '
  const net = require("net"); const ports = [];
  const next = () => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => {
    ports.push(s.address().port); s.close(() => ports.length < 4 ? next() : console.log(ports.join(" "))); }); };
  next();')

# The certificate a real operator gets from their CA; here self-signed, for 127.0.0.1.
timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=samtale.test" -addext "subjectAltName=IP:127.0.0.1,DNS:samtale.test" \
    -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2>/dev/null
ca="$work/fullchain.pem"

# First, the file as an operator installs it: inside Debian's own /etc/nginx/nginx.conf (its
# conf.d include), only the certificate and log paths replaced, it passes `nginx -t`.
debian_site="$work/debian-site.conf"
sed -e "s#/etc/ssl/samtale/fullchain.pem#$work/fullchain.pem#" -e "s#/etc/ssl/samtale/privkey.pem#$work/privkey.pem#" \
    -e "s#/var/log/nginx/samtale.access.log#$work/debian-access.log#" "$conf" >"$debian_site"
grep -qF 'include /etc/nginx/conf.d/*.conf;' /etc/nginx/nginx.conf || die "Debian's nginx.conf has no conf.d include"
sed "s#include /etc/nginx/conf.d/\*.conf;#include $debian_site;#" /etc/nginx/nginx.conf >"$work/debian-nginx.conf"
timeout 10 nginx -t -q -c "$work/debian-nginx.conf" || die "nginx -t refused docs/deploy/nginx.conf inside Debian's nginx.conf"
say "docs/deploy/nginx.conf passes nginx -t inside Debian's nginx.conf (as /etc/nginx/conf.d/samtale.conf)"

# The shipped configuration with its placeholders replaced, and nothing else changed. Each
# substitution must find its placeholder, so a reworded docs/deploy/nginx.conf fails here
# rather than being tested half.
mkdir -p "$work/nginx/logs" "$work/nginx/temp"
site="$work/nginx/samtale.conf"
cp "$conf" "$site"
substitute() { # placeholder, replacement (literal strings)
    grep -qF -- "$1" "$site" || die "docs/deploy/nginx.conf no longer contains '$1'"
    PLACEHOLDER="$1" REPLACEMENT="$2" perl -pi -e 's/\Q$ENV{PLACEHOLDER}\E/$ENV{REPLACEMENT}/g' "$site"
}
substitute "10.0.0.11:8080" "127.0.0.1:$port_a"
substitute "10.0.0.12:8080" "127.0.0.1:$port_b"
substitute "listen 443 ssl http2;" "listen 127.0.0.1:$port_tls ssl http2;"
substitute "listen 80;" "listen 127.0.0.1:$port_http;"
substitute "listen [::]:443 ssl http2;" "" # the test speaks IPv4 only
substitute "listen [::]:80;" ""
substitute "/etc/ssl/samtale/fullchain.pem" "$work/fullchain.pem"
substitute "/etc/ssl/samtale/privkey.pem" "$work/privkey.pem"
substitute "/var/log/nginx/samtale.access.log" "$work/nginx/logs/access.log"

# The main file around it (Debian's nginx.conf plays this part on a real machine), with the two
# things only the test needs: nginx connects to the nodes from its own address, 127.0.0.2, so
# the nodes can tell it from the clients (127.0.0.1, 127.0.0.x) and trust only it; and every
# answer names the node that gave it (the shipped file has no add_header, so this one applies).
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 256; }
http {
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    proxy_bind 127.0.0.2;
    add_header X-Upstream \$upstream_addr always;
    include $site;
}
EOF
timeout 10 nginx -t -q -p "$work/nginx" -c "$work/nginx/nginx.conf" || die "nginx -t refused the configuration"

# Two nodes on one fresh database, one key file; nginx's address is their only trusted proxy.
timeout 30 createdb -h 127.0.0.1 -U postgres "$db"
export SAMTALE_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export SAMTALE_KEY_FILE="$work/samtale.key"
export SAMTALE_ADMIN_PASSWORD="deploy-test-admin"
export SAMTALE_TRUSTED_PROXIES="127.0.0.2"
export SAMTALE_CHAT_STARTS_PER_MINUTE=2
export SAMTALE_HSTS_MAX_AGE_SECONDS=31536000
export RUST_LOG="${RUST_LOG:-info}"
# The first node makes the key file and the demo data; the second starts once it is ready.
"$bin" serve --demo --listen "127.0.0.1:$port_a" >"$work/node-$port_a.log" 2>&1 &
pids+=($!); pid_a=$!
disown "$pid_a" # its SIGKILL is the test's doing: no "Killed" notice from bash
wait_ready "$port_a" "$pid_a"
"$bin" serve --listen "127.0.0.1:$port_b" >"$work/node-$port_b.log" 2>&1 &
pids+=($!); pid_b=$!
disown "$pid_b"
wait_ready "$port_b" "$pid_b"
say "nodes ready: 127.0.0.1:$port_a (pid $pid_a, --demo), 127.0.0.1:$port_b (pid $pid_b); database $db"

nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
base="https://127.0.0.1:$port_tls"
for _ in $(seq 1 50); do
    curl -sf -o /dev/null --max-time 1 --cacert "$ca" "$base/healthz" && break
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx exited"
    sleep 0.1
done
say "nginx on $base (and http://127.0.0.1:$port_http), upstream from 127.0.0.2"

# curl through nginx, verifying the test certificate; prints "<status> <node>", the body to
# $work/body.
through() { # from-address, curl arguments…
    local from="$1"; shift
    timeout 15 curl -s -o "$work/body" --max-time 10 --cacert "$ca" --interface "$from" \
        -w '%{http_code} %header{x-upstream}\n' "$@"
}
json() { node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))'"$1"')'; }

# TLS and the edge headers: one HSTS header (the node's; nginx adds none), the redirect.
headers="$(timeout 15 curl -s -D - -o /dev/null --max-time 10 --cacert "$ca" "$base/api/v1/widget/config")"
hsts=$(grep -ci '^strict-transport-security: max-age=31536000' <<<"$headers" || true)
[[ "$hsts" -eq 1 ]] || die "expected one Strict-Transport-Security header, got $hsts"
redirect="$(timeout 15 curl -s -o /dev/null --max-time 10 -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$port_http/agent")"
[[ "$redirect" == "301 https://127.0.0.1/agent" ]] || die "port 80 answered '$redirect'"
say "HTTPS verified against the test CA; one Strict-Transport-Security (from the node); http:// -> 301 https://"

# /metrics is for Prometheus, not the internet: the nodes serve it, nginx answers 404 for it,
# however the path is written.
[[ "$(timeout 15 curl -s -o /dev/null --max-time 10 -w '%{http_code}' "http://127.0.0.1:$port_a/metrics")" == 200 ]] ||
    die "the node's own /metrics did not answer 200"
hidden=""
for path in /metrics '/metrics?x=1' //metrics /%6Detrics /./metrics /metrics/ /METRICS; do
    got="$(through 127.0.0.1 --path-as-is "$base$path" | cut -d' ' -f1)"
    [[ "$got" == 404 ]] || die "$path through nginx answered $got, not 404"
    hidden+="$path "
done
say "/metrics: 200 from the node itself, 404 through nginx for ${hidden% }"

# 1. Rate limits see the client, not nginx. Limits are per node, and nginx's hash keeps one
# address on one node; the second client is the first address from 127.0.0.3 up that nginx
# sends to the same node as 127.0.0.1, so its 201 shows the node told the two apart (had it
# seen nginx's 127.0.0.2 for both, it would be 429 too).
direct=""
category="$(timeout 15 curl -sf --max-time 10 --cacert "$ca" "$base/api/v1/widget/config" |
    json '.categories[0].category_id')"
chat='{"category_id":"'"$category"'","name":"Ada","fields":{"email":"ada@example.no"}}'
started=() # "chat_id token" of each chat started, closed again below
start() { # from-address, extra curl arguments…
    local from="$1"; shift
    local got; got="$(through "$from" -X POST "$base/api/v1/customer/chats" \
        -H 'content-type: application/json' -d "$chat" "$@")"
    if [[ "${got%% *}" == 201 ]]; then
        started+=("$(json '.chat_id' <"$work/body") $(json '.customer_token' <"$work/body")")
    fi
    echo "$got"
}
node_of_first="$(through 127.0.0.1 "$base/healthz" | cut -d' ' -f2)"
second=""
for host in $(seq 3 9); do
    if [[ "$(through "127.0.0.$host" "$base/healthz" | cut -d' ' -f2)" == "$node_of_first" ]]; then
        second="127.0.0.$host"; break
    fi
done
[[ -n "$second" ]] || die "no address in 127.0.0.3-9 is hashed to $node_of_first"
expect_start() { # expected status, what, from-address, extra curl arguments…
    local want="$1" what="$2"; shift 2
    local got; start "$@" >"$work/got"; got="$(cat "$work/got")"
    [[ "${got%% *}" == "$want" ]] || die "$what: expected $want, got $got"
    [[ "${got#* }" == "$node_of_first" ]] || die "$what: answered by ${got#* }, not $node_of_first"
    say "  $what: ${got%% *} (node ${got#* })"
}
say "rate limit: 2 chat starts a minute per address; all of these reach node $node_of_first"
expect_start 201 "127.0.0.1, 1st start" 127.0.0.1
expect_start 201 "127.0.0.1, 2nd start" 127.0.0.1
expect_start 429 "127.0.0.1, 3rd start" 127.0.0.1
expect_start 201 "$second, 1st start" "$second"
expect_start 429 "127.0.0.1 claiming X-Forwarded-For: 198.51.100.1" 127.0.0.1 -H 'X-Forwarded-For: 198.51.100.1'
expect_start 429 "127.0.0.1 claiming Forwarded: for=198.51.100.2" 127.0.0.1 -H 'Forwarded: for=198.51.100.2'
# Control, straight to the node from an address that is not a trusted proxy: its forged
# X-Forwarded-For, a new address each time, is ignored too.
for claim in 3 4 5; do
    got="$(timeout 15 curl -s -o "$work/body" --max-time 10 --interface 127.0.0.60 -w '%{http_code}' \
        -X POST "http://$node_of_first/api/v1/customer/chats" -H 'content-type: application/json' \
        -H "X-Forwarded-For: 198.51.100.$claim" -d "$chat")"
    if [[ "$got" == 201 ]]; then
        started+=("$(json '.chat_id' <"$work/body") $(json '.customer_token' <"$work/body")")
    fi
    direct+="$got "
done
[[ "$direct" == "201 201 429 " ]] || die "straight to the node, forged X-Forwarded-For: expected 201 201 429, got $direct"
say "  straight to the node from 127.0.0.60 claiming a new X-Forwarded-For each time: $direct"
# The customers leave, so that routing offers their chats to nobody in the next part.
for entry in "${started[@]}"; do
    read -r id token <<<"$entry"
    got="$(through 127.0.0.1 -X POST "$base/api/v1/customer/chats/$id/close" -H "authorization: Bearer $token")"
    [[ "${got%% *}" == 200 ]] || die "closing chat $id: $got"
done

# 2. Streams resume through nginx on the other node, every message once.
say "streams: agent and customer through nginx, then SIGKILL to the node both streams are on"
resume_out="$work/resume.out"
set +e
BASE="$base" CA="$ca" NODES="{\"127.0.0.1:$port_a\": $pid_a, \"127.0.0.1:$port_b\": $pid_b}" \
    ACCESS_LOG="$work/nginx/logs/access.log" ERROR_LOG="$work/nginx/error.log" \
    AGENT=kari PASSWORD=samtale-demo timeout 120 node "$here/resume.mjs" | tee "$resume_out"
status=${PIPESTATUS[0]}
set -e
[[ $status -eq 0 ]] || die "the streams' test failed (status $status)"
summary="$(tail -n 1 "$resume_out")"
killed=""
for pid in "$pid_a" "$pid_b"; do kill -0 "$pid" 2>/dev/null || killed="$pid"; done
[[ -n "$killed" ]] || die "both nodes are still running: the kill did not happen"

# shellcheck disable=SC2016 # JavaScript's ${…}, not the shell's
node -e '
  const s = JSON.parse(process.argv[1]);
  const line = (who, r) => `  ${who}: ${r.node_before} -> ${r.node_after} (nginx tried ${r.nginx_tried.join(" then ")}); cut ${r.cut_after_kill_ms} ms after the kill; held until ${r.held_until_after_kill_ms} ms, then after a ${r.reconnect_delay_ms} ms delay the reconnect with Last-Event-ID ${r.last_event_id} was answered in ${r.reconnect_request_ms} ms (${r.attempts} attempt(s), ${r.refused} refused); back ${r.back_after_kill_ms} ms after the kill; ${r.events} events with ids, ${r.messages} messages`;
  console.log("summary");
  console.log(`  rate limits: the client address reached the node; forged X-Forwarded-For and Forwarded did not escape the limit`);
  console.log(`  ${s.messages_sent} messages, ${s.sent_while_down} of them sent while the node was down; each arrived once on both streams, ids strictly increasing`);
  console.log(`  delivery through nginx before the kill: at most ${s.delivery_before_kill_ms_max} ms from send to the other stream`);
  console.log(`  first message after the kill accepted in ${s.first_send_after_kill_ms} ms; nginx tried, for the 4 sent while down: ${s.sent_while_down_nginx_tried.map((t) => t.join(" then ")).join("; ")}; attempts the clients saw fail: ${s.sends_refused_during_failover.length ? s.sends_refused_during_failover.join(", ") : "none"}`);
  console.log(line("agent stream   ", s.agent));
  console.log(line("customer stream", s.customer));
  console.log(`  every message on both streams ${s.all_delivered_after_kill_ms} ms after the kill`);
  console.log(`  tokens in nginx access log: ${s.tokens_in_access_log}; in its error log (request lines of failed requests): ${s.tokens_in_error_log} of 2`);
' "$summary"
failed=0
say "passed in $(( $(ms_since "$began") / 1000 )) s"
