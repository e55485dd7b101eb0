#!/bin/sh
# Re-vendor Chart.js from the npm registry into static/vendor/chartjs/ (no CDN at run
# time: the site serves the file itself). Usage: scripts/vendor_chartjs.sh [VERSION]
# Writes chart.umd.min.js (without its source-map comment), LICENSE.md and VERSION
# (version, tarball integrity, date).
set -eu
VERSION="${1:-4.6.1}"
DEST="$(cd "$(dirname "$0")/.." && pwd)/static/vendor/chartjs"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack "chart.js@$VERSION" --silent >/dev/null
INTEGRITY="$(npm view "chart.js@$VERSION" dist.integrity)"
tar xzf "chart.js-$VERSION.tgz"
# The tarball must be what the registry says it is.
ACTUAL="sha512-$(openssl dgst -sha512 -binary "chart.js-$VERSION.tgz" | openssl base64 -A)"
[ "$ACTUAL" = "$INTEGRITY" ] || { echo "integrity mismatch: $ACTUAL != $INTEGRITY" >&2; exit 1; }
mkdir -p "$DEST"
# The source map is not shipped: drop its reference (static file hashing would look for it).
sed '/^\/\/# sourceMappingURL=/d' package/dist/chart.umd.min.js > "$DEST/chart.umd.min.js"
cp package/LICENSE.md "$DEST/LICENSE.md"
printf 'chart.js %s\nfrom the npm registry, dist/chart.umd.min.js\nintegrity %s\nvendored %s\n' \
  "$VERSION" "$INTEGRITY" "$(date -u +%Y-%m-%d)" > "$DEST/VERSION"
echo "vendored chart.js $VERSION into $DEST"
