#!/usr/bin/env bash
# The API's contract checked by a third-party tool: Schemathesis (PyPI, pinned) generates
# requests from GET /api/v1/openapi.json and sends them, as an administrator, to a fresh
# `samtale serve --demo` on its own SQLite database, with every check it has (`--checks all`):
# no server error, only declared statuses, content types and headers, responses that match
# their schemas, schema-valid requests taken and schema-invalid ones refused, and its stateful
# phase following the links between operations. It fails on any failure; schemathesis.toml
# says where, and why, a valid request may still be refused with 422.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
bin="${SAMTALE_BIN:-$root/target/release/samtale}"
work="$(mktemp -d)"
server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

timeout 300 python3 -m venv "$work/venv"
timeout 600 "$work/venv/bin/pip" install -q schemathesis==4.32.5

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
password="schemathesis-admin-password"
# No rate limits: the tool sends thousands of requests from one address.
SAMTALE_DATABASE_URL="sqlite://$work/samtale.db" SAMTALE_KEY_FILE="$work/samtale.key" \
SAMTALE_ADMIN_PASSWORD="$password" SAMTALE_LISTEN="127.0.0.1:$port" \
SAMTALE_LOGINS_PER_MINUTE=0 SAMTALE_ACCOUNT_LOGINS_PER_MINUTE=0 SAMTALE_CHAT_STARTS_PER_MINUTE=0 \
SAMTALE_CUSTOMER_MESSAGES_PER_MINUTE=0 SAMTALE_TYPING_SIGNALS_PER_MINUTE=0 NO_COLOR=1 \
    "$bin" serve --demo >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
done
token="$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

# Not logout: it would end the tool's own session.
# One worker: with two, Hypothesis's reading of its own source trips over a CPython 3.11 bug
# ("AST constructor recursion depth mismatch") now and then.
timeout 900 "$work/venv/bin/schemathesis" --config-file "$PWD/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks all \
    --exclude-path /api/v1/auth/logout \
    --max-examples 30 --workers 1 --seed 1 --no-color

# The customer's side: a chat started as the widget starts one (the pre-chat form answered),
# then the operations under /customer/chats/{id} with its token — all but closing and erasing
# the chat, which would end the run's chat (and erasing, its token) for every request after
# them; tests/it has those. The run above may have removed the demo's queues and categories,
# so the chat starts in a queue and category of its own.
admin_post() { # path, body → the created resource's id (its "$3" field)
    curl -sf -X POST "http://127.0.0.1:$port/api/v1$1" -H "Authorization: Bearer $token" \
        -H 'content-type: application/json' -d "$2" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$3"
}
queue_id="$(admin_post /queues '{"name": "Kontraktstest"}' queue_id)"
category_id="$(admin_post /categories '{"name": "Kontraktstest", "queue_id": "'"$queue_id"'"}' category_id)"
started="$(curl -sf "http://127.0.0.1:$port/api/v1/widget/config" | CATEGORY_ID="$category_id" python3 -c '
import json, os, sys
config = json.load(sys.stdin)
answers = {"email": "kunde@example.no", "phone": "+47 22 77 00 00"}
fields = {
    f["key"]: answers.get(f["kind"], (f.get("options") or ["Svar"])[0])
    for f in config["fields"]
}
print(json.dumps({"category_id": os.environ["CATEGORY_ID"], "name": "Kari Kunde", "fields": fields}))
' | curl -sf -X POST "http://127.0.0.1:$port/api/v1/customer/chats" -H 'content-type: application/json' -d @-)"
chat_id="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["chat_id"])' "$started")"
customer_token="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["customer_token"])' "$started")"
SAMTALE_CHAT_ID="$chat_id" timeout 900 "$work/venv/bin/schemathesis" \
    --config-file "$PWD/schemathesis-customer.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    -H "Authorization: Bearer $customer_token" \
    --checks all \
    --include-path-regex '^/api/v1/customer/chats/\{id\}' \
    --exclude-path-regex '/(close|erase)$' \
    --max-examples 30 --workers 1 --seed 1 --no-color
