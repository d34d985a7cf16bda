#!/usr/bin/env bash
# glassbox as a library: installs the artifact into the local Maven repository, then builds and tests
# .ci/consumer (the README's Java example) against it offline. Fails when the installed pom does not
# resolve, when it brings the command-line tool's dependencies, or when the example does not run.
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -n 1)"
# Online on a fresh machine (fetches maven-install-plugin once); offline works from a filled repository.
mvn -B -q -Dstyle.color=never -DskipTests install
mvn -o -B -Dstyle.color=never -f .ci/consumer/pom.xml -Dglassbox.version="$version" \
    -Dglassbox.model="$PWD/model-zoo/kjv-gpt2" test
