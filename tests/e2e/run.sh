#!/usr/bin/env bash
# The browser end-to-end test: the agent console and the customer widget in headless Chromium
# against a release build of the server. Installs what it needs (Debian's chromium and
# aiosmtpd, the npm lock), builds, runs; exits non-zero on any failure, and every step has a
# time limit.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

if ! command -v chromium >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq
    timeout 900 apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The real SMTP server the transcript-by-e-mail step mails to: Debian's aiosmtpd.
if ! /usr/bin/python3 -c "import aiosmtpd" 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq
    timeout 600 apt-get install -y -qq python3-aiosmtpd >/dev/null
fi

# playwright-core never downloads a browser; the test drives /usr/bin/chromium.
timeout 300 npm ci --no-audit --no-fund --loglevel=error
(cd "$root" && timeout 1800 cargo build --release -p samtale)
SAMTALE_BIN="$root/target/release/samtale" timeout 600 node --test --test-concurrency=1 run.mjs
