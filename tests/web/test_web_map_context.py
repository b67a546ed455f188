"""Maps people can read (issue 16): numbered markers matching the table, a key for every layer, a layer
switch, the route map fitted to both ends, and the incident grid's counts on hover."""

from __future__ import annotations

import pytest

from tests.web.test_web_browser import CHROMIUM, Watched, chromium, live_server  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def test_the_placement_map_numbers_its_markers_as_the_table_ranks(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "housing")
    w.page.click("text=Placement check >> nth=0")
    w.page.click("#check-form button[type=submit]")
    w.wait_for_map()
    ranks = w.page.locator("#candidates tbody tr td:first-child").all_inner_texts()
    numbers = w.page.locator(".num-marker span").all_inner_texts()
    assert ranks and sorted(numbers, key=int) == sorted(ranks, key=int)
    assert w.page.locator(".leaflet-control-layers").count() == 1
    assert "Candidate addresses" in w.page.inner_text(".leaflet-control-layers")
    assert "Candidate address" in w.page.inner_text("#map-key")
    w.finish("housing-numbered-markers")


def test_the_route_map_shows_both_ends_and_a_key_for_each_walk(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "transport")
    w.page.click("text=Route check >> nth=0")
    w.page.click("#route-form button[type=submit]")
    w.wait_for_map()
    assert w.page.locator(".num-marker span").all_inner_texts() == ["H", "S"]
    inside = w.page.evaluate("""() => {
        const map = document.querySelector('.folium-map').getBoundingClientRect();
        return [...document.querySelectorAll('.num-marker')].map(m => {
            const r = m.getBoundingClientRect();
            return r.left >= map.left && r.right <= map.right && r.top >= map.top && r.bottom <= map.bottom;
        });
    }""")
    assert inside == [True, True]  # both ends are on the map, not cut off
    key = w.page.inner_text("#map-key")
    assert "Shortest walk" in key and "Lowest-risk walk" in key and "Home" in key and "School" in key
    dashes = w.page.eval_on_selector_all(
        "#map-key li", "lis => lis.filter(li => / walk/.test(li.textContent) && li.querySelector('line'))"
                       ".map(li => li.querySelector('line').getAttribute('stroke-dasharray'))")
    assert len(dashes) >= 2 and len(set(dashes)) == len(dashes)  # each walk drawn with its own line pattern
    w.finish("transport-route-key")


def test_pointing_at_a_grid_square_shows_its_count(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "analyst")
    w.page.goto(f"{base}/analyst/incidents")
    w.wait_for_map()
    tip = w.page.evaluate("""() => {
        const grid = window.geoRiskLayers['incident-grid'];
        let layer = null;
        grid.eachLayer(l => { if (!layer) { layer = l; } });
        layer.fire('mouseover', {latlng: layer.getBounds().getCenter()});
        const t = layer.getTooltip();
        return t ? t.getContent().textContent : '';
    }""")
    assert tip.endswith("in this 250 m square") and tip.split()[0].isdigit()
    assert "incidents in a square" in w.page.inner_text("#map-key")
    w.finish("analyst-incident-grid")


def _label_state(w) -> dict:
    return w.page.evaluate("""() => {
        const shown = (sel) => [...document.querySelectorAll(sel)].filter(el => getComputedStyle(el).display !== 'none')
            .map(el => el.textContent);
        return {street: shown('.map-label-street'), school: shown('.map-label-school'),
                zoom: window.geoRiskMap.getZoom()};
    }""")


def _zoom_to(w, layer: str, zoom: int) -> None:
    w.page.evaluate("""([layer, zoom]) => new Promise(done => {
        let first = null;
        window.geoRiskLayers[layer].eachLayer(l => { if (!first) { first = l; } });
        window.geoRiskMap.once('zoomend', () => done());
        window.geoRiskMap.setView(first.getLatLng(), zoom, {animate: false});
    })""", [layer, zoom])


def test_street_and_school_names_are_drawn_by_the_app_at_close_zooms(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "school")
    w.wait_for_map()
    names = w.page.evaluate("""() => {
        const out = {};
        for (const name of ['street-names', 'place-names']) {
            out[name] = [];
            window.geoRiskLayers[name].eachLayer(l => out[name].push(l.getElement().textContent));
        }
        return out;
    }""")
    assert names["street-names"] and names["place-names"]
    _zoom_to(w, "place-names", 13)  # a whole town: no names
    assert _label_state(w)["street"] == [] and _label_state(w)["school"] == []
    _zoom_to(w, "place-names", 14)  # schools first
    state = _label_state(w)
    assert state["school"] and set(state["school"]) <= set(names["place-names"]) and state["street"] == []
    _zoom_to(w, "street-names", 17)  # then the streets, from the loaded street names
    state = _label_state(w)
    assert state["street"] and set(state["street"]) <= set(names["street-names"])
    switch = w.page.inner_text(".leaflet-control-layers")
    assert "Street names" in switch and "School names" in switch
    key = w.page.inner_text("#map-key")
    assert "Street names" in key and "School names" in key
    # the layer switch hides them
    w.page.evaluate("window.geoRiskMap.removeLayer(window.geoRiskLayers['street-names'])")
    assert _label_state(w)["street"] == []
    w.finish("school-map-labels")
