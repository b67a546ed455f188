"""A deterministic synthetic city, written in the real input formats.

>>> from geo_risk.synth import generate_city
>>> manifest = generate_city("var/synthetown", seed=7, size="small")  # doctest: +SKIP

See :mod:`geo_risk.synth.city` for what is written and where.
"""

from __future__ import annotations

from geo_risk.synth._cases import DemoCase
from geo_risk.synth._spec import SIZES, SizeSpec
from geo_risk.synth.city import (
    DEFAULT_SEED,
    CityFile,
    CityManifest,
    ExpectedImport,
    draw_city,
    generate_city,
)

__all__ = [
    "DEFAULT_SEED",
    "SIZES",
    "CityFile",
    "CityManifest",
    "DemoCase",
    "ExpectedImport",
    "SizeSpec",
    "draw_city",
    "generate_city",
]
