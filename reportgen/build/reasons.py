"""Why a bulletin is built again: the codes a plan and the manifest use, and their words."""

from __future__ import annotations

NEW, DATA, TEMPLATES, PROFILE, SETTINGS, VERSION = "new", "data", "templates", "profile", "settings", "version"
MISSING, CHANGED, FORCED = "missing", "changed", "forced"
SOURCES = "sources"  # the rows changed: the Summaries must be compared to know whether the data did
INPUTS = (TEMPLATES, PROFILE, SETTINGS, VERSION)  # the inputs besides the data, fingerprinted per kind of bulletin

WORDS = {NEW: "new", DATA: "data changed", TEMPLATES: "templates changed", PROFILE: "profile changed",
         SETTINGS: "settings changed", VERSION: "reportgen version changed", FORCED: "forced"}
