#!/usr/bin/env bash
# The main job on a fresh machine: install everything (scripts/setup.sh), bring up the default
# range (Saida City) for team1, and print its status. `cyder down --all` removes it again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/cyder up "${1:-saida-city}" --team "${CYDER_TEAM:-team1}"
.venv/bin/cyder status
