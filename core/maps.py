"""Aligned PBR map sets: the maps of one material synthesized as one image.

A :class:`MapSet` is an exemplar made of several maps of one material
(colour, normal, height, roughness, metallic, ambient occlusion: any subset,
same pixel grid). The engine synthesizes them as the channels of a single
image, so every patch statistic and every nearest-patch match is taken over
all maps at once: a stone in the colour map comes with its bump in the
height map and its slope in the normal map, pixel for pixel.

Before synthesis each map is brought to the engine's working form
(:class:`MapLayout`):

* colour: RGB as stored (sRGB-encoded for byte images);
* normal: decoded from RGB (n = 2 * rgb - 1, tangent space); only x and y
  are synthesized, z = sqrt(1 - x^2 - y^2) is rebuilt at the end, so every
  output normal has unit length and faces outward. The green channel's sign
  is kept as given: an OpenGL (Blender) normal map stays OpenGL;
* height, roughness, metallic, ambient occlusion: one channel (the
  luminance, if given as colour);

and then standardized: each map's channels are centred and scaled so that
every map carries the same share of the patch vectors' variance (times its
weight), whatever its channel count or contrast, with the spread of a
typical image (standard deviation :data:`WORKING_STD`: the optimizer's step
sizes are in pixel-value units of [0, 1] images). The output undoes this and
clips each map to its exemplars' range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import InvalidExemplarError
from .exemplars import as_float_image, check_finite
from .known import LUMA
from .resample import resize


@dataclass(frozen=True)
class MapKind:
    """One kind of PBR map.

    Attributes
    ----------
    name:
        Key in a :class:`MapSet` ("color", "normal", ...).
    label:
        What Blender's Principled BSDF calls the input it feeds.
    channels:
        Channels of the output map (3 for colour and normal, else 1).
    data:
        True for data maps (stored as Non-Color, never colour managed).
    """

    name: str
    label: str
    channels: int
    data: bool


#: Every supported kind, in the order maps are stacked.
MAP_KINDS: dict[str, MapKind] = {
    kind.name: kind
    for kind in (
        MapKind("color", "Base Color", 3, False),
        MapKind("normal", "Normal", 3, True),
        MapKind("height", "Height", 1, True),
        MapKind("roughness", "Roughness", 1, True),
        MapKind("metallic", "Metallic", 1, True),
        MapKind("ao", "Ambient Occlusion", 1, True),
    )
}

_WORKING_CHANNELS = {"color": 3, "normal": 2}

#: Standard deviation of a map (all its channels together) in the working image: that of a
#: typical [0, 1] image (bark: 0.099). Measured on bark colour + normal + height at 256 px,
#: colour / height normalized distance: unit variance 4.3 / 4.6 (steps ~10x too small: noise
#: stays), 0.2: 0.73 / 0.25, 0.1: 0.72 / 0.21, 0.05: 0.90 / 0.37.
WORKING_STD = 0.1


@dataclass(frozen=True)
class MapSet:
    """The maps of one material, one exemplar of a PBR synthesis.

    Parameters
    ----------
    maps:
        Kind name -> image (H, W[, C]), float in [0, 1] or integer. All maps
        of a set share one aspect ratio; smaller ones are resampled to the
        largest. Kinds: see :data:`MAP_KINDS`.

    Examples
    --------
    >>> stone = MapSet({"color": colour, "normal": normal, "roughness": rough})
    """

    maps: Mapping[str, object] = field(default_factory=dict)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The set's kinds in stacking order."""
        return tuple(k for k in MAP_KINDS if k in self.maps)


