"""The build stage: from the database to bulletin files under the output folder.

One module per concern, in the order a build uses them:

- ``jobs``: which bulletins a selection names (``Job``: a month or a year);
- ``gather``: the Summaries one bulletin shows;
- ``fingerprints``: digests of what a bulletin is made from (rows, Summaries,
  templates, profile, settings);
- ``reasons``: why a bulletin is built again;
- ``manifest``: the record of the last build (``OUTPUT/reportgen-manifest.json``);
- ``plan``: which bulletins changed, and why (nothing written);
- ``run``: rendering and writing what the plan builds, here or with an executor;
- ``executors``: a local process pool, or a Dask cluster;
- ``outputs``: where a bulletin's files go (written by ``reportgen.files``);
- ``versions``: earlier versions kept beside a bulletin, and its "Revised" notes;
- ``orchestrator``: ``build``, the whole stage as one call (``build_selection``: of the bulletins
  a selection of periods names).
"""

from __future__ import annotations

from .orchestrator import BuildResult, build, build_selection

__all__ = ["BuildResult", "build", "build_selection"]
