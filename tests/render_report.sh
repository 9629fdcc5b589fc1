#!/usr/bin/env bash
# Screenshots a job's logs/report.html with headless Chromium, to see that it renders
# (tests/integration/test_report.py checks the same rendering in CI).
#   tests/render_report.sh <run_dir>/logs/report.html [out.png]
set -euo pipefail
report=${1:?usage: $0 path/to/report.html [out.png]}
out=${2:-report.png}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z $browser ]]; then
    echo "render_report.sh: no chromium, chromium-browser or google-chrome on PATH; skipped" >&2
    exit 77
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1600 \
    --screenshot="$(realpath -m "$out")" "file://$(realpath "$report")"
[[ -s $out ]] || { echo "render_report.sh: no screenshot written" >&2; exit 1; }
echo "wrote $out"
