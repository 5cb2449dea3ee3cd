# Portcullis tasks. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Run the server on the SQLite default (./data).
run:
    cargo run --release

# Every test: unit tests, end-to-end tests on SQLite and Postgres, the barbican CLI script,
# schemathesis against the OpenAPI document, the job dashboard in headless Chromium, and a short
# run of the fuzz targets (`just fuzz-ci`).
test: pg-up
    cargo build -p portcullis-api --bin portcullis
    cargo test --workspace
    ./scripts/barbican-cli-check.sh
    ./scripts/schemathesis-check.sh
    ./scripts/dashboard-check.sh
    ./scripts/fuzz.sh 5

# Fuzz the parsers of untrusted input (fuzz/, cargo-fuzz): builds every target, runs each for SECONDS
# (or only the TARGETS named) and prints its executions per second; fails if any target crashes.
# Needs `cargo install cargo-fuzz --locked`.
fuzz SECONDS="60" *TARGETS:
    ./scripts/fuzz.sh {{SECONDS}} {{TARGETS}}

# The short fuzzing run `just test` ends with: 5 s per target, about a minute in all.
fuzz-ci:
    ./scripts/fuzz.sh 5

# Schemathesis alone: the server's OpenAPI document against the server, on SQLite and Postgres.
schemathesis: pg-up
    cargo build -p portcullis-api --bin portcullis
    ./scripts/schemathesis-check.sh

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

# Ten minutes of mixed traffic at 16 clients on Postgres: throughput, p99, errors, RSS, connections
# and the jobs table over time (a benchmark, not a test; figures go to BENCHMARKS.md).
soak:
    ./bench/soak.sh

# Retake docs/dashboard.png (the README's picture of the job dashboard) from a live server.
dashboard-screenshot:
    cargo build -p portcullis-api --bin portcullis
    ./scripts/dashboard-check.sh --screenshot docs/dashboard.png
