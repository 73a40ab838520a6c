#!/usr/bin/env bash
# The backup, restore and rollback commands of docs/deploy/README.md, run against real servers:
#   1. SQLite: `sqlite3 … ".backup …"` while the node runs, plus the key file; restored in place
#      (the old file and its -wal/-shm moved aside), the node shows the chats as they were at the
#      backup; without the key file, or with another database's, it refuses to start.
#   2. PostgreSQL: `pg_dump -Fc` while the node runs; restored in place (the database renamed
#      aside, a new one of the same name, `pg_restore`), the node shows the chats as they were at
#      the dump and takes new messages.
#   3. PostgreSQL, restored into a *new* cluster (by a role `samtale` that owns the database
#      there, as in production): the log's transaction ids are ahead of that cluster's, so what
#      is written after the restore is never folded (shown), until the cluster's transaction-id
#      epoch is moved past them with pg_resetwal -e (shown to work). Needs the machine's
#      PostgreSQL binaries and its `postgres` user (initdb on a spare port).
#   4. Rollback: a binary finding a migration it does not know refuses to start.
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust), started if down; installs sqlite3
# from Debian if missing. Every step has a time limit; exits non-zero on any failure; cleans up.
#
#   bash tests/deploy/backup.sh        # SAMTALE_BIN=… another binary
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
bin="${SAMTALE_BIN:-$root/target/release/samtale}"
began=$(date +%s)
say() { printf '[%3d s] %s\n' "$(( $(date +%s) - began ))" "$*"; }
die() { say "FAILED: $*" >&2; exit 1; }

[[ -x "$bin" ]] || die "no samtale binary at $bin (cargo build --release -p samtale, or set SAMTALE_BIN)"
if ! command -v sqlite3 >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq
    timeout 600 apt-get install -y -qq sqlite3 >/dev/null
fi
for tool in sqlite3 curl node pg_dump pg_restore createdb dropdb psql pg_isready; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    timeout 60 pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || die "PostgreSQL is unreachable on 127.0.0.1:5432"

