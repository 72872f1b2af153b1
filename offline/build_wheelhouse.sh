#!/usr/bin/env bash
# Build a wheelhouse for installing amu-causal without internet.
#
# Run on a connected machine with the same operating system, processor type and Python
# minor version as the research server (Linux x86_64, Python 3.11 for the lock shipped
# here). Every package of offline/requirements-lock.txt is fetched as a wheel (or built
# into one where the index has only a source archive), amu-causal itself is built from
# this checkout, and a SHA256SUMS file is written so the copy can be checked on arrival.
#
#   bash offline/build_wheelhouse.sh [WHEELHOUSE]      # default: ./wheelhouse
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-wheelhouse}" && cd "${1:-wheelhouse}" && pwd)"
python="${PYTHON:-python3}"

"$python" - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    sys.exit(f"the lock is for Python 3.11; this is {sys.version.split()[0]} "
             "(set PYTHON=python3.11)")
PY
"$python" -m pip wheel --no-deps --requirement "$root/offline/requirements-lock.txt" \
    --wheel-dir "$out"
"$python" -m pip wheel --no-deps "$root" --wheel-dir "$out"
cp "$root/offline/requirements-lock.txt" "$out/"
cp "$root/offline/install_offline.sh" "$out/"
(cd "$out" && sha256sum -- *.whl requirements-lock.txt install_offline.sh > SHA256SUMS)
echo "wheelhouse ready: $out ($(ls "$out"/*.whl | wc -l) wheels)"
echo "copy the folder to the server, then: bash $out/install_offline.sh $out .venv"
