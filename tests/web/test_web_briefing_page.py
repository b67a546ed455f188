"""The school briefing page is written for a head teacher (issue 16): the buffer stated, serious harm first,
minor crime grouped last, a column with nothing in it dropped, and the chart's wider area said."""

from __future__ import annotations

import re

from web.extensions import store


def test_the_briefing_states_the_buffer_puts_serious_harm_first_and_drops_an_empty_column(signed_in, app):
    page = signed_in("sami").get("/schools/100001").get_data(as_text=True)
    with app.app_context():
        buffer_m = round(store().policy.briefing.buffer_m)
    assert f"Incidents within {buffer_m} m of the school" in page
    table = page[page.index('id="counts"'):page.index("</table>", page.index('id="counts"'))]
    groups = re.findall(r'<tr class="group-row"><th scope="colgroup"[^>]*>([^<]+)</th>', table)
    assert groups == ["Violence, weapons and robbery", "Other incidents that can affect pupils"]
    order = re.findall(r'data-category="([^"]+)"', table)
    assert order == ["Violence and sexual offences", "Robbery", "Possession of weapons", "Drugs", "Burglary"]
    # every record of this city gives only its month: the 7-day column would be "n/a" throughout
    assert "last 7 days" not in table and ">n/a<" not in table and 'id="na-note"' not in page
    assert "a wider area than the" in page