@dataclass(frozen=True)
class MapLayout:
    """Where each map lives in the working image and in the stacked output.

    Attributes
    ----------
    kinds:
        The maps, in stacking order.
    working:
        kind -> slice of the working (synthesized) channels.
    output:
        kind -> slice of the stacked output channels.
    mean, scale:
        kind -> per-channel mean and the multiplier of the standardization
        (working = (value - mean) * scale).
    low, high:
        kind -> range the output map is clipped to.
    """

    kinds: tuple[str, ...]
    working: dict[str, slice]
    output: dict[str, slice]
    mean: dict[str, np.ndarray]
    scale: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]

    @property
    def output_channels(self) -> int:
        """Channels of the stacked output."""
        return max(s.stop for s in self.output.values())

    def encode(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Stack maps in working form ((H, W, c) each) into one standardized (H, W, C) image."""
        parts = [(values[k] - self.mean[k]) * np.float32(self.scale[k]) for k in self.kinds]
        return np.ascontiguousarray(np.concatenate(parts, axis=2).astype(np.float32))

    def decode(self, x: np.ndarray) -> np.ndarray:
        """The stacked output (H, W, output_channels) of a working image: maps in file form."""
        h, w = x.shape[:2]
        out = np.empty((h, w, self.output_channels), dtype=np.float32)
        for k in self.kinds:
            v = x[:, :, self.working[k]] / np.float32(self.scale[k]) + self.mean[k]
            if k == "normal":
                out[:, :, self.output[k]] = encode_normal(v)
            else:
                out[:, :, self.output[k]] = np.clip(v, self.low[k], self.high[k])
        return out

    def split(self, stacked: np.ndarray) -> dict[str, np.ndarray]:
        """The maps of a stacked output: kind -> (H, W, channels) float32."""
        return {k: np.ascontiguousarray(stacked[:, :, self.output[k]]) for k in self.kinds}


def decode_normal(rgb: np.ndarray) -> np.ndarray:
    """Tangent-space vectors (H, W, 3) from a normal map's RGB in [0, 1]."""
    return rgb[:, :, :3] * np.float32(2.0) - np.float32(1.0)


def encode_normal(xy: np.ndarray) -> np.ndarray:
    """A normal map's RGB in [0, 1] from (H, W, 2) x, y: unit length, z >= 0."""
    x, y = xy[:, :, 0], xy[:, :, 1]
    r2 = x * x + y * y
    shrink = np.where(r2 > 1.0, 1.0 / np.sqrt(np.maximum(r2, 1e-12)), 1.0).astype(np.float32)
    x, y = x * shrink, y * shrink
    z = np.sqrt(np.maximum(0.0, 1.0 - x * x - y * y))
    return (np.stack([x, y, z], axis=2) * np.float32(0.5) + np.float32(0.5)).astype(np.float32)


def normals_from_height(height: np.ndarray, strength: float = 1.0, *, periodic: bool = True) -> np.ndarray:
    """A normal map's RGB from a height map (H, W[, 1]), OpenGL convention (green = up).

    Central differences (wrapping around when ``periodic``), n = normalize(
    -strength * dh/dx, strength * dh/dy, 1) with rows running down the image.
    """
    h = height[:, :, 0] if height.ndim == 3 else height
    h = h.astype(np.float64)
    if periodic:
        dx = (np.roll(h, -1, axis=1) - np.roll(h, 1, axis=1)) / 2.0
        dy = (np.roll(h, -1, axis=0) - np.roll(h, 1, axis=0)) / 2.0
    else:
        dy, dx = np.gradient(h)
    # Image rows go down; OpenGL's +y (green) points up the image.
    n = np.stack([-strength * dx, strength * dy, np.ones_like(h)], axis=2)
    n /= np.linalg.norm(n, axis=2, keepdims=True)
    return (n * 0.5 + 0.5).astype(np.float32)


def smooth(image: np.ndarray, passes: int = 2) -> np.ndarray:
    """Binomial [1 2 1] / 4 blur along both axes, ``passes`` times, edges reflected; float32.

    A quick height from a colour's luminance (with :func:`normals_from_height`), for test and
    benchmark sets.
    """
    a = image.astype(np.float32)
    kernel = np.array([1, 2, 1], np.float32) / 4
    for _ in range(passes):
        for axis in (0, 1):
            pad = [(1, 1) if ax == axis else (0, 0) for ax in range(a.ndim)]
            p = np.pad(a, pad, mode="reflect")
            a = sum(kernel[i] * np.take(p, np.arange(i, i + a.shape[axis]), axis=axis) for i in range(3))
    return a.astype(np.float32)


def normal_angle_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel angle in degrees between two normal maps' (RGB in [0, 1]) vectors."""
    va, vb = decode_normal(a), decode_normal(b)
    va = va / np.maximum(np.linalg.norm(va, axis=2, keepdims=True), 1e-12)
    vb = vb / np.maximum(np.linalg.norm(vb, axis=2, keepdims=True), 1e-12)
    cos = np.clip(np.sum(va * vb, axis=2), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def _working_form(kind: str, image: np.ndarray, name: str) -> np.ndarray:
    """One map in working form: colour RGB, normal x and y, else one channel."""
    c = image.shape[2]
    if c in (2, 4):
        image, c = image[:, :, :-1], c - 1
    if kind == "color":
        return image if c == 3 else np.repeat(image, 3, axis=2)
    if kind == "normal":
        if c != 3:
            raise InvalidExemplarError(f"{name} is a grey image; a normal map has three channels (RGB)")
        n = decode_normal(image)
        length = np.linalg.norm(n, axis=2)
        if not (0.6 <= float(np.median(length)) <= 1.4) or float(np.median(n[:, :, 2])) < 0.3:
            raise InvalidExemplarError(
                f"{name} does not look like a tangent-space normal map (median length "
                f"{float(np.median(length)):.2f} and median z {float(np.median(n[:, :, 2])):.2f} after "
                "decoding 2 * rgb - 1; expected about 1 and above 0.3). Is it a height or bump map?"
            )
        return np.ascontiguousarray(n[:, :, :2] / np.maximum(length, 1e-6)[:, :, None])
    if c == 1:
        return image
    if np.all(np.abs(image[:, :, :1] - image[:, :, 1:3]) <= 1.0 / 1024):
        return np.ascontiguousarray(image[:, :, :1])
    return (image[:, :, :3] @ LUMA)[:, :, None]


def prepare_map_sets(
    sets: Sequence[MapSet],
    weights: Sequence[float],
    *,
    min_side: int,
    names: Sequence[str] | None = None,
    map_weights: Mapping[str, float] | None = None,
) -> tuple[list[np.ndarray], MapLayout]:
    """Validate map sets and stack each into one standardized working image.

    Parameters
    ----------
    sets:
        One :class:`MapSet` per exemplar; all must have the same kinds.
    weights:
        The exemplars' normalized weights (for the shared standardization).
    min_side:
        Smallest allowed side (twice the patch size).
    names:
        Exemplar names for messages.
    map_weights:
        Optional kind -> relative share of the patch statistics (default 1 each).

    Returns
    -------
    The working images (H_i, W_i, C) float32 and the :class:`MapLayout`.
    """
    kinds: tuple[str, ...] | None = None
    forms: list[dict[str, np.ndarray]] = []
    for i, s in enumerate(sets, start=1):
        label = f"exemplar {i}" if names is None or i > len(names) else f"exemplar {names[i - 1]!r}"
        if not isinstance(s, MapSet) or not s.maps:
            raise InvalidExemplarError(f"{label} is an empty map set; give at least one map")
        unknown = sorted(set(s.maps) - set(MAP_KINDS))
        if unknown:
            raise InvalidExemplarError(f"{label} has unknown map kind(s) {unknown}; allowed: {', '.join(MAP_KINDS)}")
        if kinds is None:
            kinds = s.kinds
        elif s.kinds != kinds:
            raise InvalidExemplarError(
                f"{label} has maps {list(s.kinds)} but exemplar 1 has {list(kinds)}; every set needs the same maps"
            )
        images = {k: as_float_image(s.maps[k], f"the {k} map of {label}") for k in s.kinds}
        sizes = {k: im.shape[:2] for k, im in images.items()}
        h, w = max(sizes.values(), key=lambda hw: hw[0] * hw[1])
        form: dict[str, np.ndarray] = {}
        for k, im in images.items():
            mh, mw = sizes[k]
            if abs(mw / mh - w / h) > 0.02 * (w / h):
                raise InvalidExemplarError(
                    f"the {k} map of {label} is {mw}x{mh} but its largest map is {w}x{h}; "
                    "the maps of a set must have the same aspect ratio"
                )
            if min(mh, mw) < min_side:
                raise InvalidExemplarError(
                    f"the {k} map of {label} is {mw}x{mh} pixels; at least {min_side}x{min_side} is needed"
                )
            check_finite(im, f"the {k} map of {label}")
            if (mh, mw) != (h, w):
                im = resize(im, h, w, periodic=False)
            form[k] = _working_form(k, im, f"the {k} map of {label}")
        forms.append(form)
    assert kinds is not None
    share = {k: float((map_weights or {}).get(k, 1.0)) for k in kinds}
    if any(v < 0 or not np.isfinite(v) for v in share.values()) or sum(share.values()) <= 0:
        raise InvalidExemplarError(f"map weights are {share}; each must be >= 0 and one > 0")

    working: dict[str, slice] = {}
    output: dict[str, slice] = {}
    mean: dict[str, np.ndarray] = {}
    scale: dict[str, float] = {}
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    wi = oi = 0
    for k in kinds:
        c = _WORKING_CHANNELS.get(k, 1)
        working[k] = slice(wi, wi + c)
        output[k] = slice(oi, oi + MAP_KINDS[k].channels)
        wi, oi = wi + c, oi + MAP_KINDS[k].channels
        m = sum(w * f[k].reshape(-1, c).mean(axis=0, dtype=np.float64) for w, f in zip(weights, forms))
        var = sum(w * float(np.mean((f[k].reshape(-1, c) - m) ** 2)) for w, f in zip(weights, forms))
        std = float(np.sqrt(var)) if var > 1e-12 else 1.0
        mean[k] = np.asarray(m, dtype=np.float32)
        scale[k] = float(WORKING_STD * np.sqrt(max(share[k], 1e-6) / c) / std)
        low[k] = min(0.0, float(min(f[k].min() for f in forms)))
        high[k] = max(1.0, float(max(f[k].max() for f in forms)))
    layout = MapLayout(kinds, working, output, mean, scale, low, high)
    return [layout.encode(f) for f in forms], layout
