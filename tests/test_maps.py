"""PBR map sets: joint synthesis, aligned maps, unit normals, clear errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import load_exemplar
from core import InvalidExemplarError, SynthesisConfig, Synthesizer
from core.maps import (
    LUMA,
    MapSet,
    decode_normal,
    normal_angle_error,
    normals_from_height,
    prepare_map_sets,
    smooth,
)
from core.resample import nearest
from core.synth import synthesize_maps
from seeded import seeded

TINY = SynthesisConfig.preset(
    "draft", width=48, height=48, patch_size=5, coarsest_size=16, iterations_coarse=40, iterations_fine=10
)
STRENGTH = 8.0


def _gravel_height() -> np.ndarray:
    """A 64 px crop of the full-size gravel, smoothed: (64, 64, 1) heights in [0, 1]."""
    return smooth(load_exemplar("gravel_gray", grey=True)[:64, :64])


def _stone_set() -> MapSet:
    """Bark colour (8-bit), gravel height, its normal (8-bit), roughness (grey stored as RGB)."""
    height = _gravel_height()
    colour = np.round(load_exemplar("bark", 64) * 255).astype(np.uint8)
    normal = np.round(normals_from_height(height, STRENGTH, periodic=False) * 255).astype(np.uint8)
    rough = np.repeat(0.3 + 0.5 * height, 3, axis=2)
    return MapSet({"color": colour, "normal": normal, "height": height, "roughness": rough})


@pytest.fixture(scope="module")
def gravel_height() -> np.ndarray:
    return _gravel_height()


@pytest.fixture(scope="module")
def stone_set() -> MapSet:
    return _stone_set()


def _unit_error(normal_rgb: np.ndarray) -> float:
    return float(np.abs(np.linalg.norm(decode_normal(normal_rgb), axis=2) - 1.0).max())


@seeded(least_spread=(">", 0.01), roughness_mean_error=("<", 0.05))
def joint_maps(seed: int) -> dict[str, float]:
    """The smallest spread of any synthesized map, and the roughness mean against the exemplar's."""
    stone_set = _stone_set()
    maps = synthesize_maps([stone_set], config=TINY, seed=seed)
    expected = float(0.3 + 0.5 * stone_set.maps["height"].mean())
    return {
        "least_spread": min(float(image.std()) for image in maps.values()),
        "roughness_mean_error": abs(float(maps["roughness"].mean()) - expected),
    }


def test_joint_synthesis_gives_every_map(stone_set: MapSet) -> None:
    maps = synthesize_maps([stone_set], config=TINY, seed=0)
    assert list(maps) == ["color", "normal", "height", "roughness"]
    shapes = {k: v.shape for k, v in maps.items()}
    assert shapes == {"color": (48, 48, 3), "normal": (48, 48, 3), "height": (48, 48, 1), "roughness": (48, 48, 1)}
    for kind, image in maps.items():
        assert image.dtype == np.float32, kind
        assert np.all(np.isfinite(image)), kind
        assert image.min() >= 0.0 and image.max() <= 1.0, kind
    # Texture, not a constant, following the exemplars' value distributions.
    joint_maps.assert_holds(0)


def test_normals_are_unit_length_and_face_out(stone_set: MapSet) -> None:
    normal = synthesize_maps([stone_set], config=TINY, seed=1)["normal"]
    assert _unit_error(normal) < 1e-3
    assert decode_normal(normal)[:, :, 2].min() >= 0.0
    assert _unit_error(stone_set.maps["normal"] / np.float32(255)) > 1e-3  # the 8-bit exemplar is not exactly unit


