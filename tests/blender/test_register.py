"""Registration: operator ids, panels, preferences, disable and enable again."""

from __future__ import annotations

from types import ModuleType

import pytest

pytestmark = pytest.mark.blender

OPERATORS = {
    "gass.synthesize",
    "gass.cancel",
    "gass.exemplar_add",
    "gass.exemplar_remove",
    "gass.exemplar_add_active",
    "gass.synthesize_pbr",
    "gass.make_tileable",
    "gass.fill",
    "gass.equalize_lighting",
    "gass.maps_from_material",
    "gass.map_add",
    "gass.map_remove",
    "gass.source_from_active",
}


def registered_operators(bpy: ModuleType) -> set[str]:
    return {f"gass.{name}" for name in dir(bpy.ops.gass) if hasattr(bpy.types, f"GASS_OT_{name}")}


def test_operator_ids(bpy: ModuleType, gass: ModuleType) -> None:
    assert registered_operators(bpy) == OPERATORS
    operator_classes = [cls for cls in gass.classes if issubclass(cls, bpy.types.Operator)]
    assert {cls.bl_idname for cls in operator_classes} == OPERATORS
    assert all(cls.bl_idname.count(".") == 1 and cls.__doc__ for cls in operator_classes)  # id and tooltip


def test_panels_in_shader_and_image_editor(bpy: ModuleType, gass: ModuleType) -> None:
    main, image = bpy.types.GASS_PT_main, bpy.types.GASS_PT_main_image
    assert (main.bl_space_type, main.bl_region_type, main.bl_category) == ("NODE_EDITOR", "UI", "GASS")
    assert (image.bl_space_type, image.bl_region_type, image.bl_category) == ("IMAGE_EDITOR", "UI", "GASS")


def test_preferences_use_the_package_name(bpy: ModuleType, addon_name: str, gass: ModuleType) -> None:
    assert gass.preferences.GASS_AP_preferences.bl_idname == addon_name
    prefs = bpy.context.preferences.addons[addon_name].preferences
    assert prefs.memory_budget_mb == 8192 and prefs.preview_interval > 0


def test_scene_settings_defaults(bpy: ModuleType, gass: ModuleType, scene: object) -> None:
    s = bpy.context.scene.gass
    defaults = gass.core.SynthesisConfig()
    assert (s.width, s.height, s.seed, s.quality) == (defaults.width, defaults.height, 0, "standard")
    assert s.job_kind == "new" and s.border == pytest.approx(gass.core.config.DEFAULT_BORDER)
    assert len(s.exemplars) == 0


def test_every_job_has_a_tab_and_an_operator(bpy: ModuleType, gass: ModuleType, scene: object) -> None:
    s = bpy.context.scene.gass
    kinds = tuple(item.identifier for item in s.bl_rna.properties["job_kind"].enum_items)
    assert kinds == gass.core.job.JOB_KINDS and "equalize" in kinds
    assert set(gass.panel._OPERATORS) == set(kinds)
    assert {op for op, _ in gass.panel._OPERATORS.values()} <= OPERATORS
    assert gass.panel._OPERATORS["equalize"][0] == "gass.equalize_lighting"
    scale = s.bl_rna.properties["equalize_scale"]
    assert s.equalize_scale == pytest.approx(gass.core.equalize.DEFAULT_SCALE)
    assert (scale.hard_min, scale.hard_max) == pytest.approx(gass.core.equalize.SCALE_RANGE)
    try:
        s.job_kind, s.equalize = "equalize", True
        assert s.job_kind == "equalize"
        assert not s.job_settings().equalize  # the job itself: its input is not equalized first as well
    finally:
        s.job_kind, s.equalize = "new", False


def test_settings_become_one_engine_config(bpy: ModuleType, scene: object) -> None:
    s = bpy.context.scene.gass
    s.width, s.height, s.quality, s.regularity = 640, 320, "draft", "off"
    assert s.detail == "exemplar" and s.job_settings().config().detail == "exemplar"
    s.detail = "ascent"
    try:
        assert not s.job_settings().equalize
        s.equalize = True
        assert s.job_settings().equalize
        s.job_kind = "fill"
        assert not s.job_settings().equalize  # fill keeps its pixels: never equalized
        s.job_kind = "new"
        s.equalize = False
        config = s.job_settings(memory_budget_mb=2048).config()
        assert (config.width, config.height, config.memory_budget_mb) == (640, 320, 2048)
        assert config.regularity == "off" and config.detail == "ascent"
        assert config.iterations_fine < 40  # the draft preset, not the standard one
    finally:
        s.property_unset("width")
        s.property_unset("height")
        s.quality, s.regularity, s.detail = "standard", "auto", "exemplar"


def test_cli_command_registered(gass: ModuleType) -> None:
    assert gass.cli._handle is not None


def test_disable_then_enable_again(bpy: ModuleType, addon_name: str, gass: ModuleType) -> None:
    bpy.ops.preferences.addon_disable(module=addon_name)
    try:
        assert not hasattr(bpy.types.Scene, "gass")
        assert not hasattr(bpy.types, "GASS_OT_synthesize")
        assert not hasattr(bpy.types, "GASS_PT_main")
        assert gass.cli._handle is None
        assert gass._abort_before_load not in bpy.app.handlers.load_pre
    finally:
        bpy.ops.preferences.addon_enable(module=addon_name)
    assert hasattr(bpy.types.Scene, "gass")
    assert registered_operators(bpy) == OPERATORS
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.context.scene.gass.width == gass.core.SynthesisConfig.width
