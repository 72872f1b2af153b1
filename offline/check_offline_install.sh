#!/usr/bin/env bash
# Show that the offline path works: build a wheelhouse from this checkout, install it into
# a fresh virtual environment with pip's --no-index, and run the main job's quick mode
# from that environment.
#
#   bash offline/check_offline_install.sh [WORKDIR]     # default: a new temporary folder
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
python="${PYTHON:-python3}"
PYTHON="$python" bash "$root/offline/build_wheelhouse.sh" "$work/wheelhouse"
PYTHON="$python" bash "$work/wheelhouse/install_offline.sh" "$work/wheelhouse" "$work/venv"
cd "$work"
"$work/venv/bin/amu-causal" run --quick --quiet --out "$work/results"
test -s "$work/results/report.html"
echo "offline install and quick run passed in $work"
