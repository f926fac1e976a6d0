#!/usr/bin/env bash
# A newcomer's first run: serve the app and the desk on this machine.
#
#   ./scripts/dev.sh           serve: `spin up --build` when Spin is installed, else the harness
#   ./scripts/dev.sh --seed    the same, and once it answers, post the demo shop through the
#                              real webhooks (a few hundred orders with payments, deliveries
#                              and calls over the last 60 days) and set the demo password
#
# The first run writes local secrets into .env (git-ignored). Spin's env provider reads
# SPIN_VARIABLE_* from it, and so does the harness. Messages stay in the outbox (no email or
# SMS provider is configured) until you add a provider's variables to .env.
# LISTEN=127.0.0.1:3000 and STATE_DIR=.spin-dev choose the address and the database's folder.
set -euo pipefail
cd "$(dirname "$0")/.."

listen=${LISTEN:-127.0.0.1:3000}
state_dir=${STATE_DIR:-.spin-dev}
seed=false
for arg in "$@"; do
  case "$arg" in
    --seed) seed=true ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

whsec() { echo "whsec_$(head -c 24 /dev/urandom | base64 | tr -d '\n')"; }
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

if [ ! -f .env ]; then
  umask 077
  cat > .env <<ENV
# Written by scripts/dev.sh for local use only; never commit it (it is in .gitignore).
SPIN_VARIABLE_ORDERS_WEBHOOK_SECRET=$(whsec)
SPIN_VARIABLE_PAYMENTS_WEBHOOK_SECRET=$(whsec)
SPIN_VARIABLE_DELIVERY_WEBHOOK_SECRET=$(whsec)
SPIN_VARIABLE_CALLS_WEBHOOK_SECRET=$(whsec)
SPIN_VARIABLE_STOCK_WEBHOOK_SECRET=$(whsec)
SPIN_VARIABLE_CRON_TOKEN=$(token)
SPIN_VARIABLE_ADMIN_TOKEN=$(token)
SPIN_VARIABLE_EMAIL_FROM="Чайная лавка <orders@shop.example>"
# The password of every demo staff member (see config/shop.toml for their ids).
DEMO_PASSWORD=demo-$(token | head -c 12)
ENV
  echo "Wrote .env with fresh local secrets."
fi
# shellcheck disable=SC1091
set -a; . ./.env; set +a

url="http://$listen"
if command -v spin >/dev/null 2>&1; then
  echo "Serving with $(spin --version) on $url"
  spin up --build --listen "$listen" --state-dir "$state_dir" &
else
  echo "Spin is not installed: serving with the harness (tests/harness) on $url"
  cargo build -q -p orderpath-harness --bin spin-harness
  target/debug/spin-harness build -f spin.toml
  target/debug/spin-harness up -f spin.toml --listen "$listen" --state-dir "$state_dir" &
fi
server=$!
ticker=
trap 'kill $server ${ticker:-} 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "$url/desk/login" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "the server stopped" >&2; exit 1; }
  sleep 0.5
done

# Time-based work (reminders, retries, timers) runs from the tick; a real deployment calls
# it from a scheduler, here every minute.
( while sleep 60; do
    curl -fsS -o /dev/null -X POST -H "authorization: Bearer $SPIN_VARIABLE_CRON_TOKEN" "$url/cron/tick" || true
  done ) &
ticker=$!

if $seed; then
  cargo run -q -p orderpath-demo -- --url "$url" --env .env
fi

cat <<MSG

The desk:    $url/desk/
Sign in as:  m.ivanova (manager) or p.sidorov (head of sales, sees the analytics)
Password:    $DEMO_PASSWORD   (every demo staff member, set by --seed; or set one with
             PUT /api/staff/<id>/password and the admin token)
Admin token: in .env (SPIN_VARIABLE_ADMIN_TOKEN), for the API with curl
Stop with Ctrl-C.
MSG
wait "$server"
