"""The school briefing page is written for a head teacher (issue 16): the buffer stated, serious harm first,
minor crime grouped last, a column with nothing in it dropped, and a chart whose months add up to the table."""

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
    # the chart counts the same records in the same buffer: its last bar is the 28-day column's total,
    # its last three bars the 90-day column's (this city's records all give only their month)
    bars = dict(re.findall(r"<title>all incidents (\d{4}-\d{2}): (\d+)</title>", page))
    latest = re.search(r'title="month-only records for (\d{4}-\d{2}) \(whole months\)"', table).group(1)
    three = re.search(r'title="month-only records for (\d{4}-\d{2}) to (\d{4}-\d{2}) \(whole months\)"', table)
    months = sorted(bars)
    assert months[-1] == latest == three.group(2) and months[-3] == three.group(1)
    totals = re.search(r'<tr class="total-row"><th scope="row">All categories</th>((?:<th>[^<]*</th>)+)</tr>', table)
    cells = re.findall(r"<th>([^<]*)</th>", totals.group(1))
    assert bars[latest] == cells[0] and str(sum(int(bars[m]) for m in months[-3:])) == cells[1]
    assert f"within the same {buffer_m:,} m, so the two agree" in page and 'id="month-only-total"' not in page