work="$(mktemp -d /tmp/samtale-backup.XXXXXX)"
chmod 755 "$work" # the spare cluster's files are the postgres user's
source_db="samtale_backup_src_$$"
aside_db="samtale_backup_aside_$$"
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
fresh="$work/pgfresh"
fresh_port=""
pids=()
failed=1
cleanup() {
    set +e
    if [[ $failed -ne 0 ]]; then
        for f in "$work"/*.log; do [[ -f "$f" ]] && { echo "--- last lines of $f"; tail -n 8 "$f"; }; done
    fi
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    if [[ -n "$fresh_port" ]]; then
        timeout 30 runuser -u postgres -- "$pgbin/pg_ctl" -D "$fresh/data" -m fast -w stop >/dev/null
    fi
    for db in "$source_db" "$aside_db"; do
        timeout 30 dropdb -h 127.0.0.1 -U postgres --if-exists --force "$db"
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
export SAMTALE_ADMIN_PASSWORD="backup-test-admin"
node_pid=""
start_node() { # name, database url, key file, extra arguments…; sets $api and $node_pid
    local name="$1" url="$2" key="$3"; shift 3
    local port; port="$(free_port)"
    "$bin" serve --database-url "$url" --key-file "$key" --listen "127.0.0.1:$port" "$@" \
        >"$work/$name.log" 2>&1 &
    node_pid=$!
    pids+=("$node_pid")
    api="http://127.0.0.1:$port/api/v1"
    for _ in $(seq 1 300); do
        curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz" && return 0
        kill -0 "$node_pid" 2>/dev/null || die "$name: the node exited ($(grep -m1 '^Error' "$work/$name.log"))"
        sleep 0.1
    done
    die "$name: not ready within 30 s"
}
stop_node() {
    kill "$node_pid"
    for _ in $(seq 1 50); do kill -0 "$node_pid" 2>/dev/null || return 0; sleep 0.1; done
    die "the node did not stop"
}
# A node that crashed: SQLite gets no last close, so its -wal and -shm stay beside the database
# (a clean stop may checkpoint and remove them, or not, as the pool happens to close).
crash_node() {
    kill -9 "$node_pid"
    wait "$node_pid" 2>/dev/null || true
}
refuses() { # name, database url, key file: the node must exit non-zero; prints its error line
    local name="$1" url="$2" key="$3"
    local status=0
    timeout 30 "$bin" serve --database-url "$url" --key-file "$key" --listen "127.0.0.1:$(free_port)" \
        >"$work/$name.log" 2>&1 || status=$?
    [[ $status -ne 0 && $status -ne 124 ]] || die "$name: the node started (status $status)"
    grep -m1 '^Error' "$work/$name.log" || die "$name: exited $status without an error line"
}
json() { node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))'"$1"')'; }
call() { # method, path, token, body → body of the answer; fails on a status other than 2xx
    timeout 15 curl -sf --max-time 10 -X "$1" "$api$2" ${3:+-H "authorization: Bearer $3"} \
        ${4:+-H 'content-type: application/json' -d "$4"}
}
# A customer's chat, picked up by kari, with one message each way: sets $chat and $customer.
conversation() {
    local category; category="$(call GET /widget/config | json '.categories[0].category_id')"
    local started; started="$(call POST /customer/chats "" \
        '{"category_id":"'"$category"'","name":"Nora","fields":{"email":"nora@example.no"}}')"
    chat="$(json .chat_id <<<"$started")"; customer="$(json .customer_token <<<"$started")"
    local kari; kari="$(call POST /auth/login "" '{"username":"kari","password":"samtale-demo"}' | json .token)"
    call POST "/chats/$chat/pickup" "$kari" >/dev/null
    call POST "/customer/chats/$chat/messages" "$customer" '{"text":"Fakturaen er feil"}' >/dev/null
    call POST "/chats/$chat/messages" "$kari" '{"text":"Jeg ser på det nå"}' >/dev/null
}
say_to() { call POST "/customer/chats/$chat/messages" "$customer" '{"text":"'"$1"'"}' >/dev/null; }
transcript() { call GET "/customer/chats/$chat" "$customer" | json '.transcript.map((m) => m.text).join(" | ")'; }
expect_transcript() { # what, expected
    local got; got="$(transcript)"
    [[ "$got" == "$2" ]] || die "$1: the transcript is '$got', expected '$2'"
    say "  $1: $got"
}
# The transcript above comes from the read models, which hold plaintext; the log's copy is
# encrypted, and only the key file opens it: `samtale replay` reads the chat from the log.
verify_replay() { # database url, key file, a text the chat must hold
    local out; out="$(timeout 60 "$bin" replay --chat "$chat" --database-url "$1" --key-file "$2" 2>&1)" ||
        die "replay: $(grep -m1 '^Error' <<<"$out")"
    grep -qF "$3" <<<"$out" || die "replay from the log does not show '$3': $out"
    say "  samtale replay (from the log, decrypted with the key file) shows '$3'"
}
verify_audit() { # database url, key file
    local out; out="$(timeout 60 "$bin" audit verify --database-url "$1" --key-file "$2" 2>&1)" ||
        die "audit verify: $(grep -m1 '^Error' <<<"$out")"
    say "  samtale audit verify: $(grep -m1 '^intact' <<<"$out")"
}

# 1. SQLite.
say "SQLite: online .backup of a running node, plus the key file"
mkdir -p "$work/live" "$work/backup" "$work/aside" "$work/nokey" "$work/otherkey" "$work/newer"
live="sqlite://$work/live/samtale.db"
start_node sqlite-live "$live" "$work/live/samtale.key" --demo
conversation
timeout 60 sqlite3 "$work/live/samtale.db" ".backup '$work/backup/samtale.db'"
cp "$work/live/samtale.key" "$work/backup/samtale.key"
say_to "Etter kopien"
expect_transcript "live node after the backup" "Fakturaen er feil | Jeg ser på det nå | Etter kopien"
crash_node
check="$(timeout 60 sqlite3 "$work/backup/samtale.db" 'PRAGMA integrity_check;')"
[[ "$check" == ok ]] || die "integrity_check of the backup: $check"
say "  the backup: integrity_check ok, $(sqlite3 "$work/backup/samtale.db" 'SELECT count(*) FROM events') events"
# The restore, in place, after the node crashed: its database, with the -wal and -shm it left, goes
# aside (a stale -wal must never meet the restored file); the backup and its key file go in.
[[ -e "$work/live/samtale.db-wal" ]] || die "the crashed node left no -wal: the restore below proves less"
mv "$work/live/samtale.db" "$work/live/samtale.db-wal" "$work/live/samtale.db-shm" "$work/live/samtale.key" "$work/aside/"
cp "$work/backup/samtale.db" "$work/backup/samtale.key" "$work/live/"
start_node sqlite-restored "$live" "$work/live/samtale.key"
expect_transcript "node on the restored file" "Fakturaen er feil | Jeg ser på det nå"
stop_node
verify_audit "$live" "$work/live/samtale.key"
verify_replay "$live" "$work/live/samtale.key" "Jeg ser på det nå"
cp "$work/backup/samtale.db" "$work/nokey/"
say "  without the key file: $(refuses sqlite-nokey "sqlite://$work/nokey/samtale.db" "$work/nokey/samtale.key")"
[[ ! -e "$work/nokey/samtale.key" ]] || die "a node without its key file made a new one"
cp "$work/backup/samtale.db" "$work/otherkey/"
# Another database's key file: the one the first node made for its own new database.
start_node sqlite-other "sqlite://$work/otherkey/other.db" "$work/otherkey/samtale.key"
stop_node
say "  with another database's key file: $(refuses sqlite-otherkey "sqlite://$work/otherkey/samtale.db" "$work/otherkey/samtale.key")"

# 4 (here, on the SQLite copy). Rollback past a migration.
cp "$work/backup/samtale.db" "$work/backup/samtale.key" "$work/newer/"
newest="$(sqlite3 "$work/newer/samtale.db" 'SELECT max(version) FROM _sqlx_migrations')"
sqlite3 "$work/newer/samtale.db" "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
    VALUES ($((newest + 1)), 'from a newer release', 1, x'00', 0)"
refusal="$(refuses sqlite-newer "sqlite://$work/newer/samtale.db" "$work/newer/samtale.key")"
[[ "$refusal" == *"previously applied but is missing"* ]] || die "unexpected refusal: $refusal"
say "rollback: this binary on a database with migration $((newest + 1)) from a newer release: $refusal"

# 2. PostgreSQL, same cluster.
# Part 3 restores this cluster's log into a new cluster, whose transaction ids start near 750:
# the log's must be ahead of those for it to show anything, which a machine's own young
# cluster may not yet be. Each statement below is a transaction that takes an id.
xid="$(timeout 30 psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SELECT pg_current_xact_id()')"
if (( xid < 5000 )); then
    for _ in $(seq "$((5000 - xid))"); do echo 'SELECT pg_current_xact_id();'; done |
        timeout 120 psql -q -h 127.0.0.1 -U postgres -d postgres >/dev/null
fi
say "PostgreSQL: pg_dump -Fc of a running node's database, pg_restore into a new database"
timeout 30 createdb -h 127.0.0.1 -U postgres "$source_db"
pg_key="$work/pg.key"
start_node pg-source "postgres://postgres@127.0.0.1:5432/$source_db?sslmode=disable" "$pg_key" --demo
conversation
timeout 120 pg_dump -h 127.0.0.1 -U postgres -Fc -d "$source_db" -f "$work/samtale.dump"
say_to "Etter kopien"
stop_node
# The restore, in place: every node stopped, the database renamed aside, a new one of the same
# name, pg_restore; the key file stays as it is.
timeout 30 psql -h 127.0.0.1 -U postgres -d postgres -qc "ALTER DATABASE $source_db RENAME TO $aside_db"
timeout 30 createdb -h 127.0.0.1 -U postgres "$source_db"
timeout 120 pg_restore -h 127.0.0.1 -U postgres -d "$source_db" --no-owner --exit-on-error "$work/samtale.dump"
restored_url="postgres://postgres@127.0.0.1:5432/$source_db?sslmode=disable"
start_node pg-restored "$restored_url" "$pg_key"
expect_transcript "node on the restored database" "Fakturaen er feil | Jeg ser på det nå"
say_to "Etter gjenopprettingen"
expect_transcript "a message after the restore" "Fakturaen er feil | Jeg ser på det nå | Etter gjenopprettingen"
stop_node
verify_audit "$restored_url" "$pg_key"
verify_replay "$restored_url" "$pg_key" "Etter gjenopprettingen"

# 3. PostgreSQL, a new cluster.
if [[ -z "$pgbin" || ! -x "$pgbin/initdb" ]] || ! id postgres >/dev/null 2>&1; then
    die "no PostgreSQL binaries or postgres user for the new-cluster part"
fi
say "PostgreSQL: the same dump restored into a new cluster ($pgbin/initdb, a spare port), as the role samtale"
fresh_port="$(free_port)"
mkdir -p "$fresh" && chown postgres "$fresh"
as_postgres() { timeout 60 runuser -u postgres -- "$@"; }
as_postgres "$pgbin/initdb" -D "$fresh/data" -A trust -U postgres >"$work/initdb.log" 2>&1 ||
    die "initdb failed"
fresh_start() {
    as_postgres "$pgbin/pg_ctl" -D "$fresh/data" -l "$fresh/postgres.log" -w start \
        -o "-p $fresh_port -k $fresh -c listen_addresses=127.0.0.1" >/dev/null ||
        die "the new cluster did not start: $(tail -n 3 "$fresh/postgres.log")"
}
fresh_start
# Here, in a cluster of its own, the database belongs to a role of its own, as in production:
# the nodes connect as `samtale`, which owns the database and restores the dump.
timeout 30 psql -h 127.0.0.1 -p "$fresh_port" -U postgres -d postgres -qc 'CREATE ROLE samtale LOGIN'
fq() { timeout 30 psql -h 127.0.0.1 -p "$fresh_port" -U postgres -d samtale -Atc "$1"; }
restore_fresh() {
    timeout 30 dropdb -h 127.0.0.1 -p "$fresh_port" -U postgres --if-exists samtale
    timeout 30 createdb -h 127.0.0.1 -p "$fresh_port" -U postgres -O samtale samtale
    timeout 120 pg_restore -h 127.0.0.1 -p "$fresh_port" -U samtale -d samtale --no-owner \
        --exit-on-error "$work/samtale.dump"
}
fresh_url="postgres://samtale@127.0.0.1:$fresh_port/samtale?sslmode=disable"
restore_fresh
say "  restored: the log's newest tx $(fq 'SELECT max(tx) FROM events'), the new cluster's current $(fq 'SELECT pg_current_xact_id()')"
[[ "$(fq 'SELECT max(tx) < pg_current_xact_id() FROM events')" == f ]] ||
    die "the new cluster is already past the log's transaction ids: this part shows nothing"
# Its new events would sort before the restored ones and never be read: the node refuses.
refusal="$(refuses pg-fresh "$fresh_url" "$pg_key")"
[[ "$refusal" == *"pg_resetwal"* ]] || die "a node on a log ahead of its cluster was not refused: $refusal"
say "  as restored: the node refuses to start: $refusal"
restore_fresh
epoch="$(fq 'SELECT (max(tx)::text::bigint >> 32) + 1 FROM events')"
as_postgres "$pgbin/pg_ctl" -D "$fresh/data" -w stop >/dev/null || die "the new cluster did not stop"
as_postgres "$pgbin/pg_resetwal" -e "$epoch" "$fresh/data" >/dev/null || die "pg_resetwal failed"
fresh_start
[[ "$(fq 'SELECT max(tx) < pg_current_xact_id() FROM events')" == t ]] || die "pg_resetwal -e did not move the cluster past the log"
say "  restored again, cluster stopped, pg_resetwal -e $epoch, started: current tx now $(fq 'SELECT pg_current_xact_id()')"
start_node pg-fresh-epoch "$fresh_url" "$pg_key"
expect_transcript "node on it" "Fakturaen er feil | Jeg ser på det nå"
say_to "I den nye klyngen"
expect_transcript "a message after the restore" "Fakturaen er feil | Jeg ser på det nå | I den nye klyngen"
stop_node
verify_audit "$fresh_url" "$pg_key"
verify_replay "$fresh_url" "$pg_key" "I den nye klyngen"

failed=0
say "passed"
