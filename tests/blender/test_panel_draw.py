"""The panel draws every tab: each property it shows exists, each button is a registered operator.

Blender draws panels only with a window, so ``draw`` runs here against a recording stand-in for the
layout (the same calls a real layout gets); a misspelt property or operator fails as it would on
screen, where Blender only prints it to the console.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from .helpers import Scene

pytestmark = pytest.mark.blender


class Layout:
    """Records what the panel draws and checks each property and operator as Blender would."""

    def __init__(self, bpy: ModuleType, drawn: list[str]) -> None:
        self.bpy = bpy
        self.drawn = drawn
        self.enabled = self.alert = True
        self.ui_units_x = 0.0

    def _child(self, *args: Any, **kwargs: Any) -> Layout:
        return Layout(self.bpy, self.drawn)

    row = column = box = split = _child

    def prop(self, data: Any, name: str, **kwargs: Any) -> None:
        assert name in data.bl_rna.properties, f"panel draws {name!r}, which {data!r} does not have"
        self.drawn.append(f"prop {name}")

    def operator(self, idname: str, **kwargs: Any) -> None:
        group, name = idname.split(".")
        assert hasattr(getattr(self.bpy.ops, group), name), f"panel shows unknown operator {idname}"
        self.drawn.append(f"operator {idname}")

    def label(self, **kwargs: Any) -> None:
        self.drawn.append("label")

    def template_list(
        self, list_type: str, list_id: str, data: Any, name: str, active: Any, active_name: str, **kw: Any
    ) -> None:
        assert name in data.bl_rna.properties and active_name in active.bl_rna.properties
        assert hasattr(self.bpy.types, list_type), list_type
        self.drawn.append(f"list {name}")

    def progress(self, **kwargs: Any) -> None:
        self.drawn.append("progress")


@pytest.mark.parametrize("kind", ["new", "pbr", "tile", "fill", "equalize"])
def test_every_tab_draws(bpy: ModuleType, gass: ModuleType, scene: Scene, kind: str) -> None:
    scene.plane()
    s = scene.settings
    s.job_kind = kind
    drawn: list[str] = []
    panel = type("Panel", (), {"layout": Layout(bpy, drawn)})()
    try:
        gass.panel.GASS_PT_main_base.draw(panel, bpy.context)  # type: ignore[arg-type]
        if kind in ("new", "pbr", "tile"):
            s.equalize = True  # the scale appears with the checkbox
            gass.panel.GASS_PT_main_base.draw(panel, bpy.context)  # type: ignore[arg-type]
    finally:
        s.property_unset("job_kind")
        s.property_unset("equalize")
    expected = {
        "new": ["operator gass.synthesize", "prop regularity", "prop detail", "prop seed", "list exemplars"],
        "pbr": ["operator gass.synthesize_pbr", "prop regularity", "prop detail", "list maps"],
        "tile": ["operator gass.make_tileable", "prop border", "prop equalize_scale"],
        "fill": ["operator gass.fill", "prop mask", "prop seed"],
        "equalize": ["operator gass.equalize_lighting", "prop equalize_scale", "prop source"],
    }[kind]
    assert all(item in drawn for item in expected), (kind, drawn)
    if kind in ("tile", "equalize"):  # no randomness and no presets there
        assert "prop seed" not in drawn and "prop quality" not in drawn and "prop regularity" not in drawn
        assert "prop detail" not in drawn
