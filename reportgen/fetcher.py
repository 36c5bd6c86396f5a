"""The only way WeasyPrint reaches a resource while it renders a bulletin.

WeasyPrint's default fetcher reads ``file:`` and ``http(s):`` URLs, follows
redirects, and embeds ``<link rel=attachment>`` targets into the PDF. Bulletins
are offline by design: this fetcher serves ``data:`` URLs and files whose real
path lies inside the template directories, and refuses everything else.
Importing this module imports WeasyPrint.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse


class FetchRefused(ValueError):
    """A URL the bulletin renderer does not fetch."""


class RestrictedFetcher(URLFetcher):
    """``data:`` URLs and files under ``roots``; every refused URL is kept in ``refused``."""

    def __init__(self, roots: Iterable[str | Path]):
        super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False)
        self.roots = tuple(os.path.realpath(r) for r in roots)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.allowed_path(url)
            kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": kind})
        return self._refuse(url, "only data: URLs and template files")

    def allowed_path(self, url: str) -> str:
        """The real path of a ``file:`` URL inside the roots (symlinks resolved), or FetchRefused."""
        parts = urlsplit(url)
        real = os.path.realpath(url2pathname(unquote(parts.path)))
        inside = parts.netloc in ("", "localhost") and any(
            os.path.commonpath([real, root]) == root for root in self.roots
        )
        if not inside or not os.path.isfile(real):
            self._refuse(url, "outside the template directories")
        return real

    def _refuse(self, url: str, why: str):
        self.refused.append(url)
        raise FetchRefused(f"not fetched ({why}): {url[:100]}")
