#!/bin/sh
# Renders a lab report (report.html from `llmts lab run ...`) in headless Chromium and saves a
# full-page screenshot, to check the page and its plots in a real browser.
#   scripts/render-lab-report.sh [REPORT_HTML] [OUT_PNG] [WIDTH] [HEIGHT]
# Defaults: runs/lab/report.html, <report dir>/report.png, 1100 x 8000 pixels.
# Needs Debian's chromium (apt-get install -y chromium; fonts-noto-cjk for the Chinese quotes).
set -eu
report=${1:-runs/lab/report.html}
out=${2:-$(dirname "$report")/report.png}
width=${3:-1100}
height=${4:-8000}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "render-lab-report: no chromium found (apt-get install -y chromium)" >&2
  exit 2
fi
if [ ! -f "$report" ]; then
  echo "render-lab-report: $report does not exist (run: llmts lab run all)" >&2
  exit 2
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
case "$out" in /*) png=$out ;; *) png=$(pwd)/$out ;; esac
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars \
  --window-size="$width,$height" --screenshot="$png" "file://$abs" 2>"$profile/stderr.log" || {
  cat "$profile/stderr.log" >&2
  exit 1
}
echo "$png"
