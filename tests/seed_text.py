"""The seed document and the documented ways our generated tally differs from it."""

from __future__ import annotations

from pathlib import Path

SEED = Path(__file__).parent.parent / "seeds" / "000_93b1b6f763f6354e.txt"

# Every line where the generated tally differs from the seed's, and why. Nothing
# else may differ: tests/test_wording.py computes the differences and compares.
SEED_TALLY_DIFFERENCES = {
    (
        "• 134 combatants, including 16 Iranian-backed militias.",
        "• 134 combatants, including 16 Iranian-backed militiamen.",
    ): "the seed says 'militias' here and 'militiamen' in Hama and the group line",
    (
        "-Deir Ezzor desert: 59 operations which left 171 fatalities:",
        "-Deir Ezzor desert: 59 operations left 172 fatalities:",
    ): "the correction (the death from wounds counted in Deir Ezzor too) and 'which left' beside 'left'",
    (
        "• 138 combatants, including 22 Iranian-backed militias.",
        "• 139 combatants, including 22 Iranian-backed militiamen.",
    ): "the correction (138 -> 139) and 'militias' beside 'militiamen'",
    (
        "-Hama desert: 18 operations which left 97 fatalities:",
        "-Hama desert: 18 operations left 97 fatalities:",
    ): "'which left' beside 'left'",
    (
        "-Al-Suwaidaa desert: One operation left three\u00a0combatants\u00a0dead",
        "-Al-Suwaidaa desert: One operation left three combatants dead.",
    ): "the seed's last line has non-breaking spaces and lacks its full stop",
}
