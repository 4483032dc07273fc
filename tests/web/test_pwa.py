"""The web app the canteen's phones install: its manifest, icons and service worker, all from this server."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image

from tests.helpers import session_csrf, sign_in
from tests.web.work_world import world_with_people
from trace.guard import PROJECT_ROOT
from trace.hardening import CONTENT_SECURITY_POLICY

STATIC = PROJECT_ROOT / "static"
OUR_SCRIPTS = ("scan.js", "offline.js", "sw.js")


def test_the_service_worker_is_served_from_the_root_so_it_covers_the_canteen_pages(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"  # a new deploy's worker is picked up
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY  # no exception was needed
    assert "/canteen/" in response.text


def test_the_manifest_starts_on_the_canteens_work_page_standalone_in_the_sites_colour(client):
    response = client.get("/static/manifest.webmanifest")
    manifest = json.loads(response.content)
    accent = re.search(r"--accent: (#[0-9a-f]{6})", (STATIC / "site.css").read_text()).group(1)

    assert response.headers["content-type"].startswith("application/manifest+json")
    assert manifest["lang"] == "zh-CN" and "食堂" in manifest["name"]
    assert manifest["start_url"] == "/canteen/deliveries" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == accent


def test_every_icon_the_manifest_names_is_a_png_of_its_size(client):
    manifest = json.loads((STATIC / "manifest.webmanifest").read_text())

    for icon in manifest["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(STATIC / Path(icon["src"]).relative_to("/static")) as image:
            assert image.size == (width, height)
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def test_the_canteens_pages_link_the_manifest_and_load_the_scripts_from_this_server(client, session):
    people = world_with_people(session)
    people.world.receive(session, people.world.ship(session, "10"), "10")
    session.commit()
    sign_in(client, people.canteen)

    page = client.get("/canteen/uses").text

    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    assert '<script src="/static/offline.js" defer></script>' in page
    assert '<script src="/static/scan.js" defer></script>' in page
    assert f'<meta name="csrf-token" content="{session_csrf(client)}">' in page  # offline.js syncs with it
    assert '<form class="stacked card" method="post" action="/canteen/uses" data-offline="use">' in page


def test_a_visitors_and_an_inspectors_pages_load_no_script(client, session):
    assert "<script" not in client.get("/").text
    people = world_with_people(session)
    sign_in(client, people.inspector)

    page = client.get("/inspect/search").text

    assert "<script" not in page and "manifest" not in page


def test_the_scripts_name_no_other_host(client):
    for name in OUR_SCRIPTS:
        text = (STATIC / name).read_text()
        assert not re.search(r"https?://", text), name
        assert client.get(f"/static/{name}").status_code == 200


def test_the_qr_decoder_is_vendored_with_its_licence_and_listed(client):
    scan = (STATIC / "scan.js").read_text()
    folder = re.search(r'"/static/vendor/(jsqr-[\d.]+)/jsQR.js"', scan).group(1)

    assert "Apache License" in (STATIC / "vendor" / folder / "LICENSE").read_text()
    assert f"`{folder}/`" in (STATIC / "vendor" / "README.md").read_text()
    assert client.get(f"/static/vendor/{folder}/jsQR.js").status_code == 200
    assert folder in (STATIC / "sw.js").read_text()  # kept for offline use too
