#!/usr/bin/env bash
# The HAPI FHIR reference validator that the FHIR tests run edflow's
# resources through (tests/services/fhir/test_fhir_validator.py).
#
#   bash deploy/fhir-validator.sh fetch   collect its jars from Maven Central with
#                                         mvn (version pinned in
#                                         deploy/fhir-validator/pom.xml) into
#                                         .cache/fhir-validator/<version>/libs
#
# The test runs deploy/fhir-validator/Validate.java on that classpath as a
# single-file Java program (a JDK is needed: it compiles in memory).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$root/deploy/fhir-validator/pom.xml"
VERSION="$(sed -n 's:.*<hapi.version>\(.*\)</hapi.version>.*:\1:p' "$POM")"
DIST_DIR="$root/.cache/fhir-validator/$VERSION"
LIBS_DIR="$DIST_DIR/libs"
log() { printf 'fhir-validator.sh: %s\n' "$*" >&2; }
die() { printf 'fhir-validator.sh: error: %s\n' "$*" >&2; exit 1; }

cmd_fetch() {
  [[ -n "$VERSION" ]] || die "no <hapi.version> found in $POM"
  # The pom's hash marks a complete fetch: a changed pom fetches again.
  local stamp marker="$DIST_DIR/.fetched"
  stamp="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -d "$LIBS_DIR" && "$(cat "$marker" 2>/dev/null)" == "$stamp" ]]; then
    log "validator $VERSION jars already in $LIBS_DIR"
    return 0
  fi
  command -v mvn >/dev/null || die "install Maven, e.g. apt-get install -y maven"
  log "fetching HAPI FHIR validator $VERSION jars with mvn into $LIBS_DIR"
  mkdir -p "$DIST_DIR"
  local tmp="$DIST_DIR/libs.tmp.$$" mvn_log="$DIST_DIR/fetch.log"
  rm -rf "$tmp"
  if ! mvn -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    rm -rf "$tmp"
    grep -E '\[(ERROR|WARNING)\]' "$mvn_log" | head -n 20 >&2 || true
    die "mvn could not fetch the validator $VERSION; full output in $mvn_log"
  fi
  ls "$tmp"/hapi-fhir-validation-"$VERSION".jar >/dev/null 2>&1 \
    || { rm -rf "$tmp"; die "hapi-fhir-validation-$VERSION.jar missing after mvn run"; }
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  echo "$stamp" > "$marker"
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars for the validator $VERSION"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  *) die "usage: $0 fetch" ;;
esac
