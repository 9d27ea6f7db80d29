"""Request safety of the workbench: form tokens, trusted hosts, response headers, upload limits.

* **CSRF**: the first page a browser gets sets a random cookie (`HttpOnly`, `SameSite=Strict`);
  every form carries a token that is an HMAC of that cookie under the workspace's secret key (a
  file of random bytes in the workspace, mode 0600). A POST without a matching token is refused,
  so another site open in the same browser cannot make the workbench change or solve anything.
* **Trusted hosts**: requests must name 127.0.0.1 or localhost (with the port) as their Host, and
  an Origin, when sent, must be one of those too: a web page on another name that resolves to this
  machine (DNS rebinding) gets nothing.
* **Headers**: a Content-Security-Policy allowing only the workbench's own script (the vendored
  htmx file) and no other origin, no framing by other sites, no referrer sent to other sites (the
  browser still names its own origin on a form, which the Origin check needs), no MIME sniffing.
* **Uploads** over MAX_UPLOAD_BYTES are refused before they are read.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

CSRF_COOKIE = "spokeplan_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SECRET_FILE = ".workbench-secret"
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # per request; the largest shipped input is well under 1 MiB
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
# report.html is self-contained (inline CSS and SVG, no scripts): it may load nothing at all.
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


def workspace_secret(root: Path) -> bytes:
    """The workspace's secret key, created on first use (readable by its owner only)."""
    path = Path(root) / SECRET_FILE
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def new_cookie() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(secret: bytes, cookie: str) -> str:
    return hmac.new(secret, cookie.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, cookie: str | None, token: str | None) -> bool:
    if not cookie or not token:
        return False
    return hmac.compare_digest(csrf_token(secret, cookie), token)


def host_allowed(host_header: str | None, allowed: frozenset[str]) -> bool:
    """Host header (name, or name:port) names a trusted host."""
    if not host_header:
        return False
    name = urlsplit(f"//{host_header}").hostname or ""
    return name in allowed


def origin_allowed(origin: str | None, allowed: frozenset[str]) -> bool:
    """No Origin (not every browser sends one on same-origin GETs) or a trusted one."""
    if origin is None:
        return True
    return (urlsplit(origin).hostname or "") in allowed