@seeded(aligned_over_misaligned=("<", 0.6))
def normal_against_height(seed: int) -> dict[str, float]:
    """Mean angle between the output normal and the normals of the output height, over the same with the
    height shifted 3 px (at strength 8: about 10 degrees against 26)."""
    height = _gravel_height()
    normal = normals_from_height(height, STRENGTH, periodic=False)
    maps = synthesize_maps([MapSet({"height": height, "normal": normal})], config=TINY, seed=seed)
    aligned = float(normal_angle_error(maps["normal"], normals_from_height(maps["height"], STRENGTH)).mean())
    shifted = normals_from_height(np.roll(maps["height"], (3, 3), axis=(0, 1)), STRENGTH)
    return {"aligned_over_misaligned": aligned / float(normal_angle_error(maps["normal"], shifted).mean())}


def test_normal_follows_the_height_it_was_made_from(gravel_height: np.ndarray) -> None:
    normal = normals_from_height(gravel_height, STRENGTH, periodic=False)
    assert normal_angle_error(normal, normals_from_height(gravel_height, STRENGTH, periodic=False)).max() < 0.05
    for seed in (0, 1):
        normal_against_height.assert_holds(seed)


@seeded(aligned=(">", 0.85), aligned_minus_rolled=(">", 0.5))
def colour_against_height(seed: int) -> dict[str, float]:
    """Correlation of the output colour's luminance with the output height (1 in the exemplar), and the
    same with the colour shifted 3 px."""
    colour = load_exemplar("bark", 64)
    height = (colour @ LUMA)[:, :, None]
    maps = synthesize_maps([MapSet({"color": colour, "height": height})], config=TINY, seed=seed)
    luma = maps["color"] @ LUMA
    out_height = maps["height"][:, :, 0]
    aligned = float(np.corrcoef(luma.ravel(), out_height.ravel())[0, 1])
    rolled = float(np.corrcoef(np.roll(luma, (3, 3), axis=(0, 1)).ravel(), out_height.ravel())[0, 1])
    return {"aligned": aligned, "aligned_minus_rolled": aligned - rolled}


def test_colour_and_height_stay_in_register() -> None:
    colour_against_height.assert_holds(0)


def test_grey_maps_become_one_channel_and_colour_stays_rgb(gravel_height: np.ndarray) -> None:
    grey_rgb = np.repeat(gravel_height, 3, axis=2)
    tinted = np.concatenate([gravel_height, gravel_height * 0.5, gravel_height * 0.2], axis=2)
    colour_from_grey = gravel_height[:, :, 0]  # (H, W): a grey colour map
    synth = Synthesizer(
        [MapSet({"color": colour_from_grey, "height": grey_rgb, "roughness": tinted, "ao": grey_rgb})],
        config=TINY,
        seed=0,
    )
    layout = synth.prepared.layout
    assert layout is not None
    assert {k: (s.stop - s.start) for k, s in layout.working.items()} == {
        "color": 3,
        "height": 1,
        "roughness": 1,
        "ao": 1,
    }
    assert synth.prepared.images[0].shape == (64, 64, 6)
    synth.run()
    maps = synth.result_maps()
    assert maps["color"].shape == (48, 48, 3)
    assert maps["height"].shape == maps["roughness"].shape == maps["ao"].shape == (48, 48, 1)
    # A coloured data map becomes its luminance, a grey one its grey value.
    luma = float(np.array([1.0, 0.5, 0.2], np.float32) @ LUMA)
    assert float(layout.mean["roughness"][0]) == pytest.approx(luma * float(gravel_height.mean()), rel=1e-4)
    assert float(layout.mean["height"][0]) == pytest.approx(float(gravel_height.mean()), rel=1e-4)


def _wide_height() -> np.ndarray:
    """Gravel as heights from -0.5 to 2 (data maps are not clipped to [0, 1])."""
    grey = load_exemplar("gravel_gray", 64, grey=True)
    return ((grey - grey.min()) / (grey.max() - grey.min()) * 2.5 - 0.5).astype(np.float32)


