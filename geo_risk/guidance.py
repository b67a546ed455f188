"""Plain guidance: what each band and tension level means and what to do next, in one sentence each.

The words live in a TOML file, not in the code or the policy: an authority writes its own
(``GEO_RISK_GUIDANCE_FILE``; the packaged ``policies/guidance.toml`` otherwise) without changing
the policy's version, because the words change no result. The file is checked against the
policy when the service starts: every band and level needs one sentence, and every problem is
reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo_risk.config import Policy, read_toml
from geo_risk.contract import CANNOT_ASSESS
from geo_risk.errors import ConfigError

DEFAULT_GUIDANCE_FILE = Path(__file__).parent / "policies" / "guidance.toml"
MAX_SENTENCE = 300


@dataclass(frozen=True)
class Guidance:
    """One sentence per band (placements and routes) and per tension level (school briefings)."""

    bands: Mapping[str, str] = field(default_factory=dict)
    levels: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    def band(self, band: str | None) -> str:
        return self.bands.get(band or "", "")

    def level(self, level: str | None) -> str:
        return self.levels.get(level or "", "")


def guidance_from_dict(data: Mapping[str, Any], policy: Policy, *, origin: str = "guidance") -> Guidance:
    """Check ``data`` (``[bands]`` and ``[levels]`` tables) against ``policy``'s bands and levels."""
    problems: list[str] = []
    unknown = sorted(set(data) - {"bands", "levels"})
    if unknown:
        problems.append(f"unknown table(s) {', '.join(unknown)}; the file has [bands] and [levels]")
    out: dict[str, dict[str, str]] = {}
    # a place outside the data's coverage is "Cannot assess": its sentence is optional
    optional = {"bands": (CANNOT_ASSESS,), "levels": ()}
    for table, names in (("bands", policy.scoring.bands), ("levels", policy.briefing.levels)):
        values = data.get(table, {})
        if not isinstance(values, Mapping):
            problems.append(f"[{table}] must be a table of sentences")
            values = {}
        extra = sorted(set(values) - set(names) - set(optional[table]))
        if extra:
            problems.append(f"[{table}] has {', '.join(map(repr, extra))}, which the policy does not have; "
                            f"the policy's are {', '.join(map(repr, names))}")
        kept = {}
        for name in names:
            text = values.get(name)
            if not isinstance(text, str) or not text.strip():
                problems.append(f"[{table}] needs a sentence for {name!r}")
            elif len(text) > MAX_SENTENCE:
                problems.append(f"[{table}] {name!r} is {len(text)} characters; keep it to one sentence "
                                f"of at most {MAX_SENTENCE}")
            else:
                kept[name] = " ".join(text.split())
        for name in optional[table]:
            text = values.get(name)
            if isinstance(text, str) and text.strip() and len(text) <= MAX_SENTENCE:
                kept[name] = " ".join(text.split())
            elif text is not None:
                problems.append(f"[{table}] {name!r} must be one sentence of at most {MAX_SENTENCE} characters")
        out[table] = kept
    if problems:
        msg = f"{origin}: {len(problems)} problem(s) in the guidance: " + "; ".join(problems)
        raise ConfigError(msg)
    return Guidance(bands=out["bands"], levels=out["levels"], source=origin)


def load_guidance(path: str | Path | None, policy: Policy) -> Guidance:
    """The guidance file at ``path`` (the packaged one when None), checked against ``policy``.

    Raises
    ------
    ConfigError
        The file is missing or not TOML, or lists every problem of its sentences.
    """
    path = Path(path) if path else DEFAULT_GUIDANCE_FILE
    data = read_toml(path, "guidance file", "check GEO_RISK_GUIDANCE_FILE")
    return guidance_from_dict(data, policy, origin=str(path))
