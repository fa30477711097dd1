#!/usr/bin/env bash
# Vendor the pinned front-end packages from the npm registry into static/ (never a CDN).
# Run by hand when a version changes; the output is committed and reviewed like code.
# GOV.UK Frontend is used without the GOV.UK crown and without its font (the GDS Transport
# font may only be used on GOV.UK), so the @font-face rules are removed and arial is used.
set -euo pipefail
GOVUK_FRONTEND=6.6.0
HTMX=2.0.11
AXE_CORE=4.14.1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "govuk-frontend@$GOVUK_FRONTEND" "htmx.org@$HTMX" "axe-core@$AXE_CORE" >/dev/null
for package in govuk-frontend-$GOVUK_FRONTEND htmx.org-$HTMX axe-core-$AXE_CORE; do
  mkdir "$package" && tar xzf "$package.tgz" -C "$package"
done

govuk="$root/static/vendor/govuk-frontend"
rm -rf "$govuk" && mkdir -p "$govuk"
sed -e 's/@font-face{[^}]*}//g' -e 's/GDS Transport,arial,sans-serif/arial,sans-serif/g' \
  "govuk-frontend-$GOVUK_FRONTEND/package/dist/govuk/govuk-frontend.min.css" >"$govuk/govuk-frontend.min.css"
cp "govuk-frontend-$GOVUK_FRONTEND/package/dist/govuk/govuk-frontend.min.js" "$govuk/"
sed -n "/^## Licence/,/^## /p" "govuk-frontend-$GOVUK_FRONTEND/package/README.md" >"$govuk/LICENCE.md"
echo "$GOVUK_FRONTEND" >"$govuk/VERSION"

htmx="$root/static/vendor/htmx"
rm -rf "$htmx" && mkdir -p "$htmx"
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$htmx/"
cp "htmx.org-$HTMX/package/LICENSE" "$htmx/LICENSE"
echo "$HTMX" >"$htmx/VERSION"

axe="$root/tests/browser/vendor"
mkdir -p "$axe"
cp "axe-core-$AXE_CORE/package/axe.min.js" "$axe/axe.min.js"
cp "axe-core-$AXE_CORE/package/LICENSE" "$axe/axe-core-LICENSE"
echo "$AXE_CORE" >"$axe/axe-core-VERSION"
echo "vendored govuk-frontend $GOVUK_FRONTEND, htmx.org $HTMX, axe-core $AXE_CORE"
