"""The preview stage: a local server that renders bulletin drafts on request and reloads on change.

- ``site``: what is shown (the index of bulletins, drafts, cached charts);
- ``status``: whether each built copy in output/ is what a build would write now;
- ``failure``: a failed render described by template and line for the error page;
- ``watch``: watching templates, profile and database, and the event streams;
- ``server``: the Starlette routes, the Host check and no-cache headers, and ``serve``.
"""

from __future__ import annotations

from .server import create_app, serve
from .site import PreviewSettings, Site

__all__ = ["PreviewSettings", "Site", "create_app", "serve"]
