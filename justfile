# Portcullis tasks. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Run the server on the SQLite default (./data).
run:
    cargo run --release

# Every test: unit tests, end-to-end tests on SQLite and Postgres, the barbican CLI script, and the
# job dashboard in headless Chromium.
test: pg-up
    cargo build -p portcullis-api --bin portcullis
    cargo test --workspace
    ./scripts/barbican-cli-check.sh
    ./scripts/dashboard-check.sh

# Start the local PostgreSQL if it is down (the project machines have PostgreSQL 15).
pg-up:
    #!/usr/bin/env bash
    set -euo pipefail
    if pg_isready -q -h 127.0.0.1 -p 5432; then exit 0; fi
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done
    echo "PostgreSQL is not reachable at 127.0.0.1:5432: the Postgres half of the suite needs it" >&2
    exit 1

fmt:
    cargo fmt --all

clippy:
    cargo clippy --workspace --all-targets -- -D warnings

# Apply migrations to DATABASE_URL (or the SQLite default) and exit.
migrate:
    cargo run --release -- migrate

# Throughput and latency benchmarks (not tests); figures go to BENCHMARKS.md.
bench:
    ./bench/secrets.sh
    ./bench/orders.sh

# Orders only: key and rsa orders per second and POST->ACTIVE latency, beside raw keygen rates.
bench-orders:
    ./bench/orders.sh

# Retake docs/dashboard.png (the README's picture of the job dashboard) from a live server.
dashboard-screenshot:
    cargo build -p portcullis-api --bin portcullis
    ./scripts/dashboard-check.sh --screenshot docs/dashboard.png
