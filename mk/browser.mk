# Debian's chromium for the browser tests (Playwright drives /usr/bin/chromium headless; no
# browser build is downloaded).
.PHONY: browser-deps
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi
