#!/usr/bin/env bash
# Debian's Chromium and a CJK font for the browser tests (never `playwright install`).
# Installs them when we are root with apt-get; otherwise says what is missing and
# the browser tests skip with a notice (under CI=true they fail instead).
set -u
have_font() { fc-list 2>/dev/null | grep -qiE 'wqy|noto sans cjk|noto serif cjk|droid sans fallback'; }
if [ -x /usr/bin/chromium ] && have_font; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium and fonts-wqy-microhei with apt-get (once)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1 \
    || echo "NOTICE: apt-get could not install chromium/fonts-wqy-microhei; browser tests will be skipped"
else
  echo "NOTICE: /usr/bin/chromium or a CJK font is missing and this user cannot apt-get install them;"
  echo "        browser tests will be skipped (sudo apt-get install chromium fonts-wqy-microhei)."
fi
exit 0
