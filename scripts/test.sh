#!/usr/bin/env bash
# Set up (first time only) and run the linter and the whole test suite.
# Browser tests need Debian's chromium (/usr/bin/chromium); .ci/run installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
