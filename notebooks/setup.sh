#!/usr/bin/env bash
# Installs what the glassbox notebooks need, on Debian bookworm, and is safe to run again:
#   1. Jupyter's command-line tools from Debian packages (nbconvert, nbclient, jupyter-client) and
#      fonts for the Java2D plots;
#   2. the Java kernel: rapaio-jupyter-kernel from Maven Central, run by a JDK 21+ (Temurin 25 if
#      present), as the kernelspec "glassbox-java" with a small launcher (kernel/GlassboxKernel.java)
#      that closes two start-up races of the kernel;
#   3. target/glassbox.jar (mvn package), which each notebook puts on its classpath with
#      `%jar ../target/glassbox.jar` in its first cell.
# Then `bash notebooks/run-all.sh` executes every notebook.
#
# Environment: GLASSBOX_KERNEL_JAVA_HOME picks the JDK for the kernel (21 or newer);
# GLASSBOX_KERNEL_HEAP its heap (default 2g; PyTorch's own memory lives outside the heap);
# GLASSBOX_KERNEL_THREADS PyTorch's threads (default 1: the notebooks' models are small, and on a
# shared two-core machine a second spinning OpenMP thread made them up to 30 times slower).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
RJK_VERSION=3.0.1            # GlassboxKernel.java reaches into this version's internals: keep them in step
KERNEL_NAME=glassbox-java
say() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

# Runs a command with its output kept back unless it fails.
quiet() {
  local log; log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then tail -n 60 "$log" >&2; rm -f "$log"; die "failed: $*"; fi
  rm -f "$log"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    die "need root (or sudo) to run: $*"; fi
}

# --- 1. Jupyter and fonts (Debian packages) ------------------------------------------------------
# Jupyter's command-line tools; fontconfig, a font and FreeType for the text in the Java2D plots.
need=()
for pkg in jupyter-nbconvert jupyter-client python3-nbclient fontconfig fonts-dejavu-core libfreetype6; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
/usr/bin/python3 -c 'import nbconvert, nbclient, jupyter_client' || die "Jupyter's Python packages do not import"
JUPYTER=/usr/bin/jupyter

# --- 2. A JDK 21+ for the kernel ------------------------------------------------------------------
# The whole output is captured before it is parsed: a pipe into `head` can fail under pipefail.
java_major() { local props; props="$("$1/bin/java" -XshowSettings:properties -version 2>&1 || true)"
               sed -n 's/^ *java.specification.version = //p' <<<"$props" | sed -n 1p; }
KJAVA=""
for cand in ${GLASSBOX_KERNEL_JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk* \
            /usr/lib/jvm/*-2[1-9]* /usr/lib/jvm/* ${JAVA_HOME:-}; do
  [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
  v="$(java_major "$cand")"
  if [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null; then KJAVA="$(cd "$cand" && pwd -P)"; break; fi
done
[ -n "$KJAVA" ] || die "the Java kernel needs a JDK 21 or newer (Temurin 25 expected at /usr/lib/jvm/temurin-25-jdk-amd64); set GLASSBOX_KERNEL_JAVA_HOME"
say "kernel JDK: $KJAVA (Java $(java_major "$KJAVA"))"

# --- 3. The kernel: jar from Maven Central, launcher, kernelspec ---------------------------------
if [ "$(id -u)" = 0 ]; then KDIR=/usr/local/share/jupyter/kernels/$KERNEL_NAME
else KDIR="${XDG_DATA_HOME:-$HOME/.local/share}/jupyter/kernels/$KERNEL_NAME"; fi
JAR="$KDIR/rapaio-jupyter-kernel-$RJK_VERSION.jar"
mkdir -p "$KDIR"
if [ ! -s "$JAR" ]; then
  say "fetching io.github.padreati:rapaio-jupyter-kernel:$RJK_VERSION from Maven Central"
  tmp="$(mktemp -d)"
  (cd "$tmp" && quiet mvn -B -Dstyle.color=never \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact=io.github.padreati:rapaio-jupyter-kernel:$RJK_VERSION:jar -DoutputDirectory="$tmp/out")
  rm -f "$KDIR"/rapaio-jupyter-kernel-*.jar
  mv "$tmp/out/rapaio-jupyter-kernel-$RJK_VERSION.jar" "$JAR"
  rm -rf "$tmp"
fi
rm -rf "$KDIR/classes" && mkdir -p "$KDIR/classes"
"$KJAVA/bin/javac" -nowarn --release 21 -cp "$JAR" -d "$KDIR/classes" "$HERE/kernel/GlassboxKernel.java"
cp "$HERE/kernel/glassbox-kernel-logging.properties" "$KDIR/classes/"
mkdir -p "$KDIR/mima_cache"
cat > "$KDIR/kernel.json" <<EOF
{
  "argv": [
    "$KJAVA/bin/java",
    "-Xmx${GLASSBOX_KERNEL_HEAP:-2g}",
    "-Djava.awt.headless=true",
    "-Dai.djl.offline=true",
    "-Dai.djl.pytorch.num_threads=${GLASSBOX_KERNEL_THREADS:-1}",
    "-Dai.djl.pytorch.num_interop_threads=1",
    "--enable-native-access=ALL-UNNAMED",
    "-cp", "$JAR:$KDIR/classes",
    "GlassboxKernel",
    "{connection_file}"
  ],
  "display_name": "Java (glassbox)",
  "language": "java",
  "interrupt_mode": "message",
  "env": {
    "RJK_COMPILER_OPTIONS": "",
    "RJK_INIT_SCRIPT": "",
    "RJK_TIMEOUT_MILLIS": "-1",
    "RJK_MIMA_CACHE": "$KDIR/mima_cache",
    "OMP_NUM_THREADS": "${GLASSBOX_KERNEL_THREADS:-1}"
  }
}
EOF
"$JUPYTER" kernelspec list 2>/dev/null | grep "^ *$KERNEL_NAME " >/dev/null || die "jupyter does not list the kernelspec $KERNEL_NAME ($KDIR)"
say "kernelspec $KERNEL_NAME: $KDIR"

# --- 4. target/glassbox.jar -----------------------------------------------------------------------
GB="$ROOT/target/glassbox.jar"
if [ ! -f "$GB" ] || [ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$GB" -print -quit 2>/dev/null)" ]; then
  say "building $GB (mvn package)"
  (cd "$ROOT" && quiet mvn -B -Dstyle.color=never -DskipTests package)
fi
[ -f "$GB" ] || die "mvn package did not produce $GB"
say "ready: bash notebooks/run-all.sh"
