#!/usr/bin/env bash
# Upload throughput and the server's memory for files in chats: a fresh `samtale serve` (a
# release build) on its own SQLite database, or on PostgreSQL with DATABASE_URL, takes ROUNDS
# uploads of a SIZE-byte file from one customer, one after another; the script prints each
# upload's time, the throughput, and the server's resident memory (VmRSS, sampled every 10 ms)
# before, at its highest during the uploads, and after. The file opens as a PDF, so it is
# stored as sent (no thumbnail). Figures are for docs/performance.md, not a test.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${SAMTALE_BIN:-$root/target/release/samtale}"
size="${SIZE:-10485760}"
rounds="${ROUNDS:-5}"
kind=pdf
work="$(mktemp -d)"
server=""
sampler=""
cleanup() {
    [[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null
    [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SAMTALE_DATABASE_URL="${DATABASE_URL:-sqlite://$work/samtale.db}" SAMTALE_KEY_FILE="$work/samtale.key" \
SAMTALE_ADMIN_PASSWORD="upload-bench-password" SAMTALE_LISTEN="127.0.0.1:$port" \
SAMTALE_CUSTOMER_MESSAGES_PER_MINUTE=0 SAMTALE_ATTACHMENT_MAX_BYTES="$((size + 1024))" RUST_LOG=warn \
    "$bin" serve --demo >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

python3 - "$work/file" "$size" "$kind" <<'PY'
import sys
path, size, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = b"%PDF-1.7\n" + bytes((i * 31) % 256 for i in range(size - 9))
open(path, "wb").write(data)
print(f"file: {kind}, {len(data)} bytes", file=sys.stderr)
PY

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$server/status"; }
started="$(curl -sf "http://127.0.0.1:$port/api/v1/widget/config" | python3 -c '
import json, sys
config = json.load(sys.stdin)
answers = {"email": "kunde@example.no", "phone": "+47 22 77 00 00"}
fields = {f["key"]: answers.get(f["kind"], (f.get("options") or ["Svar"])[0]) for f in config["fields"]}
print(json.dumps({"category_id": config["categories"][0]["category_id"], "name": "Kari Kunde", "fields": fields}))
' | curl -sf -X POST "http://127.0.0.1:$port/api/v1/customer/chats" -H 'content-type: application/json' -d @-)"
chat="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["chat_id"])' "$started")"
token="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["customer_token"])' "$started")"

before="$(rss)"
(peak=0; while kill -0 "$server" 2>/dev/null; do now="$(rss)"; (( now > peak )) && peak=$now && echo "$peak" > "$work/peak"; sleep 0.01; done) &
sampler=$!
total=0
for round in $(seq 1 "$rounds"); do
    seconds="$(curl -sf -o /dev/null -w '%{time_total}' -X POST \
        "http://127.0.0.1:$port/api/v1/customer/chats/$chat/attachments" \
        -H "Authorization: Bearer $token" -F "file=@$work/file;filename=bench.$kind")"
    echo "upload $round: $seconds s"
    total="$(python3 -c "print($total + $seconds)")"
done
sleep 0.2
after="$(rss)"
bytes="$(stat -c %s "$work/file")"
python3 - "$bytes" "$rounds" "$total" "$before" "$(cat "$work/peak")" "$after" <<'PY'
import sys
size, rounds, total, before, peak, after = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), *map(int, sys.argv[4:])
print(f"throughput: {size * rounds / total / 1e6:.1f} MB/s over {rounds} uploads of {size / 1048576:.1f} MiB ({total / rounds:.2f} s each)")
print(f"server RSS: {before / 1024:.1f} MiB before, {peak / 1024:.1f} MiB at most during, {after / 1024:.1f} MiB after "
      f"(peak growth {(peak - before) / 1024:.1f} MiB = {(peak - before) * 1024 / size:.2f} x the file)")
PY
