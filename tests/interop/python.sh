#!/bin/sh
# Runs one tests/interop/*.py case with the Python that Debian's packages
# (python3-authlib, python3-jwt, python3-jwcrypto, python3-requests; see
# scripts/deps.sh) install into: /usr/bin/python3, not a python3 that a
# virtual environment or pyenv put first on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
for m in authlib jwt jwcrypto requests; do
	if ! "$PY" -c "import $m" 2>/dev/null; then
		echo "$PY cannot import $m: install the Debian packages (scripts/deps.sh)" >&2
		exit 99         # a hard error, never a skip that looks like a pass
	fi
done
command -v curl >/dev/null 2>&1 || { echo "curl not installed (scripts/deps.sh)" >&2; exit 99; }
exec "$PY" "$@"