@seeded(outside_01=(">", 0.1))
def data_map_range(seed: int) -> dict[str, float]:
    """Fraction of output heights outside [0, 1] for an exemplar with heights from -0.5 to 2."""
    height = _wide_height()
    metallic = np.where(load_exemplar("gravel_gray", 64, grey=True) > 0.5, 1.0, 0.0).astype(np.float32)
    maps = synthesize_maps([MapSet({"height": height, "metallic": metallic})], config=TINY, seed=seed)
    assert maps["height"].min() >= height.min() and maps["height"].max() <= height.max()
    assert maps["metallic"].min() >= 0.0 and maps["metallic"].max() <= 1.0
    return {"outside_01": float(np.mean((maps["height"] < 0.0) | (maps["height"] > 1.0)))}


def test_data_maps_keep_their_own_range() -> None:
    height = _wide_height()
    assert np.mean((height < 0.0) | (height > 1.0)) > 0.2  # the exemplar's own share outside [0, 1]
    data_map_range.assert_holds(0)  # not squeezed into [0, 1]


def test_maps_of_different_sizes_are_resampled(gravel_height: np.ndarray) -> None:
    colour = load_exemplar("bark", 96)
    rough = gravel_height[::2, ::2]  # 32x32: resampled to the set's largest, 96x96
    synth = Synthesizer([MapSet({"color": colour, "roughness": rough})], config=TINY, seed=0)
    assert synth.prepared.images[0].shape == (96, 96, 4)
    synth.run()
    maps = synth.result_maps()
    assert maps["color"].shape == (48, 48, 3) and maps["roughness"].shape == (48, 48, 1)


@seeded(order=(">", 0.0))
def map_set_blend(seed: int) -> dict[str, float]:
    """Colour means of dark-only, equal and light-only blends of two sets: the smaller step between them."""
    colour = load_exemplar("bark", 64)
    dark = MapSet({"color": colour * 0.3, "height": _gravel_height()})
    light = MapSet({"color": 0.7 + colour * 0.3, "height": _gravel_height()})
    means = [
        float(synthesize_maps([dark, light], weights=w, config=TINY, seed=seed)["color"].mean())
        for w in ([1.0, 0.0], [1.0, 1.0], [0.0, 1.0])
    ]
    return {"order": min(means[1] - means[0], means[2] - means[1])}


def test_two_sets_blend_by_weight() -> None:
    map_set_blend.assert_holds(0)


def test_same_seed_same_maps(stone_set: MapSet) -> None:
    config = dataclasses.replace(TINY, width=32, height=32)
    a = synthesize_maps([stone_set], config=config, seed=2)
    b = synthesize_maps([stone_set], config=config, seed=2)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_progress_preview_has_the_stacked_channels(stone_set: MapSet) -> None:
    synth = Synthesizer([stone_set], config=TINY, seed=0)
    assert synth.preview().shape == (48, 48, 8)
    fractions = []
    for progress in synth.steps():
        fractions.append(progress.fraction)
        if progress.iteration == 1:
            preview = progress.preview()
            assert preview.shape == (48, 48, 8)
            assert _unit_error(preview[:, :, 3:6]) < 1e-3
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_the_fast_preview_decodes_before_enlarging(stone_set: MapSet) -> None:
    # Decoding (normal maps made unit, maps clipped) is per pixel, so the nearest-neighbour preview
    # decodes the small working image and then enlarges: the same as enlarging and then decoding.
    synth = Synthesizer([stone_set], config=TINY, seed=0)
    checked = 0
    for progress in synth.steps():
        x = synth._x
        if progress.iteration == 1 and x is not None and x.shape[:2] != (48, 48):
            fast = progress.preview(smooth=False)
            assert fast.flags.c_contiguous
            np.testing.assert_array_equal(fast, synth.prepared.to_output(nearest(x, 48, 48)))
            assert _unit_error(fast[:, :, 3:6]) < 1e-3
            checked += 1
    assert checked > 0


