#!/usr/bin/env bash
# Screenshots a run's report.html as a person sees it, in headless Chromium (Debian's
# `chromium` package; installed here if missing): scripts/screenshot_report.sh RUN_DIR [OUT.png]
# [HEIGHT]. The page is rendered offline (the report needs no network) at 1100 px wide.
set -euo pipefail
run_dir=${1:?usage: $0 RUN_DIR [OUT.png] [HEIGHT]}
out=${2:-$run_dir/report.png}
height=${3:-4000}
if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
page=$(realpath "$run_dir/report.html")
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --window-size=1100,"$height" --screenshot="$(realpath -m "$out")" "file://$page" 2>/dev/null
echo "$out"
