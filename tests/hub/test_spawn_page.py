"""The spawn page: the form JupyterHub shows, and spawn links (GET /hub/spawn?profile=...)."""

from __future__ import annotations

import json
import re

import pytest

from fpga_spawner.refusals import SpawnNeedsClick, UserOptionsRefused
from fpga_spawner.render import load_config, make_spawner
from tests.support.spawner import catalog_config

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
HOSTILE_BOARD = {
    "slug": "u250",
    "display_name": "Alveo <U250> & co",
    "description": "<script>alert('board')</script>",
    "plugin": "amd",
    "resource": U250,
    "max_per_user": 2,
}
ADMIN_PROFILE = {"display_name": "CPU", "slug": "cpu", "description": "<b>no FPGA</b>"}


@pytest.fixture
def example(repo_root):
    return load_config(repo_root / "examples" / "jupyterhub_config.py")


async def form_of(spawner) -> str:
    return await spawner.get_options_form()  # what JupyterHub's spawn page calls


def checked_profile(html: str) -> list[str]:
    return re.findall(r'<input type="radio"[^>]*value="([^"]+)"\s*checked', html, re.S)


async def test_catalog_text_is_escaped_in_kubespawners_form():
    config = catalog_config(boards=[HOSTILE_BOARD])
    config.KubeSpawner.profile_list = [ADMIN_PROFILE]
    html = await form_of(make_spawner(config, "alice"))
    assert "Alveo &lt;U250&gt; &amp; co" in html
    assert "&lt;script&gt;alert(&#x27;board&#x27;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<U250>" not in html
    # the admin's own profile is kubespawner's business: its HTML stays HTML
    assert "<b>no FPGA</b>" in html


async def test_a_template_of_its_own_gets_the_text_as_is(tmp_path):
    """jupyterhub-fancy-profiles' form.html passes the list to JavaScript, which shows text."""
    (tmp_path / "form.html").write_text("{{ profile_list|tojson }}")
    config = catalog_config(boards=[HOSTILE_BOARD])
    config.KubeSpawner.additional_profile_form_template_paths = [str(tmp_path)]
    profiles = json.loads(await form_of(make_spawner(config, "alice")))
    assert profiles[0]["display_name"] == "Alveo <U250> & co"


async def test_a_spawn_link_for_an_fpga_opens_the_form_pre_filled(example):
    spawner = make_spawner(example, "alice")
    query = {"profile": ["u250"], "profile-option-u250--count": ["2"]}
    with pytest.raises(SpawnNeedsClick) as info:
        await spawner.options_from_query(query)
    # what JupyterHub shows above the form
    assert "holds an FPGA (AMD Alveo U250)" in info.value.jupyterhub_message
    html = await form_of(spawner)
    assert checked_profile(html) == ["u250"]
    u250_count = html.split('name="profile-option-u250--count"')[1].split("</select>")[0]
    assert re.search(r'<option value="2"\s*selected>', u250_count)
    # the pre-fill is for this page only
    assert checked_profile(await form_of(spawner)) == ["cpu"]


async def test_an_fpga_option_or_default_profile_also_needs_the_click(example):
    spawner = make_spawner(example, "alice")
    for query in ({"profile": ["u250-vision"]}, {"profile": ["accel-vision-stereo-bm"]}):
        with pytest.raises(SpawnNeedsClick):
            await spawner.options_from_query(query)
    example.KubeSpawner.profile_list = []  # the first board becomes the default profile
    spawner = make_spawner(example, "alice")
    with pytest.raises(SpawnNeedsClick):
        await spawner.options_from_query({"unrelated": ["x"]})


async def test_a_spawn_link_without_an_fpga_starts_at_once(example):
    spawner = make_spawner(example, "alice")
    assert await spawner.options_from_query({"profile": ["cpu"]}) == {"profile": "cpu"}


async def test_a_bad_spawn_link_is_a_400(example):
    spawner = make_spawner(example, "alice")
    with pytest.raises(UserOptionsRefused) as info:
        await spawner.options_from_query({"profile": ["u250"], "profile-option-u250--count": ["9"]})
    assert info.value.status_code == 400 and "Allowed: 1, 2" in str(info.value)
