"""The wording guard: branding words and pseudonyms in free text are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from geo_risk.chronology import validate_entry
from geo_risk.errors import ValidationError
from geo_risk.wording import branding_problem, check_text


@pytest.mark.parametrize("text", ["Gang fight", "MSGang", "gangsters", "a NOMINAL", "nominals list"])
def test_branding_words_are_refused_in_any_form(text):
    assert branding_problem(text)
    with pytest.raises(ValidationError, match="not used in geo-risk"):
        check_text(text, "label")


@pytest.mark.parametrize("text", ["peer group 7", "Organised youth activity", "young person seen"])
def test_neutral_words_pass(text):
    assert branding_problem(text) is None
    check_text(text, "label", shown_to_schools=True)


def test_texts_for_schools_must_not_name_anyone():
    check_text("YP-0042 was hurt", "notice")  # allowed where schools never read it
    with pytest.raises(ValidationError, match="do not name anyone"):
        check_text("YP-0042 was hurt", "notice", shown_to_schools=True)


def test_chronology_entry_with_a_branding_word_is_refused():
    values = {"occurred_at": "2026-10-01", "kind": "concern", "summary": "Seen with the gang", "source": "Mother",
              "source_type": "parent_carer", "evidence_grade": "B"}
    with pytest.raises(ValidationError, match="peer group"):
        validate_entry(values, now=dt.datetime(2026, 11, 1))
    values["summary"] = "Seen with an older peer group"
    assert validate_entry(values, now=dt.datetime(2026, 11, 1)).summary == "Seen with an older peer group"

