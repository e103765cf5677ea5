#!/usr/bin/env bash
# Create benchmarks/peers/.venv with the peer frameworks the side-by-side benchmark compares
# agentcore with. They are not agentcore dependencies, so they get their own virtualenv; the
# benchmark driver runs each framework in its own interpreter.
#
#   benchmarks/peers/setup.sh            # once (or again to upgrade)
#   .venv/bin/python benchmarks/peers/compare.py
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
test -x "$here/.venv/bin/python" || "$python" -m venv "$here/.venv"
"$here/.venv/bin/python" -m pip install --quiet --upgrade "pip>=24"
"$here/.venv/bin/python" -m pip install --quiet --upgrade -r "$here/requirements.txt"
"$here/.venv/bin/python" -m pip freeze --quiet | grep -iE '^(smolagents|langgraph|langchain-core)=='
