#!/usr/bin/env bash
# Installs what cyder needs on a Debian/Ubuntu machine, as root, and is safe to run again:
# the Docker engine (from the distribution's packages) started if it is not running, mmdebstrap
# and iptables, a virtual environment with the locked dependencies and cyder, and the range images.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/setup.sh: run as root (it installs packages and starts the Docker engine)" >&2
  exit 1
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
python3 -m venv --help >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} from the distribution's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting the Docker engine"
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    systemctl start docker
  else
    nohup dockerd >/var/log/dockerd.log 2>&1 &
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "the Docker engine did not start: see /var/log/dockerd.log" >&2; exit 1; }
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import cyder' 2>/dev/null \
   || [ requirements.lock -nt .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  log "installing cyder and its locked dependencies into .venv"
  python3 -m venv .venv
  # pip itself, pinned and checked by hash like everything after it (to move it: uv pip compile
  # --generate-hashes on a file holding pip==VERSION, and paste the result here)
  .venv/bin/pip install -q --require-hashes -r /dev/stdin <<'PIP'
pip==26.3 \
    --hash=sha256:6c36ae7da8695be67e3cd9f7d87919667ced53f57ce2ede75d89b5912ed2bc4c \
    --hash=sha256:f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13
PIP
  .venv/bin/pip install -q --require-hashes -r requirements.lock
  .venv/bin/pip install -q --no-deps -e .
  touch .venv/.installed
fi

log "building the range images (offline from Debian's packages; cached by content)"
.venv/bin/cyder images build
