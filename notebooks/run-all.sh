#!/usr/bin/env bash
# Executes every notebook in notebooks/ (NN-*.ipynb, in order) headless with the glassbox-java
# kernel and writes the outputs back into the notebook (as committed). Fails when a cell fails or a
# notebook runs too long; a failed notebook is left as it was. Run notebooks/setup.sh first.
#
#   bash notebooks/run-all.sh                 # all notebooks
#   bash notebooks/run-all.sh 03-sampling     # only those whose names contain one of the arguments
#
# Environment: GLASSBOX_NB_CELL_TIMEOUT (seconds per cell, default 300),
# GLASSBOX_NB_TIMEOUT (seconds per notebook, default 600).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JUPYTER=/usr/bin/jupyter
KERNEL_NAME=glassbox-java
die() { echo "run-all: error: $*" >&2; exit 1; }

[ -x "$JUPYTER" ] || die "Jupyter is not installed: run bash notebooks/setup.sh"
"$JUPYTER" kernelspec list 2>/dev/null | grep "^ *$KERNEL_NAME " >/dev/null \
  || die "the $KERNEL_NAME kernel is not installed: run bash notebooks/setup.sh"
GB="$ROOT/target/glassbox.jar"
if [ ! -f "$GB" ] || [ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$GB" -print -quit 2>/dev/null)" ]; then
  echo "run-all: building $GB (mvn package)" >&2
  log="$(mktemp)"
  (cd "$ROOT" && mvn -B -Dstyle.color=never -DskipTests package) >"$log" 2>&1 || { tail -n 60 "$log" >&2; die "mvn package failed"; }
  rm -f "$log"
fi

shopt -s nullglob
notebooks=()
for nb in "$HERE"/[0-9][0-9]-*.ipynb; do
  if [ $# -eq 0 ]; then notebooks+=("$nb"); continue; fi
  for want in "$@"; do [[ "$(basename "$nb")" == *"$want"* ]] && { notebooks+=("$nb"); break; }; done
done
[ ${#notebooks[@]} -gt 0 ] || die "no notebooks matched"

failed=()
start_all=$(date +%s)
for nb in "${notebooks[@]}"; do
  name="$(basename "$nb")"
  log="$(mktemp)"
  t0=$(date +%s)
  # cwd is the notebook's folder (nbconvert's default), which the notebooks rely on.
  if (cd "$HERE" && timeout "${GLASSBOX_NB_TIMEOUT:-600}" "$JUPYTER" nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.kernel_name="$KERNEL_NAME" \
        --ExecutePreprocessor.timeout="${GLASSBOX_NB_CELL_TIMEOUT:-300}" \
        --ExecutePreprocessor.startup_timeout=180 \
        --ExecutePreprocessor.record_timing=False \
        "$name") >"$log" 2>&1; then
    echo "run-all: ok     $name ($(( $(date +%s) - t0 )) s)"
  else
    rc=$?
    echo "run-all: FAILED $name ($(( $(date +%s) - t0 )) s, exit $rc$([ $rc = 124 ] && echo ': timed out'))"
    # The failing cell and its error, without the Python traceback around them.
    sed -n '/An error occurred while executing the following cell/,$p' "$log" | head -n 80 | sed 's/\x1b\[[0-9;]*m//g; s/^/    /'
    [ -s "$log" ] && ! grep -q "An error occurred while executing" "$log" && tail -n 40 "$log" | sed 's/^/    /'
    failed+=("$name")
  fi
  rm -f "$log"
done
echo "run-all: ${#notebooks[@]} notebook(s) in $(( $(date +%s) - start_all )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-all: failed: ${failed[*]}" >&2
  exit 1
fi
