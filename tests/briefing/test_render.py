"""HTML (A4, self-contained) and the SVG chart and map (issue 6)."""

from __future__ import annotations

import re

import pytest

from geo_risk.briefing import brief_all
from geo_risk.briefing.render import render_html, trend_chart_png, trend_chart_svg
from geo_risk.config import Policy
from tests.briefing import _world as w


@pytest.fixture(scope="module")
def briefing():
    groups, links, places, _ = w.network()
    schools = w.schools()
    inc = w.incidents(burst_near=schools.geometry.iloc[0], burst=14)
    return brief_all(schools, inc, w.areas(), as_of=w.AS_OF, policy=Policy.default(), links=links, places=places,
                     groups=groups, include_points=True)["900001"]


def test_page_is_self_contained_and_prints_on_a4(briefing):
    page = render_html(briefing, areas=w.areas())
    assert "@page" in page and "size: A4" in page
    # no external asset of any kind: the only URL is the SVG namespace
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert "<svg" in page and "Synthetic Primary" in page and "peer group 7" in page
    assert "Critical" in page or "High" in page


def test_school_page_shows_no_incident_coordinates_and_no_people(briefing):
    page = render_html(briefing, areas=w.areas())
    analyst = briefing.to_dict("analyst")
    for p in analyst["incidents"][:40]:
        assert f"{p['easting']:.1f}" not in page
    assert "YP-" not in page
    assert "gang" not in page.lower() and "nominal" not in page.lower()


def test_chart_is_deterministic_svg_of_published_values(briefing):
    data = briefing.to_dict("school")
    a, b = trend_chart_svg(data), trend_chart_svg(data)
    assert a == b and a.startswith("<svg")
    # the last bar is the table's latest month of month-only records: the same number
    latest = data["periods"][1]["months"][-1]
    assert f"<title>all incidents {latest}: {data['counts']['month_only_total']['28d']}</title>" in a
    assert "within 1,000 m of the school" in a
    first = data["trend"]["months"][0]
    data["trend"]["all"][0] = "<5"
    data["trend"]["all"][1] = "[c]"
    svg = trend_chart_svg(data)
    assert ">&lt;5</text>" in svg and ">[c]</text>" in svg
    # a suppressed month is never drawn at a height that would reveal it
    assert f"all incidents {first}" not in svg and f"all incidents {data['trend']['months'][1]}" not in svg


def test_chart_as_png_via_matplotlib_agg(briefing):
    png = trend_chart_png(briefing.to_dict("school"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


def test_analyst_page_is_marked(briefing):
    assert "analyst copy" in render_html(briefing, tier="analyst")
    assert "analyst copy" not in render_html(briefing)


def test_the_printed_count_table_puts_the_policys_serious_categories_first(briefing):
    serious = Policy.default().briefing.serious_categories
    page = render_html(briefing, areas=w.areas(), serious_categories=serious)
    table = page[page.index("Incidents within"):]
    table = table[:table.index("</table>")]
    titles = re.findall(r'<tr class="group-title"><th[^>]*>([^<]+)</th>', table)
    assert titles and titles[0] == "Violence, weapons and robbery"
    first = re.findall(r"<tr><td>([^<]+)</td>", table[:table.index("</tbody>")])
    assert first and set(first) <= set(serious)
    assert f"Incidents within {round(briefing.buffer_m)} m of the school" in page


def test_the_printed_briefing_shows_what_the_chart_adds_up_to(briefing):
    # this world has dated injuries too: the month-only records get a total row of their own, and the
    # chart's note says which columns its bars add up to and that the dated records are not in it
    data = briefing.to_dict("school")
    page = render_html(briefing, areas=w.areas())
    row = re.search(r"All month-only records \(the chart\)</td>((?:<td[^>]*>[^<]*</td>)+)", page)
    assert row and f">{data['counts']['month_only_total']['28d']}<" in row.group(1)
    assert data["counts"]["month_only_total"]["28d"] != data["counts"]["total"]["28d"]
    assert "so the two agree" in page and "in the table but not the chart" in page
