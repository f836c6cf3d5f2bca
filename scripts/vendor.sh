#!/usr/bin/env bash
# Re-fetch the vendored front-end assets (htmx 2.x, USWDS 3.x) from the npm registry and
# record their versions and checksums in portal/static/vendor/VENDORED.md.
# Usage: scripts/vendor.sh [HTMX_VERSION] [USWDS_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX=${1:-2.0.11}
USWDS=${2:-3.14.0}
DEST=portal/static/vendor
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

(cd "$TMP" && npm pack --silent "htmx.org@$HTMX" "@uswds/uswds@$USWDS" >/dev/null)
mkdir -p "$TMP/htmx" "$TMP/uswds"
tar xzf "$TMP"/htmx.org-*.tgz -C "$TMP/htmx"
tar xzf "$TMP"/uswds-uswds-*.tgz -C "$TMP/uswds"

rm -rf "$DEST/htmx" "$DEST/uswds"
mkdir -p "$DEST/htmx" "$DEST/uswds/css"
cp "$TMP/htmx/package/dist/htmx.min.js" "$DEST/htmx/"
cp "$TMP/uswds/package/dist/css/uswds.min.css" "$DEST/uswds/css/"
# Only the fonts and images the stylesheet refers to.
grep -oE 'url\([^)]*\)' "$DEST/uswds/css/uswds.min.css" | sed -E 's/url\(["'"'"']?//; s/["'"'"']?\)$//' \
  | grep -v '^data:' | sed 's#^\.\./##' | sort -u | while read -r f; do
    if [ -f "$TMP/uswds/package/dist/$f" ]; then
      mkdir -p "$DEST/uswds/$(dirname "$f")"
      cp "$TMP/uswds/package/dist/$f" "$DEST/uswds/$f"
    fi
  done

{
  echo "# Vendored front-end assets"
  echo
  echo "Fetched by \`scripts/vendor.sh\` from the npm registry; no CDN, no build step."
  echo
  echo "| package | version | licence | file | sha256 |"
  echo "|---|---|---|---|---|"
  echo "| htmx.org | $HTMX | 0BSD | htmx/htmx.min.js | $(sha256sum "$DEST/htmx/htmx.min.js" | cut -d' ' -f1) |"
  echo "| @uswds/uswds | $USWDS | CC0-1.0 (fonts: SIL OFL 1.1) | uswds/css/uswds.min.css | $(sha256sum "$DEST/uswds/css/uswds.min.css" | cut -d' ' -f1) |"
  echo
  echo "USWDS fonts and images: only those \`uswds.min.css\` refers to are kept."
} > "$DEST/VENDORED.md"
echo "vendored htmx $HTMX and USWDS $USWDS into $DEST"
