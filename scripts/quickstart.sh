#!/usr/bin/env bash
# The main job on a fresh machine: install everything (scripts/setup.sh), then open the trainee app
# (`cyder play`), which brings up Saida City for team1 and starts the targeted-email exercise.
# Arguments go to `cyder play` (a scenario, --team, --speed, --lang, --web ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/cyder play "$@"
