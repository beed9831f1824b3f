"""PBR map sets: joint synthesis, aligned maps, unit normals, clear errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import load_exemplar
from core import InvalidExemplarError, SynthesisConfig, Synthesizer
from core.maps import LUMA, MapSet, decode_normal, normal_angle_error, normals_from_height, prepare_map_sets
from core.synth import synthesize_maps

TINY = SynthesisConfig.preset(
    "draft", width=48, height=48, patch_size=5, coarsest_size=16, iterations_coarse=40, iterations_fine=10
)
STRENGTH = 8.0


def blur(image: np.ndarray, passes: int = 2) -> np.ndarray:
    """Binomial [1 2 1] / 4 blur along both axes, ``passes`` times, edges reflected."""
    a = image.astype(np.float32)
    k = np.array([1, 2, 1], np.float32) / 4
    for _ in range(passes):
        for axis in (0, 1):
            pad = [(1, 1) if ax == axis else (0, 0) for ax in range(a.ndim)]
            p = np.pad(a, pad, mode="reflect")
            a = sum(k[i] * np.take(p, np.arange(i, i + a.shape[axis]), axis=axis) for i in range(3))
    return a.astype(np.float32)


@pytest.fixture(scope="module")
def gravel_height() -> np.ndarray:
    """A 64 px crop of the full-size gravel, smoothed: (64, 64, 1) heights in [0, 1]."""
    return blur(load_exemplar("gravel_gray", grey=True)[:64, :64])


@pytest.fixture(scope="module")
def stone_set(gravel_height: np.ndarray) -> MapSet:
    """Bark colour (8-bit), gravel height, its normal (8-bit), roughness (grey stored as RGB)."""
    colour = np.round(load_exemplar("bark", 64) * 255).astype(np.uint8)
    normal = np.round(normals_from_height(gravel_height, STRENGTH, periodic=False) * 255).astype(np.uint8)
    rough = np.repeat(0.3 + 0.5 * gravel_height, 3, axis=2)
    return MapSet({"color": colour, "normal": normal, "height": gravel_height, "roughness": rough})


def _unit_error(normal_rgb: np.ndarray) -> float:
    return float(np.abs(np.linalg.norm(decode_normal(normal_rgb), axis=2) - 1.0).max())


def test_joint_synthesis_gives_every_map(stone_set: MapSet) -> None:
    maps = synthesize_maps([stone_set], config=TINY, seed=0)
    assert list(maps) == ["color", "normal", "height", "roughness"]
    shapes = {k: v.shape for k, v in maps.items()}
    assert shapes == {"color": (48, 48, 3), "normal": (48, 48, 3), "height": (48, 48, 1), "roughness": (48, 48, 1)}
    for kind, image in maps.items():
        assert image.dtype == np.float32, kind
        assert np.all(np.isfinite(image)), kind
        assert image.min() >= 0.0 and image.max() <= 1.0, kind
        assert image.std() > 0.01, kind  # texture, not a constant
    # The synthesized maps follow their exemplars' value distributions.
    assert abs(float(maps["roughness"].mean()) - float(0.3 + 0.5 * stone_set.maps["height"].mean())) < 0.05


def test_normals_are_unit_length_and_face_out(stone_set: MapSet) -> None:
    normal = synthesize_maps([stone_set], config=TINY, seed=1)["normal"]
    assert _unit_error(normal) < 1e-3
    assert decode_normal(normal)[:, :, 2].min() >= 0.0
    assert _unit_error(stone_set.maps["normal"] / np.float32(255)) > 1e-3  # the 8-bit exemplar is not exactly unit


def test_normal_follows_the_height_it_was_made_from(gravel_height: np.ndarray) -> None:
    normal = normals_from_height(gravel_height, STRENGTH, periodic=False)
    assert normal_angle_error(normal, normals_from_height(gravel_height, STRENGTH, periodic=False)).max() < 0.05
    for seed in (0, 1):
        maps = synthesize_maps([MapSet({"height": gravel_height, "normal": normal})], config=TINY, seed=seed)
        height = maps["height"]
        aligned = float(normal_angle_error(maps["normal"], normals_from_height(height, STRENGTH)).mean())
        shifted = normals_from_height(np.roll(height, (3, 3), axis=(0, 1)), STRENGTH)
        misaligned = float(normal_angle_error(maps["normal"], shifted).mean())
        # Measured over seeds, crops, blurs and strengths: aligned / misaligned is 0.37 to 0.46
        # (at strength 8: about 10 degrees against 26).
        assert aligned < 0.6 * misaligned, (aligned, misaligned)


def test_colour_and_height_stay_in_register() -> None:
    colour = load_exemplar("bark", 64)
    height = (colour @ LUMA)[:, :, None]
    maps = synthesize_maps([MapSet({"color": colour, "height": height})], config=TINY, seed=0)
    luma = maps["color"] @ LUMA
    height = maps["height"][:, :, 0]
    aligned = np.corrcoef(luma.ravel(), height.ravel())[0, 1]
    rolled = np.corrcoef(np.roll(luma, (3, 3), axis=(0, 1)).ravel(), height.ravel())[0, 1]
    # Measured over seeds 0-5: aligned 0.94 to 0.96, rolled -0.01 to 0.08 (1 in the exemplar).
    assert aligned > 0.85 and aligned > rolled + 0.5, (aligned, rolled)


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


def test_data_maps_keep_their_own_range() -> None:
    grey = load_exemplar("gravel_gray", 64, grey=True)
    height = ((grey - grey.min()) / (grey.max() - grey.min()) * 2.5 - 0.5).astype(np.float32)  # -0.5 to 2
    metallic = np.where(load_exemplar("gravel_gray", 64, grey=True) > 0.5, 1.0, 0.0).astype(np.float32)
    maps = synthesize_maps([MapSet({"height": height, "metallic": metallic})], config=TINY, seed=0)
    assert maps["height"].min() >= height.min() and maps["height"].max() <= height.max()
    assert maps["height"].max() > 1.0 and maps["height"].min() < 0.0  # not squeezed into [0, 1]
    assert maps["metallic"].min() >= 0.0 and maps["metallic"].max() <= 1.0


def test_maps_of_different_sizes_are_resampled(gravel_height: np.ndarray) -> None:
    colour = load_exemplar("bark", 96)
    rough = gravel_height[::2, ::2]  # 32x32: resampled to the set's largest, 96x96
    synth = Synthesizer([MapSet({"color": colour, "roughness": rough})], config=TINY, seed=0)
    assert synth.prepared.images[0].shape == (96, 96, 4)
    synth.run()
    maps = synth.result_maps()
    assert maps["color"].shape == (48, 48, 3) and maps["roughness"].shape == (48, 48, 1)


def test_two_sets_blend_by_weight(gravel_height: np.ndarray) -> None:
    colour = load_exemplar("bark", 64)
    dark = MapSet({"color": colour * 0.3, "height": gravel_height})
    light = MapSet({"color": 0.7 + colour * 0.3, "height": gravel_height})
    means = [
        float(synthesize_maps([dark, light], w, config=TINY, seed=0)["color"].mean())
        for w in ([1.0, 0.0], [1.0, 1.0], [0.0, 1.0])
    ]
    assert means[0] < means[1] < means[2]


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