def test_plain_runs_have_no_maps(bark64: np.ndarray) -> None:
    synth = Synthesizer([bark64], config=dataclasses.replace(TINY, width=32, height=32))
    synth.run()
    with pytest.raises(RuntimeError, match="no map sets"):
        synth.result_maps()


# --- errors -----------------------------------------------------------------------------------

RNG = np.random.default_rng(0)
COLOUR = RNG.random((32, 32, 3)).astype(np.float32)
HEIGHT = RNG.random((32, 32, 1)).astype(np.float32)
FLAT_NORMAL = np.broadcast_to(np.float32([0.5, 0.5, 1.0]), (32, 32, 3)).copy()


@pytest.mark.parametrize(
    ("exemplars", "message"),
    [
        ([MapSet({"colour": COLOUR})], r"unknown map kind\(s\) \['colour'\]; allowed: color, normal, height"),
        ([MapSet({})], "empty map set"),
        (
            [MapSet({"color": COLOUR, "height": HEIGHT}), MapSet({"color": COLOUR})],
            r"exemplar 2 has maps \['color'\] but exemplar 1 has \['color', 'height'\]",
        ),
        ([MapSet({"normal": HEIGHT})], "the normal map of exemplar 1 is a grey image; a normal map has three"),
        ([MapSet({"normal": np.full((32, 32, 3), 0.5, np.float32)})], "does not look like a tangent-space normal"),
        ([MapSet({"normal": np.repeat(HEIGHT, 3, axis=2)})], r"Is it a height or bump map\?"),
        (
            [MapSet({"color": COLOUR, "height": np.zeros((32, 16, 1), np.float32)})],
            "the height map of exemplar 1 is 16x32 but its largest map is 32x32; .* same aspect ratio",
        ),
        ([MapSet({"color": COLOUR}), COLOUR], "mix map sets and plain images"),
        ([COLOUR, MapSet({"color": COLOUR})], "mix map sets and plain images"),
        ([MapSet({"color": COLOUR[:8, :8]})], "is 8x8 pixels; at least 10x10"),
        ([MapSet({"color": COLOUR, "height": np.full((32, 32, 1), np.nan, np.float32)})], "NaN or infinite"),
    ],
)
def test_bad_map_sets(exemplars: list[object], message: str) -> None:
    with pytest.raises(InvalidExemplarError, match=message):
        Synthesizer(exemplars, config=TINY)


def test_flat_normal_is_fine_and_errors_name_the_exemplar() -> None:
    Synthesizer([MapSet({"color": COLOUR, "normal": FLAT_NORMAL})], config=TINY)
    with pytest.raises(InvalidExemplarError, match=r"the normal map of exemplar 'b\.png' is a grey image"):
        Synthesizer(
            [MapSet({"normal": FLAT_NORMAL}), MapSet({"normal": HEIGHT})], config=TINY, names=["a.png", "b.png"]
        )


def test_map_weights_must_be_sensible() -> None:
    sets = [MapSet({"color": COLOUR, "height": HEIGHT})]
    images, layout = prepare_map_sets(sets, [1.0], min_side=10, map_weights={"height": 3.0})
    assert layout.kinds == ("color", "height")
    # Each map carries its share of the variance: height three times colour (all three channels).
    working = images[0].reshape(-1, 4).astype(np.float64)
    assert working[:, 3].var() / working[:, :3].var(axis=0).sum() == pytest.approx(3.0, rel=1e-3)
    images, _ = prepare_map_sets(sets, [1.0], min_side=10)
    working = images[0].reshape(-1, 4).astype(np.float64)
    assert working[:, 3].var() / working[:, :3].var(axis=0).sum() == pytest.approx(1.0, rel=1e-3)
    for bad in ({"height": -1.0}, {"color": 0.0, "height": 0.0}, {"height": float("nan")}):
        with pytest.raises(InvalidExemplarError, match="map weights"):
            prepare_map_sets(sets, [1.0], min_side=10, map_weights=bad)
