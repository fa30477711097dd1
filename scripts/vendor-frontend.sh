#!/usr/bin/env bash
# Vendor the pinned front-end packages from the npm registry into static/ (never a CDN).
# Run by hand when a version changes; the output is committed and reviewed like code.
# GOV.UK Frontend is used without the GOV.UK crown and without its font (the GDS Transport
# font may only be used on GOV.UK), so the @font-face rules are removed and arial is used.
set -euo pipefail
GOVUK_FRONTEND=6.6.0
HTMX=2.0.11
AXE_CORE=4.14.1
SWAGGER_UI=5.35.0
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "govuk-frontend@$GOVUK_FRONTEND" "htmx.org@$HTMX" "axe-core@$AXE_CORE" \
  "swagger-ui-dist@$SWAGGER_UI" >/dev/null
for package in govuk-frontend-$GOVUK_FRONTEND htmx.org-$HTMX axe-core-$AXE_CORE \
  swagger-ui-dist-$SWAGGER_UI; do
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

# Swagger UI for /api/docs: the bundle and its stylesheet only, without the source-map comments
# (the maps are not vendored). static/js/api-docs.js starts it: the page has no inline script.
swagger="$root/static/vendor/swagger-ui"
rm -rf "$swagger" && mkdir -p "$swagger"
for file in swagger-ui-bundle.js swagger-ui.css; do
  sed -e '/^\/[\/*]# sourceMappingURL=/d' "swagger-ui-dist-$SWAGGER_UI/package/$file" >"$swagger/$file"
done
cp "swagger-ui-dist-$SWAGGER_UI/package/LICENSE" "swagger-ui-dist-$SWAGGER_UI/package/NOTICE" \
  "swagger-ui-dist-$SWAGGER_UI/package/swagger-ui-bundle.js.LICENSE.txt" "$swagger/"
echo "$SWAGGER_UI" >"$swagger/VERSION"

axe="$root/tests/browser/vendor"
mkdir -p "$axe"
cp "axe-core-$AXE_CORE/package/axe.min.js" "$axe/axe.min.js"
cp "axe-core-$AXE_CORE/package/LICENSE" "$axe/axe-core-LICENSE"
echo "$AXE_CORE" >"$axe/axe-core-VERSION"
echo "vendored govuk-frontend $GOVUK_FRONTEND, htmx.org $HTMX, swagger-ui-dist $SWAGGER_UI, axe-core $AXE_CORE"
