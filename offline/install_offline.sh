#!/usr/bin/env bash
# Install amu-causal from a wheelhouse, with no package index (research servers).
#
#   bash install_offline.sh WHEELHOUSE [VENV]           # default VENV: .venv
#
# Checks the wheelhouse against its SHA256SUMS, creates a virtual environment with
# Python 3.11 and installs exactly the locked versions, with pip's --no-index.
set -euo pipefail
wheels="$(cd "${1:?give the wheelhouse folder}" && pwd)"
venv="${2:-.venv}"
python="${PYTHON:-python3.11}"
command -v "$python" > /dev/null || python=python3

(cd "$wheels" && sha256sum --check --quiet SHA256SUMS)
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --no-index --find-links "$wheels" \
    --requirement "$wheels/requirements-lock.txt"
"$venv/bin/python" -m pip install --no-index --find-links "$wheels" --no-deps amu-causal
"$venv/bin/python" -m pip check
"$venv/bin/amu-causal" --version
echo "installed; activate with: source $venv/bin/activate, then: amu-causal run --quick"
