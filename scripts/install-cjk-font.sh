#!/usr/bin/env bash
# The CJK font the inspection report's PDF embeds: WenQuanYi Micro Hei from Debian (fonts-wqy-microhei).
# Installs it when missing; with --require, fails when it cannot (CI), otherwise only warns (make run
# still serves everything else, and the PDF endpoint says what is missing).
set -uo pipefail
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
PACKAGE=fonts-wqy-microhei
[ -f "$FONT" ] && exit 0

if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
if [ "$SUDO" != none ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends "$PACKAGE" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q --no-install-recommends "$PACKAGE" >/dev/null 2>&1; }
fi
[ -f "$FONT" ] && { echo "installed $PACKAGE ($FONT)"; exit 0; }

echo "the CJK font for PDF reports is missing: install the Debian package $PACKAGE" \
     "(or set CARENFORCE_REPORT_FONT_PATH to a TrueType CJK font)" >&2
[ "${1:-}" = "--require" ] && exit 1
exit 0
