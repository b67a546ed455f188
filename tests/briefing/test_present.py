"""The count table as a head teacher reads it (issue 16): serious harm first, minor crime last, columns of
"n/a" only dropped and "n/a" explained."""

from __future__ import annotations

from geo_risk.briefing.present import NOT_APPLICABLE_NOTE, group_rows, has_not_applicable, shown_columns

SERIOUS = ("Violence and sexual offences", "Robbery", "Possession of weapons", "ED assault injury")


def _row(category: str, resolution: str = "month only", **cells) -> dict:
    return {"category": category, "resolution": resolution, "cells": {"7d": "n/a", "28d": "6", **cells}}


def test_serious_categories_come_first_in_the_policy_order_and_minor_crime_last():
    rows = [_row(c) for c in ("Shoplifting", "Bicycle theft", "Drugs", "Robbery", "Anti-social behaviour",
                              "Violence and sexual offences", "Vehicle crime", "Possession of weapons")]
    groups = group_rows(rows, SERIOUS)
    assert [g.title for g in groups] == ["Violence, weapons and robbery", "Other incidents that can affect pupils",
                                         "Property and minor crime"]
    assert [[r["category"] for r in g.rows] for g in groups] == [
        ["Violence and sexual offences", "Robbery", "Possession of weapons"],
        ["Drugs", "Anti-social behaviour"],
        ["Bicycle theft", "Shoplifting", "Vehicle crime"]]
    assert [g.serious for g in groups] == [True, False, False]
    assert sum(len(g.rows) for g in groups) == len(rows)  # every row once
    # a group with no row is left out
    assert [g.title for g in group_rows([_row("Shoplifting")], SERIOUS)] == ["Property and minor crime"]


def test_a_column_of_n_a_only_is_dropped_and_a_shown_n_a_is_explained():
    counts = {"columns": ["7d", "28d"], "rows": [_row("Robbery"), _row("Drugs")]}
    assert shown_columns(counts) == ["28d"] and not has_not_applicable(counts, ["28d"])
    counts["rows"].append(_row("ED assault injury", "dated", **{"7d": "0"}))
    assert shown_columns(counts) == ["7d", "28d"] and has_not_applicable(counts, ["7d", "28d"])
    assert NOT_APPLICABLE_NOTE.startswith("n/a: ")
