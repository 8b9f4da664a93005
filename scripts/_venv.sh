# Shared by scripts/*: make .venv and install the pinned requirements when they change.
# Usage: . scripts/_venv.sh requirements.txt   (sourced; leaves $VENV set)
set -euo pipefail
VENV=${SIYU_VENV:-.venv}
req=${1:-requirements.txt}
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
want=$(cat requirements.txt "$req" | sha256sum | cut -d' ' -f1)
stamp="$VENV/.siyu-$(basename "$req").sha"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "installing $req into $VENV ..."
  "$VENV/bin/pip" install -q -r "$req"
  echo "$want" > "$stamp"
fi
