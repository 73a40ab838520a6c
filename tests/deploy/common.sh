# shellcheck shell=bash disable=SC2154 # `bin` and `work` are the sourcing script's
# What the deploy tests share; sourced by nginx.sh and prometheus.sh after they set `bin`.

began=$(date +%s%N)
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
say() { printf '[%6d ms] %s\n' "$(ms_since "$began")" "$*"; }
die() { say "FAILED: $*" >&2; exit 1; }

[[ -x "$bin" ]] || die "no samtale binary at $bin (cargo build --release -p samtale, or set SAMTALE_BIN)"

# Installs Debian packages without starting their services: the package would start Debian's
# own service; a policy-rc.d that says "not now" (101, invoke-rc.d(8)) keeps it stopped. Only
# made, and removed again, if there is none.
install_without_starting() { # apt-get install arguments
    say "installing $* from Debian"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq
    local policy="" installed=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    fi
    timeout 600 apt-get install -y -qq "$@" >/dev/null || installed=$?
    [[ -n "$policy" ]] && rm -f "$policy"
    [[ $installed -eq 0 ]] || die "apt-get install $* failed ($installed)"
}

# The machine's PostgreSQL on 127.0.0.1:5432, started if it is down.
ensure_postgres() {
    if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
        say "starting PostgreSQL"
        timeout 60 pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
        for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
    pg_isready -h 127.0.0.1 -p 5432 -q || die "PostgreSQL is unreachable on 127.0.0.1:5432"
}

wait_ready() { # port, pid; the node logs to $work/node-<port>.log
    for _ in $(seq 1 300); do
        curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$1/readyz" && return 0
        kill -0 "$2" 2>/dev/null || die "the node on :$1 exited (log: $work/node-$1.log)"
        sleep 0.1
    done
    die "the node on :$1 was not ready within 30 s"
}
