"""Regularity in Blender: a regular exemplar is synthesized on its lattice; On without a lattice is an error."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from .helpers import Scene, pixels_of

pytestmark = pytest.mark.blender


def test_a_grid_comes_out_on_its_lattice(bpy: ModuleType, scene: Scene, images_of: Callable[[], set[str]]) -> None:
    scene.ready("grid64.png", width=64, height=48)
    assert scene.settings.regularity == "auto"
    before = images_of()
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    (name,) = images_of() - before
    out = pixels_of(bpy.data.images[name]).reshape(48, 64, 4)[:, :, 0]
    # 64 x 48 holds 4 x 3 whole periods of 16 px: nothing is resampled, every joint is a copied joint, and
    # each joint column and row is dark along its whole length (the grid is straight and continuous).
    dark = out < 0.3  # joints 40/255, tiles about 180/255 (the 8-bit sRGB values as stored)
    assert dark.all(axis=0).sum() == 8 and dark.all(axis=1).sum() == 6
    assert np.array_equal(np.flatnonzero(dark.all(axis=0)) % 16, np.tile(np.flatnonzero(dark.all(axis=0))[:2] % 16, 4))


def test_regularity_on_without_a_lattice_is_refused(bpy: ModuleType, scene: Scene) -> None:
    scene.ready("bark64.png")
    scene.settings.regularity = "on"
    before = sorted(im.name for im in bpy.data.images)
    with pytest.raises(RuntimeError, match="regularity is 'on' but the exemplar shows no lattice"):
        bpy.ops.gass.synthesize()
    assert sorted(im.name for im in bpy.data.images) == before
