"""Quality measurement of synthesized textures, independent of the engine's loss.

The engine minimizes a 7 x 7 sliced Wasserstein distance plus a nearest-patch
term; grading it with the same statistics would reward overfitting. These
metrics use other patch sizes (3, 5, 9, 11, 24), other projections (sparse
zero-sum ones as well as dense ones), non-linear statistics (standardized
marginal shapes, local contrast), other scales and their own random
generator, and each comes with the baselines needed to read it.

Baselines. The exemplar is cut into a 4 x 4 checkerboard: patches inside
the even squares are the *reference*, patches inside the odd squares the
*held-out* half. Both halves cover the whole exemplar, so slow changes across
it (lighting, perspective) affect them alike; the held-out half against the
reference is "the exemplar against itself". Random-phase noise of the
exemplar (:func:`random_phase_noise`, Galerne et al. 2011) has the exemplar's
mean, colours and power spectrum and nothing else: it is what a purely
second-order model would make.

* :func:`coherence`: nearest-patch distance from the output to the reference
  half over that of the held-out half (1 = as coherent as the exemplar).
* :func:`patch_distance`: a multi-scale distance between patch
  distributions in units of the held-out half's (1 = the exemplar), and
  :func:`normalized_patch_distance` on a 0 (exemplar) to 1 (noise) scale.
* :func:`verbatim_fraction`: the area covered by near-exact copies of
  exemplar patches (0 = none).
* :func:`seam_score`: how visible the wrap-around boundary is when the output
  is tiled (about 1 = seamless).
* :func:`colour_stats`: per-channel mean and standard deviation differences.
* :func:`sharpness`: the 90th percentile of the luminance gradient over the
  exemplar's (1 = as sharp; blur lowers it).
* :func:`lattice_peaks` and :func:`lattice_order`: the exemplar's lattice
  (secondary autocorrelation peaks) and how much of it the output keeps
  (1 = kept; undefined, nan, without a lattice).
* :func:`repetition`: the largest region copied from one exemplar offset
  and how often a large exemplar region appears twice (landmarks).
* :func:`evaluate`: all of the above and their baselines in one dictionary.

Measured on the bundled exemplars: random-phase noise scores 1.5 to 14 on
:func:`patch_distance` (lowest on large-featured stochastic textures: bark,
grass, onyx), the exemplar's own held-out half 1 by definition. A contiguous
piece of a non-stationary exemplar (lighting or content changing across
it) scores well above 1, sometimes as high as noise, because it lacks the
variety of the whole. No single figure is the final word on stochastic
textures: look at the images too.

Images are (H, W, C) float32 in [0, 1] (C = 1 to 4; (H, W) is read as one
channel; integer images are scaled to [0, 1]), validated as the engine
validates exemplars (:func:`core.exemplars.as_float_image`, without its size
limit); grey stored as RGB (channels within 1/1024, the engine's test
:func:`core.exemplars.is_grey`) is measured as one channel. The output is
read as interior patches only (no wrap-around), so a non-periodic crop can be
measured too; the wrap boundary is the business of :func:`seam_score`. Every
function that samples takes ``rng`` (a seed or a ``numpy.random.Generator``,
default seed 0), so the same inputs give the same figures. Nothing here
imports the synthesizer; patches, PCA, sampling, quantiles, tapers and window
sums are the engine's own helpers (:mod:`core.patches`, :mod:`core.style`,
:mod:`core.known`).

Errors are the engine's: an image that cannot be measured (type, shape,
channels, NaN, too small for a metric) raises
:class:`~core.errors.InvalidExemplarError` naming ``output`` or
``exemplar``, its size and what the metric needs; a bad parameter raises
:class:`~core.errors.InvalidConfigError` naming it. Both are
:class:`~core.errors.GassError`, a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .blas import single_threaded_blas
from .errors import InvalidConfigError, InvalidExemplarError
from .exemplars import as_float_image, check_finite, is_grey
from .known import LUMA, window_sum
from .lattice import autocorrelation, local_maxima
from .patches import exemplar_patches, pca_basis, sample_corners, sample_indices
from .style import edge_taper, quantile_table

RngLike = int | np.random.Generator | None

#: (downscale factor, patch side) pairs of :func:`coherence`.
COHERENCE_SCALES: tuple[tuple[int, int], ...] = ((1, 5), (1, 9), (2, 5), (2, 9))
#: Downscale factors of :func:`patch_distance`.
DISTANCE_FACTORS: tuple[int, ...] = (1, 2, 4)
#: Patch sides of :func:`patch_distance`.
DISTANCE_PATCH_SIZES: tuple[int, ...] = (3, 5, 11)


@dataclass(frozen=True)
class DistanceSettings:
    """What the patch distances compare (:func:`patch_distance`, :func:`normalized_patch_distance`).

    Attributes
    ----------
    factors:
        Downscale factors (default 1, 2, 4).
    sizes:
        Patch sides (default 3, 5, 11; the synthesizer itself uses 7).
    directions:
        Dense and, as many, sparse random directions per configuration (default 32).
    samples:
        Most patches drawn from each image and from each exemplar half (default 8192).
    """

    factors: tuple[int, ...] = DISTANCE_FACTORS
    sizes: tuple[int, ...] = DISTANCE_PATCH_SIZES
    directions: int = 32
    samples: int = 8192


_CHUNK_ELEMENTS = 1 << 22  # float32 elements of a temporary block (16 MiB)
_SPLIT_BLOCKS = 4  # checkerboard squares along the exemplar's short side


# --------------------------------------------------------------------------- helpers


def _image(array: object, name: str) -> np.ndarray:
    """``array`` as a C-contiguous (H, W, C) float32 image, validated as the engine validates exemplars.

    Integer images are scaled to [0, 1]; any size is accepted (outputs may be
    larger than an exemplar may). Raises :class:`InvalidExemplarError` naming
    ``name`` on a bad type, shape, channel count or non-finite values.
    """
    a = as_float_image(array, name, check_size=False)
    check_finite(a, name)
    return np.ascontiguousarray(a)


def _same_channels(output: object, exemplar: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated output and exemplar; :class:`InvalidExemplarError` unless their channel counts match."""
    out = _image(output, "output")
    ex = _image(exemplar, "exemplar")
    if out.shape[2] != ex.shape[2]:
        raise InvalidExemplarError(f"output has {out.shape[2]} channels and exemplar {ex.shape[2]}; they must match")
    return out, ex


def _pair(output: object, exemplar: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated output and exemplar with the same channels; grey-as-RGB pairs become one channel."""
    out, ex = _same_channels(output, exemplar)
    if out.shape[2] == 3 and is_grey(out) and is_grey(ex):
        out, ex = out[:, :, :1], ex[:, :, :1]
    return np.ascontiguousarray(out), np.ascontiguousarray(ex)


def _check_side(name: str, image: np.ndarray, need: int, what: str) -> None:
    h, w = image.shape[:2]
    if min(h, w) < need:
        raise InvalidExemplarError(f"{name} is {w}x{h}; {what} needs at least {need} px on each side")


def downscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Shrink an image by an integer factor, averaging ``factor x factor`` blocks.

    Parameters
    ----------
    image:
        (H, W, C) float32.
    factor:
        Integer >= 1. Rows and columns beyond a multiple of it are dropped.

    Returns
    -------
    (H // factor, W // factor, C) float32.
    """
    if factor == 1:
        return image
    h, w, c = image.shape
    h2, w2 = h // factor, w // factor
    blocks = image[: h2 * factor, : w2 * factor].reshape(h2, factor, w2, factor, c)
    return np.ascontiguousarray(blocks.mean(axis=(1, 3), dtype=np.float32))


def _halves(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(top half, bottom half) of an image."""
    mid = image.shape[0] // 2
    return image[:mid], image[mid:]


# --------------------------------------------------------------------------- random-phase noise


def periodic_component(image: np.ndarray) -> np.ndarray:
    """Periodic component of an image (Moisan 2011, periodic plus smooth decomposition).

    Removes the discontinuity between opposite borders with the smallest
    smooth correction, so that the Fourier transform of the result has no
    cross-shaped border artifact.

    Parameters
    ----------
    image:
        (H, W, C) float array.

    Returns
    -------
    (H, W, C) float64 image with the same mean, periodic in both directions.
    """
    u = np.asarray(image, dtype=np.float64)
    h, w = u.shape[:2]
    v = np.zeros_like(u)
    v[0] += u[-1] - u[0]
    v[-1] += u[0] - u[-1]
    v[:, 0] += u[:, -1] - u[:, 0]
    v[:, -1] += u[:, 0] - u[:, -1]
    cy = np.cos(2.0 * np.pi * np.arange(h) / h)[:, None]
    cx = np.cos(2.0 * np.pi * np.arange(w) / w)[None, :]
    denom = 2.0 * cy + 2.0 * cx - 4.0
    denom[0, 0] = 1.0
    spectrum = np.fft.fft2(v, axes=(0, 1)) / denom[:, :, None]
    spectrum[0, 0] = 0.0
    smooth = np.fft.ifft2(spectrum, axes=(0, 1)).real
    return u - smooth


def random_phase_noise(exemplar: object, height: int, width: int, rng: RngLike = 0) -> np.ndarray:
    """Random-phase noise of an exemplar (Galerne, Gousseau and Morel 2011).

    Keeps the exemplar's mean, colour covariance and power spectrum and
    draws every phase at random (the same random phase for all channels,
    from the Fourier transform of white noise, so the result is real). This
    is the texture a purely second-order model would make: the noise
    baseline of the other metrics.

    Parameters
    ----------
    exemplar:
        (h, w, C) float image in [0, 1].
    height, width:
        Output size, each >= 2. Where it is smaller than the exemplar, a
        centred crop of the exemplar is used; where larger, the exemplar's
        centred, zero-mean texton is padded with zeros (with a short smooth
        taper) as in Galerne et al., section 4.
    rng:
        Seed or generator of the random phase.

    Returns
    -------
    (height, width, C) float32 in [0, 1] (clipped), periodic: it tiles
    without a seam.
    """
    e = _image(exemplar, "exemplar")
    for label, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
            raise InvalidConfigError(f"{label} is {value!r}; expected a whole number >= 2")
    rng = np.random.default_rng(rng)
    h0, w0, c = e.shape
    ch, cw = min(h0, height), min(w0, width)
    y0, x0 = (h0 - ch) // 2, (w0 - cw) // 2
    p = periodic_component(e[y0 : y0 + ch, x0 : x0 + cw])
    mean = p.mean(axis=(0, 1))
    spot = (p - mean) / np.sqrt(ch * cw)  # sum of squares = the exemplar's variance
    if (ch, cw) != (height, width):
        energy = float(np.sum(spot * spot))
        spot = spot * (_taper(ch, height)[:, None, None] * _taper(cw, width)[None, :, None])
        tapered = float(np.sum(spot * spot))
        if tapered > 0:
            spot *= np.sqrt(energy / tapered)
        canvas = np.zeros((height, width, c))
        ty, tx = (height - ch) // 2, (width - cw) // 2
        canvas[ty : ty + ch, tx : tx + cw] = spot
        spot = canvas
    white = np.fft.fft2(rng.standard_normal((height, width)))
    phase = white / np.maximum(np.abs(white), 1e-300)
    del white
    out = np.empty((height, width, c), dtype=np.float32)
    for ch_i in range(c):  # one channel at a time: complex128 temporaries are 16 bytes per pixel
        noise = np.fft.ifft2(np.fft.fft2(spot[:, :, ch_i]) * phase).real
        out[:, :, ch_i] = np.clip(noise * np.sqrt(height * width) + mean[ch_i], 0.0, 1.0)
    return out


def _taper(n: int, target: int) -> np.ndarray:
    """Window of length ``n``: 1 inside, raised-cosine ends of n/16 px when padding to ``target``."""
    return np.ones(n) if n >= target else edge_taper(n, 1 / 16)


def _noise_like(height: int, width: int, exemplar: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random-phase noise with the whole exemplar's spectrum, of the given size.

    Made at the exemplar's own size and cropped when the output is smaller (a
    crop keeps the statistics of all of the exemplar, unlike noise of a crop).
    """
    h0, w0 = exemplar.shape[:2]
    noise = random_phase_noise(exemplar, max(height, h0), max(width, w0), rng)
    return np.ascontiguousarray(noise[:height, :width])


# --------------------------------------------------------------------------- exemplar split


def _split_corners(height: int, width: int, size: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat corner indices of the patches fully inside the two colours of a checkerboard.

    The exemplar is cut into ``block x block`` squares coloured like a
    checkerboard; "reference" patches lie inside the even squares and
    "held-out" patches inside the odd ones. Both halves cover the whole
    exemplar, so slow changes across it (lighting, perspective) affect them
    alike, and no pixel is in both.
    """
    rows, cols = height - size + 1, width - size + 1
    y, x = np.arange(rows), np.arange(cols)
    inside = ((y % block) + size <= block)[:, None] & ((x % block) + size <= block)[None, :]
    odd = ((y // block)[:, None] + (x // block)[None, :]) % 2 == 1
    flat = np.arange(rows * cols).reshape(rows, cols)
    return flat[inside & ~odd], flat[inside & odd]


def _block_side(exemplar: np.ndarray) -> int:
    """Side of the checkerboard squares of an exemplar: a quarter of its short side."""
    return min(exemplar.shape[:2]) // _SPLIT_BLOCKS


def _check_split(exemplar: np.ndarray, factor: int, size: int, what: str) -> None:
    if _block_side(exemplar) // factor < size + 3:
        need = _SPLIT_BLOCKS * factor * (size + 3)
        h, w = exemplar.shape[:2]
        raise InvalidExemplarError(f"exemplar is {w}x{h}; {what} needs at least {need} px on each side")


# --------------------------------------------------------------------------- coherence


def _project(image: np.ndarray, size: int, index: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """PCA features (n, q) float32 of the patches at ``index``, extracted in chunks."""
    out = np.empty((index.shape[0], basis.shape[1]), dtype=np.float32)
    step = max(1, _CHUNK_ELEMENTS // basis.shape[0])
    for s0 in range(0, index.shape[0], step):
        out[s0 : s0 + step] = (exemplar_patches(image, size, index[s0 : s0 + step]) - mean) @ basis
    return out


def _nearest(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """Index into ``database`` (N, q) of the nearest row to each of ``queries`` (n, q), brute force."""
    best = np.full(queries.shape[0], np.inf, dtype=np.float32)
    arg = np.zeros(queries.shape[0], dtype=np.int64)
    rows = np.arange(queries.shape[0])
    step = max(256, (1 << 20) // max(1, queries.shape[0]))  # keep the distance block in cache
    q2 = -2.0 * queries
    norms = np.einsum("ij,ij->i", database, database)
    for s0 in range(0, database.shape[0], step):
        d = q2 @ database[s0 : s0 + step].T
        d += norms[s0 : s0 + step]
        idx = np.argmin(d, axis=1)
        val = d[rows, idx]
        better = val < best
        best[better] = val[better]
        arg[better] = idx[better] + s0
    return arg


def coherence_distances(
    images: Sequence[np.ndarray],
    exemplar: np.ndarray,
    *,
    scales: Sequence[tuple[int, int]] = COHERENCE_SCALES,
    queries: int = 2000,
    database: int = 65536,
    components: int = 16,
    rng: RngLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean nearest-patch distances of several images and of the exemplar's held-out half.

    The exemplar is split like a checkerboard (see :func:`coherence`). The
    database is a random subset of the reference-square patches; the queries
    are random interior patches of each image and of the held-out squares
    (the baseline). Matches are searched in a PCA subspace of the database
    patches and their distance is then measured exactly.

    Parameters
    ----------
    images, exemplar:
        (H, W, C) float32 images with the exemplar's channels, and the (h, w, C) exemplar.
    scales:
        (downscale factor, patch side) pairs.
    queries:
        Random query patches per image and scale.
    database:
        Most exemplar patches searched per scale.
    components:
        PCA components of the search space.
    rng:
        Seed or generator of the query and database samples.

    Returns
    -------
    distances:
        (len(images), len(scales)) float64: mean over queries of the RMS
        difference (in pixel-value units) between a patch and its match.
    baseline:
        (len(scales),) float64: the same for the exemplar's held-out half.

    Notes
    -----
    Cost per scale: ``(len(images) + 1) * queries * database * components``
    multiply-adds; memory: ``database * components`` float32 plus one
    query block.
    """
    rng = np.random.default_rng(rng)
    distances = np.zeros((len(images), len(scales)))
    baseline = np.zeros(len(scales))
    with single_threaded_blas():
        for si, (factor, size) in enumerate(scales):
            ex = downscale(exemplar, factor)
            ref, held = _split_corners(ex.shape[0], ex.shape[1], size, _block_side(exemplar) // factor)
            db_index = sample_indices(ref, database, rng)
            mean, basis = pca_basis(exemplar_patches(ex, size, sample_indices(db_index, 4096, rng)), components)
            db = _project(ex, size, db_index, mean, basis)
            sets = [(downscale(im, factor), None) for im in images] + [(ex, held)]
            for qi, (img, allowed) in enumerate(sets):
                if allowed is None:
                    index = sample_corners(img.shape[0], img.shape[1], size, queries, rng)
                else:
                    index = sample_indices(allowed, queries, rng)
                patches = exemplar_patches(img, size, index)
                match = db_index[_nearest((patches - mean) @ basis, db)]
                diff = (patches - exemplar_patches(ex, size, match)).astype(np.float64)
                rms = np.sqrt(np.mean(diff * diff, axis=1)).mean()
                if qi < len(images):
                    distances[qi, si] = rms
                else:
                    baseline[si] = rms
    return distances, baseline


def coherence(
    output: object,
    exemplar: object,
    *,
    scales: Sequence[tuple[int, int]] = COHERENCE_SCALES,
    queries: int = 2000,
    database: int = 65536,
    rng: RngLike = 0,
) -> float:
    """Nearest-patch coherence of an output, relative to the exemplar's own.

    The exemplar is cut into a 4 x 4 checkerboard. For each (downscale
    factor, patch side) in ``scales``: the mean distance from random output
    patches to their nearest patch inside the even squares, divided by the
    same figure for patches inside the odd squares. The ratios of all scales
    are combined by their geometric mean.

    Parameters
    ----------
    output:
        (H, W, C) float32 in [0, 1]; interior patches only (no wrap-around).
    exemplar:
        (h, w, C) float32 in [0, 1], same C; at least 4 * factor * (size + 3)
        px on each side for every scale (96 px for the default scales).
    scales:
        (factor, patch side) pairs; default 5 and 9 px at full and half size.
    queries:
        Random output patches per scale (default 2000).
    database:
        Most exemplar patches searched per scale (default 65536).
    rng:
        Seed or generator (default 0: deterministic).

    Returns
    -------
    float > 0: 1.0 = as coherent as the exemplar itself; above 1 = output
    patches are farther from anything in the exemplar (noise, smeared or
    broken structures, wrong colours); below 1 = closer than the exemplar's
    own halves are to each other (copying, or over-smooth output).

    Notes
    -----
    Euclidean nearest-patch distances favour smooth patches: on stochastic
    textures that contain smooth areas (gravel, grass, clouds) a blurred
    output scores *below* 1 (measured), so read this figure together with
    :func:`normalized_patch_distance`, which does penalize blur. On
    structured textures (bricks, tiles, bark) blur and waviness score
    above 1. About 1 s per 512 px exemplar on one core: brute-force search
    in a 16-dimensional PCA space.
    """
    out, ex = _pair(output, exemplar)
    need = max(f * s for f, s in scales)
    _check_side("output", out, need, "coherence")
    for factor, size in scales:
        _check_split(ex, factor, size, "coherence")
    distances, baseline = coherence_distances([out], ex, scales=scales, queries=queries, database=database, rng=rng)
    return _geometric_ratio(distances[0], baseline)


def _geometric_ratio(values: np.ndarray, reference: np.ndarray) -> float:
    ratio = np.maximum(values, 1e-12) / np.maximum(reference, 1e-12)
    return float(np.exp(np.mean(np.log(ratio))))


# --------------------------------------------------------------------------- patch distance

#: Names of the statistics compared by :func:`patch_distance_table`, in its last axis.
DISTANCE_FAMILIES: tuple[str, ...] = ("dense shape", "sparse shape", "scale", "contrast")
_QUANTILES = 128


def _directions(dim: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """(dim, 2 * count) float32 unit directions: ``count`` dense Gaussian, then ``count`` sparse.

    A sparse direction has 2 to 4 non-zero weights summing to zero: a random
    local difference filter, whose response is heavy-tailed on real textures
    and Gaussian on random-phase noise.
    """
    dense = rng.standard_normal((dim, count))
    taps = min(4, dim)
    picks = np.argsort(rng.random((count, dim)), axis=1)[:, :taps]
    active = np.arange(taps)[None, :] < rng.integers(2, taps + 1, size=count)[:, None]
    weights = rng.standard_normal((count, taps)) * active
    weights -= active * (weights.sum(axis=1, keepdims=True) / active.sum(axis=1, keepdims=True))
    sparse = np.zeros((dim, count))
    sparse[picks.T, np.arange(count)[None, :]] = weights.T
    both = np.concatenate([dense, sparse], axis=1)
    both /= np.maximum(np.linalg.norm(both, axis=0, keepdims=True), 1e-12)
    return both.astype(np.float32)


def _channels_last(directions: np.ndarray, size: int, channels: int) -> np.ndarray:
    """Rows of (C*k*k, m) ``directions`` reordered from (channel, row, column) to patch-vector order.

    :func:`_directions` draws its weights in (channel, row, column) order;
    reordering them to the (row, column, channel) order of
    :func:`core.patches.exemplar_patches` keeps every figure what it was
    when the patches were read channel first.
    """
    m = directions.shape[1]
    grid = directions.reshape(channels, size, size, m).transpose(1, 2, 0, 3)
    return np.ascontiguousarray(grid).reshape(size * size * channels, m)


def _quantiles(values: np.ndarray) -> np.ndarray:
    """(_QUANTILES, m) float64 quantiles at evenly spaced levels of each column of (n, m) ``values``."""
    return quantile_table(values, (np.arange(_QUANTILES) + 0.5) / _QUANTILES).astype(np.float64)


def _summary(patches: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardized projection quantiles, log projection scales and local-contrast quantiles of patches."""
    q = _quantiles(patches @ directions)
    mean = q.mean(axis=0)
    scale = q.std(axis=0) + 1e-6
    centered = patches - patches.mean(axis=1, keepdims=True)
    contrast = _quantiles(np.sqrt(np.mean(centered * centered, axis=1, keepdims=True)))
    return (q - mean) / scale, np.log(scale), contrast


def _compare(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...], dense: int) -> np.ndarray:
    """Distances of the four families (see DISTANCE_FAMILIES) between two summaries."""
    shape = np.sqrt(np.mean((a[0] - b[0]) ** 2, axis=0))
    return np.array(
        [
            shape[:dense].mean(),
            shape[dense:].mean(),
            np.abs(a[1] - b[1]).mean(),
            np.sqrt(np.mean((a[2] - b[2]) ** 2)),
        ]
    )


def patch_distance_table(
    images: Sequence[np.ndarray],
    exemplar: np.ndarray,
    *,
    settings: DistanceSettings = DistanceSettings(),
    rng: RngLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Raw sliced distances of several images and of the exemplar's held-out half.

    For every (factor, patch side) configuration, patches of each image and
    of the exemplar's held-out checkerboard squares are compared with
    patches of its reference squares (see :func:`patch_distance`).

    Parameters
    ----------
    images:
        (H, W, C) float32 images with the exemplar's channels.
    exemplar:
        (h, w, C) float32.
    settings:
        :class:`DistanceSettings`: every (factor, patch side) pair is one configuration.
    rng:
        Seed or generator of the directions and samples.

    Returns
    -------
    distances:
        (len(images), configurations, 4) float64 raw distances of the
        families in :data:`DISTANCE_FAMILIES`.
    baseline:
        (configurations, 4) float64: the same for the held-out half.
    """
    rng = np.random.default_rng(rng)
    factors, directions, samples = settings.factors, settings.directions, settings.samples
    configs = [(f, k) for f in factors for k in settings.sizes]
    distances = np.zeros((len(images), len(configs), len(DISTANCE_FAMILIES)))
    baseline = np.zeros((len(configs), len(DISTANCE_FAMILIES)))
    shrunk = {f: (downscale(exemplar, f), [downscale(im, f) for im in images]) for f in factors}
    with single_threaded_blas():
        for ci, (factor, size) in enumerate(configs):
            ex, sets = shrunk[factor]
            ref, held = _split_corners(ex.shape[0], ex.shape[1], size, _block_side(exemplar) // factor)
            dirs = _channels_last(_directions(size * size * ex.shape[2], directions, rng), size, ex.shape[2])
            target = _summary(exemplar_patches(ex, size, sample_indices(ref, samples, rng)), dirs)
            for ii, img in enumerate(sets):
                index = sample_corners(img.shape[0], img.shape[1], size, samples, rng)
                distances[ii, ci] = _compare(_summary(exemplar_patches(img, size, index), dirs), target, directions)
            held_patches = exemplar_patches(ex, size, sample_indices(held, samples, rng))
            baseline[ci] = _compare(_summary(held_patches, dirs), target, directions)
    return distances, baseline


def _relative(distances: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Mean over configurations and families of distance / baseline, per image."""
    return (distances / np.maximum(baseline, 1e-12)).mean(axis=(-2, -1))


def _check_distance_sizes(out: np.ndarray, ex: np.ndarray, settings: DistanceSettings) -> None:
    need = max(f * (k + 1) for f in settings.factors for k in settings.sizes)
    _check_side("output", out, need, "patch_distance")
    for f in settings.factors:
        for k in settings.sizes:
            _check_split(ex, f, k, "patch_distance")


def patch_distance(
    output: object, exemplar: object, *, settings: DistanceSettings = DistanceSettings(), rng: RngLike = 0
) -> float:
    """Multi-scale patch-distribution distance, in units of the exemplar's own variability.

    The exemplar is cut into a 4 x 4 checkerboard: patches inside the even
    squares are the reference, patches inside the odd squares the held-out
    half. For each downscale factor (1, 2, 4) and patch side (3, 5, 11), up
    to ``samples`` random patches of the output and of the held-out half are
    compared with the reference on four statistics:

    * *dense shape* and *sparse shape*: the shape of the distribution of the
      projections on random dense directions and on random sparse zero-sum
      directions (local differences of 2 to 4 pixels): the sliced 2-Wasserstein
      distance between the standardized 1-D distributions (mean and scale
      removed). Random-phase noise matches every second-order statistic, so
      these shapes (edges, sparsity, non-Gaussian tails) are what tells it
      apart from the real texture.
    * *scale*: mean absolute difference of the log standard deviations of
      those projections (wrong contrast, blur).
    * *contrast*: 2-Wasserstein distance between the distributions of
      local contrast (RMS of the mean-removed patch), which sees blur and
      the uniform contrast of noise.

    Each figure is divided by the held-out half's figure for the same
    statistic and configuration, and the ratios are averaged.

    Parameters
    ----------
    output:
        (H, W, C) float32 in [0, 1]; interior patches only (no wrap-around).
        At least 4 * 12 = 48 px per side with the defaults; outputs of 256
        px or more give steadier figures (fewer patches, more sampling
        noise).
    exemplar:
        (h, w, C) float32 in [0, 1], same C; at least 4 * 4 * (11 + 3) = 224
        px on each side with the defaults.
    settings:
        What is compared: :class:`DistanceSettings` (downscale factors,
        patch sides, directions, samples).
    rng:
        Seed or generator of directions and samples (default 0).

    Returns
    -------
    float > 0: about 1 = as close to the exemplar as its own two halves
    (sampling noise and non-stationarity); random-phase noise scores about
    2 to 14 depending on the texture.

    See Also
    --------
    normalized_patch_distance: the same on a 0 (exemplar) to 1 (noise) scale.
    """
    out, ex = _pair(output, exemplar)
    _check_distance_sizes(out, ex, settings)
    distances, baseline = patch_distance_table([out], ex, settings=settings, rng=rng)
    return float(_relative(distances, baseline)[0])


def normalized_patch_distance(
    output: object, exemplar: object, *, settings: DistanceSettings = DistanceSettings(), rng: RngLike = 0
) -> float:
    """:func:`patch_distance` on a scale from the exemplar (0) to its random-phase noise (1).

    ``(d(output) - 1) / (d(noise) - 1)``, where d is :func:`patch_distance`
    (1 is the exemplar's held-out half against its reference half) and the
    noise is :func:`random_phase_noise` of the whole exemplar, cropped to
    the output's size, with the same directions and samples.

    Parameters
    ----------
    output, exemplar, settings, rng:
        As in :func:`patch_distance`.

    Returns
    -------
    float: 0 = as close as the exemplar to itself, 1 = no closer than
    random-phase noise, above 1 = farther (blur, wrong colours); slightly
    negative values are sampling noise. The scale is only as steady as the
    gap between its ends: where noise's :func:`patch_distance` is below
    about 2 (large-featured stochastic exemplars such as bark or grass, or
    small exemplars) a second noise image can land anywhere from 0.7 to
    1.3.
    """
    out, ex = _pair(output, exemplar)
    _check_distance_sizes(out, ex, settings)
    gen = np.random.default_rng(rng)
    noise = _noise_like(out.shape[0], out.shape[1], ex, gen)
    distances, baseline = patch_distance_table([out, noise], ex, settings=settings, rng=gen)
    d_out, d_noise = _relative(distances, baseline)
    return _normalize(float(d_out), float(d_noise))


def _normalize(value: float, noise: float) -> float:
    return (value - 1.0) / max(noise - 1.0, 1e-6)


# --------------------------------------------------------------------------- verbatim copies


@dataclass(frozen=True)
class CopyCriteria:
    """When an output patch counts as a copy of an exemplar patch (:func:`verbatim_fraction`,
    :func:`repetition`).

    Attributes
    ----------
    tolerance:
        Largest RMS difference of a copy relative to the patch's RMS contrast, 0 to 1.
    max_difference:
        Largest RMS difference of a copy in pixel-value units.
    flat_std:
        Patches with a smaller RMS contrast match almost anything and are never copies (default 0.01).
    """

    tolerance: float
    max_difference: float
    flat_std: float = 0.01

    def __post_init__(self) -> None:
        if not 0.0 <= self.tolerance <= 1.0:
            raise InvalidConfigError(f"tolerance is {self.tolerance!r}; allowed: 0 to 1")

    def copies(self, rms: np.ndarray, contrast: np.ndarray) -> np.ndarray:
        """Which patches, with these RMS differences and RMS contrasts, are copies (bool)."""
        return (contrast >= self.flat_std) & (rms <= self.tolerance * contrast) & (rms <= self.max_difference)


#: verbatim_fraction's default: a copy with noise of a fifth of its contrast (at most 8/255) still counts.
VERBATIM_COPY = CopyCriteria(tolerance=0.2, max_difference=0.03)
#: repetition's default: exact copies or nearly so (8-bit rounding; at most 2.5/255). At 0.2, 8 px patches of
#: distinct halves of bark or tiles pass as copies over 70-85 % of their area (measured).
EXACT_COPY = CopyCriteria(tolerance=0.05, max_difference=0.01)


def _box_mean(image: np.ndarray, size: int) -> np.ndarray:
    """(H - size + 1, W - size + 1, C) float32 means of every ``size x size`` window."""
    return (window_sum(image, size, periodic=False) / (size * size)).astype(np.float32)


def _block_features(means: np.ndarray, block: int, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """(n, 16 * C) means of the 4 x 4 blocks of the patches with corners (ys, xs)."""
    parts = [means[ys + i * block, xs + j * block] for i in range(4) for j in range(4)]
    return np.concatenate(parts, axis=1)


def verbatim_fraction(
    output: object,
    exemplar: object,
    *,
    patch_size: int = 24,
    criteria: CopyCriteria = VERBATIM_COPY,
    max_queries: int = 2048,
) -> float:
    """Fraction of the output covered by near-exact copies of exemplar patches.

    Output patches of ``patch_size`` on a regular grid (step ``patch_size
    // 2``, or coarser to stay within ``max_queries``) are looked up among
    every exemplar patch: the candidate is the nearest by the means of its
    4 x 4 blocks (reduced to 8 principal components, brute force), and it
    counts as a copy by ``criteria`` (the RMS difference of the whole patch
    against its RMS contrast). Flat patches would match almost anything and
    are left out.

    Parameters
    ----------
    output:
        (H, W, C) float32 in [0, 1], at least ``patch_size`` px per side;
        interior patches only.
    exemplar:
        (h, w, C) float32 in [0, 1], same C, at least ``patch_size`` px.
    patch_size:
        Side of the compared patches, 8 to 64 (default 24; at 16 px, regular
        textures such as bricks and tiles match themselves too often).
    criteria:
        What counts as a copy (default :data:`VERBATIM_COPY`).
    max_queries:
        Most output patches looked up (default 2048).

    Returns
    -------
    float in [0, 1]: copied area / area of the non-flat patches looked up
    (0.0 when every patch is flat). A crop of the exemplar scores 1; new
    texture about 0. Regular textures (bricks, tiles) repeat themselves, so
    even a different piece of the same wall scores above 0: compare with
    ``verbatim_fraction(top half, bottom half)`` of the exemplar, which
    :func:`evaluate` reports as ``verbatim_exemplar``.

    Notes
    -----
    Cost: ``queries * (h - patch_size + 1) * (w - patch_size + 1) * 8``
    multiply-adds; memory: 16 * C + 8 float32 per exemplar pixel.
    """
    out, ex = _pair(output, exemplar)
    if isinstance(patch_size, bool) or not isinstance(patch_size, int) or not 8 <= patch_size <= 64:
        raise InvalidConfigError(f"patch_size is {patch_size!r}; allowed: whole numbers 8 to 64")
    _check_side("output", out, patch_size, "verbatim_fraction")
    _check_side("exemplar", ex, patch_size, "verbatim_fraction")
    p, block = patch_size, patch_size // 4
    h, w = out.shape[:2]
    stride = max(p // 2, int(np.ceil(np.sqrt((h - p + 1) * (w - p + 1) / max_queries))))
    gy, gx = np.meshgrid(np.arange(0, h - p + 1, stride), np.arange(0, w - p + 1, stride), indexing="ij")
    windows = exemplar_patches(out, p, (gy * (w - p + 1) + gx).ravel()).reshape(gy.size, p * p, -1)
    contrast = np.sqrt(np.mean((windows - windows.mean(axis=1, keepdims=True)) ** 2, axis=(1, 2)))
    textured = contrast >= criteria.flat_std
    if not textured.any():
        return 0.0
    gy, gx, contrast = gy.ravel()[textured], gx.ravel()[textured], contrast[textured]
    query = windows[textured].reshape(gy.shape[0], -1)
    rows, cols = ex.shape[0] - p + 1, ex.shape[1] - p + 1
    ey, ex_x = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    with single_threaded_blas():
        db_feats = _block_features(_box_mean(ex, block), block, ey.ravel(), ex_x.ravel())
        mean, basis = pca_basis(db_feats[:: max(1, db_feats.shape[0] // 8192)], 8)
        db = (db_feats - mean) @ basis
        del db_feats
        q_feats = _block_features(_box_mean(out, block), block, gy, gx)
        match = _nearest((q_feats - mean) @ basis, db)
    diff = (query - exemplar_patches(ex, p, match)).astype(np.float64)
    rms = np.sqrt(np.mean(diff * diff, axis=1))
    copy = criteria.copies(rms, contrast)
    covered = np.zeros((h, w), dtype=bool)
    copied = np.zeros((h, w), dtype=bool)
    for y, x, is_copy in zip(gy, gx, copy):
        covered[y : y + p, x : x + p] = True
        if is_copy:
            copied[y : y + p, x : x + p] = True
    return float(copied.sum() / covered.sum())


# --------------------------------------------------------------------------- sharpness

#: Percentile of the luminance gradient magnitude compared by :func:`sharpness`.
SHARPNESS_PERCENTILE = 90.0


def luminance(image: np.ndarray) -> np.ndarray:
    """(H, W) float64 luminance of an (H, W, C) image.

    Rec. 709 weights of the first three channels when C >= 3 (alpha is
    ignored), the first channel otherwise (grey, grey + alpha).
    """
    if image.shape[2] >= 3:
        return image[:, :, :3].astype(np.float64) @ LUMA.astype(np.float64)
    return image[:, :, 0].astype(np.float64)


def _gradient_percentile(image: np.ndarray) -> float:
    """:data:`SHARPNESS_PERCENTILE` of the luminance gradient magnitude (central differences, interior)."""
    dy, dx = np.gradient(luminance(image))
    return float(np.percentile(np.hypot(dy[1:-1, 1:-1], dx[1:-1, 1:-1]), SHARPNESS_PERCENTILE))


def sharpness(output: object, exemplar: object) -> float:
    """How sharp an output is relative to its exemplar.

    The 90th percentile of the :func:`luminance` gradient magnitude
    (central differences, interior pixels only: no wrap-around) of the
    output divided by the exemplar's. The top decile of gradients is where
    edges and fine detail are; flat areas do not dilute it.

    Parameters
    ----------
    output:
        (H, W, C) float image in [0, 1], at least 3 px per side.
    exemplar:
        (h, w, C) float image in [0, 1], same C, at least 3 px per side.

    Returns
    -------
    float >= 0: 1 = as sharp as the exemplar; below 1 = softer, above 1 =
    harsher (noise, ringing). Measured on the bundled exemplars (512 px,
    bottom half against top half): the other half scores 0.90-1.15, a
    Gaussian blur of sigma 1 px 0.41-0.73. ``nan`` when the exemplar is
    flat (its percentile is 0).

    Notes
    -----
    Cost: a few passes over both images.
    """
    out, ex = _same_channels(output, exemplar)
    _check_side("output", out, 3, "sharpness")
    _check_side("exemplar", ex, 3, "sharpness")
    reference = _gradient_percentile(ex)
    if reference <= 0.0:
        return float("nan")
    return _gradient_percentile(out) / reference


# --------------------------------------------------------------------------- lattice order

#: Smallest lag (px) of a lattice peak; nearer lags are the central peak's slope.
LATTICE_MIN_LAG = 4
#: Smallest normalized autocorrelation of a lattice peak.
LATTICE_THRESHOLD = 0.15
#: Most lattice peaks kept (the strongest).
LATTICE_MAX_PEAKS = 8
_PEAK_RADIUS = 2  # a peak is the largest value within this many lags in each direction


def _centred(lum: np.ndarray) -> tuple[np.ndarray, float]:
    """Mean-free luminance and its variance."""
    x = lum - lum.mean()
    return x, float(np.mean(x * x))


def linear_autocorrelation(lum: np.ndarray, radius: int) -> np.ndarray:
    """Normalized linear autocorrelation of a (H, W) image for lags up to ``radius``.

    The image, mean removed, is zero-padded to (2H, 2W) so that no lag wraps
    around; each lag's sum is divided by the number of pixel pairs at that
    lag (H - |dy|) (W - |dx|) and by the variance, so a lag at which the
    image repeats exactly scores 1 however far it is.

    Parameters
    ----------
    lum:
        (H, W) float image; ``radius`` < min(H, W).
    radius:
        Largest lag along each axis.

    Returns
    -------
    (2 radius + 1, 2 radius + 1) float64, lag (dy, dx) at [radius + dy,
    radius + dx]; about -1 to 1 (1 at lag 0). All zero for a flat image.
    """
    lags = np.arange(-radius, radius + 1)
    corr = autocorrelation(lum)
    return corr[np.ix_(lags % corr.shape[0], lags % corr.shape[1])]


def periodic_autocorrelation(lum: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Normalized periodic (wrap-around) autocorrelation of a (H, W) image at ``lags``.

    ``lags``: (n, 2) int (dy, dx). Returns (n,) float64 in [-1, 1]: the
    correlation of the image with itself shifted by the lag, wrapping
    around, as a tiling texture repeats; 0 for a flat image.
    """
    x, var = _centred(lum)
    if var <= 0.0:
        return np.zeros(lags.shape[0])
    spectrum = np.fft.rfft2(x)
    raw = np.fft.irfft2(spectrum * np.conj(spectrum), s=x.shape)
    return raw[lags[:, 0] % x.shape[0], lags[:, 1] % x.shape[1]] / (x.size * var)


def _lattice_radius(exemplar: np.ndarray) -> int:
    return min(exemplar.shape[:2]) // 4


def lattice_peaks(exemplar: object) -> tuple[np.ndarray, np.ndarray]:
    """The exemplar's lattice: the strongest secondary peaks of its autocorrelation.

    Peaks of :func:`linear_autocorrelation` of the exemplar's
    :func:`luminance`: lags with 4 px <= length <= a quarter of the short
    side (:data:`LATTICE_MIN_LAG`) whose value is the largest within 2 lags
    in each direction and above :data:`LATTICE_THRESHOLD` (0.15), the
    strongest :data:`LATTICE_MAX_PEAKS` (8). The autocorrelation is
    symmetric, so each peak is listed once, with dy > 0 or dy = 0 < dx.

    Parameters
    ----------
    exemplar:
        (h, w, C) float image in [0, 1], at least 20 px per side.

    Returns
    -------
    lags:
        (n, 2) int64 (dy, dx) in pixels, strongest first; n = 0 to 8 (0: no
        lattice, as on most stochastic textures).
    values:
        (n,) float64 autocorrelation at those lags, in (0.15, 1].

    Notes
    -----
    Cost: one FFT of (2h, 2w) and a 5 x 5 maximum filter over the lags.
    """
    ex = _image(exemplar, "exemplar")
    _check_side("exemplar", ex, 4 * (LATTICE_MIN_LAG + 1), "lattice_peaks")
    radius = _lattice_radius(ex)
    values, dy, dx, is_max = local_maxima(autocorrelation(luminance(ex)), radius, _PEAK_RADIUS)
    length = np.hypot(dy, dx)
    keep = (
        is_max
        & (values > LATTICE_THRESHOLD)
        & (length >= LATTICE_MIN_LAG)
        & (length <= radius)
        & ((dy > 0) | ((dy == 0) & (dx > 0)))
    )
    order = np.argsort(-values[keep], kind="stable")[:LATTICE_MAX_PEAKS]
    lags = np.stack([dy[keep], dx[keep]], axis=1)[order].astype(np.int64)
    return lags, values[keep][order]


def lattice_order(output: object, exemplar: object, *, periodic: bool = True) -> float:
    """How well an output keeps the exemplar's lattice.

    The mean of the output's normalized autocorrelation at the exemplar's
    :func:`lattice_peaks`, divided by the mean of the exemplar's own there.
    A texture whose elements keep their spacing and alignment correlates
    with itself at the lattice vectors as the exemplar does; wavy rows,
    drifting elements and broken joints lower it.

    Parameters
    ----------
    output:
        (H, W, C) float image in [0, 1], same C; at least twice the longest
        peak lag per side (half the exemplar's short side is always enough).
    exemplar:
        (h, w, C) float image in [0, 1], at least 20 px per side.
    periodic:
        Read the output as a tiling texture (default: a synthesized output),
        with the wrap-around autocorrelation; False for a crop that does not
        tile (an exemplar's other half), with the same linear, pair-count
        normalized autocorrelation as the exemplar's.

    Returns
    -------
    float: 1 = the lattice kept (values a little above 1 are a cleaner
    lattice than the exemplar's); toward 0 for wavy or broken grids; below 0
    when the output anti-correlates there. ``nan`` (undefined) when the
    exemplar has no lattice peak: stochastic textures.

    Notes
    -----
    The autocorrelation is the power spectrum's transform, so random-phase
    noise of a lattice exemplar keeps it and scores near 1 too (0.86-0.93 on
    the bundled regular exemplars): this sees whether the layout repeats at
    the lattice vectors, not what the elements look like (that is
    :func:`coherence`'s and :func:`patch_distance`'s business). Cost: one
    FFT of the output and :func:`lattice_peaks`.
    """
    out, ex = _same_channels(output, exemplar)
    lags, values = lattice_peaks(ex)
    if lags.shape[0] == 0:
        return float("nan")
    reach = int(np.abs(lags).max())
    _check_side("output", out, 2 * reach, "lattice_order")
    lum = luminance(out)
    if periodic:
        at_peaks = periodic_autocorrelation(lum, lags)
    else:
        corr = linear_autocorrelation(lum, reach)
        at_peaks = corr[reach + lags[:, 0], reach + lags[:, 1]]
    return float(at_peaks.mean() / values.mean())


# --------------------------------------------------------------------------- repetition


@dataclass(frozen=True)
class Repetition:
    """What :func:`repetition` found: copied regions of the output and repeated exemplar regions.

    Attributes
    ----------
    largest:
        Area of the largest connected output region copied from one
        exemplar offset, as a fraction of the exemplar's area (0 = none;
        1 = a copy as large as the whole exemplar).
    repeats:
        How many times an exemplar region of more than 1/16 of the exemplar
        appears in the output beyond its first appearance (0 = no landmark
        repeated).
    copied:
        Fraction of the output's area covered by copied patches.
    """

    largest: float
    repeats: int
    copied: float


def _patch_errors(
    out: np.ndarray, ex: np.ndarray, size: int, corners: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(n,) float32 RMS difference and RMS contrast of output patches at ``corners`` against exemplar patches at
    ``targets`` (flat corner indices)."""
    rms = np.empty(corners.shape[0], dtype=np.float32)
    contrast = np.empty(corners.shape[0], dtype=np.float32)
    step = max(1, _CHUNK_ELEMENTS // (size * size * out.shape[2]))
    for s0 in range(0, corners.shape[0], step):
        a = exemplar_patches(out, size, corners[s0 : s0 + step])
        b = exemplar_patches(ex, size, targets[s0 : s0 + step])
        b -= a
        rms[s0 : s0 + step] = np.sqrt(np.einsum("ij,ij->i", b, b) / b.shape[1])
        a -= a.mean(axis=1, keepdims=True)
        contrast[s0 : s0 + step] = np.sqrt(np.einsum("ij,ij->i", a, a) / a.shape[1])
    return rms, contrast


def _components(same_right: np.ndarray, same_down: np.ndarray) -> np.ndarray:
    """Labels (H, W) int64 of the 4-connected components of a grid; an edge joins two cells where given.

    ``same_right``: (H, W - 1) bool, cell (y, x) joins (y, x + 1); ``same_down``:
    (H - 1, W) bool, (y, x) joins (y + 1, x). A cell's label is the smallest
    flat index in its component. Vectorized union-find: hook every edge's
    larger root onto the smaller, then halve paths until stable.
    """
    h, w = same_down.shape[0] + 1, same_right.shape[1] + 1
    flat = np.arange(h * w).reshape(h, w)
    a = np.concatenate([flat[:, :-1][same_right], flat[:-1, :][same_down]])
    b = np.concatenate([flat[:, 1:][same_right], flat[1:, :][same_down]])
    parent = np.arange(h * w)
    while True:
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        if not apart.any():
            return parent.reshape(h, w)
        np.minimum.at(parent, np.maximum(ra[apart], rb[apart]), np.minimum(ra[apart], rb[apart]))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def _seed_offsets(
    features_out: np.ndarray,
    features_ex: np.ndarray,
    shape_out: tuple[int, int],
    cols_ex: int,
    stride: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(dy, dx) offsets, (blocks down, blocks across) int64 each, of the nearest exemplar patch of each seed.

    Seeds are the output corners on a ``stride`` grid, one per block.
    """
    rows, cols = shape_out
    sy, sx = np.meshgrid(np.arange(0, rows, stride), np.arange(0, cols, stride), indexing="ij")
    match = _nearest(features_out[(sy * cols + sx).ravel()], features_ex).reshape(sy.shape)
    return match // cols_ex - sy, match % cols_ex - sx


def _best_offsets(
    features_out: np.ndarray,
    features_ex: np.ndarray,
    shape_out: tuple[int, int],
    shape_ex: tuple[int, int],
    seeds: tuple[np.ndarray, np.ndarray],
    stride: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output corner, the best of the seed offsets of its block and the 8 around it (PCA distance).

    Returns (rows, cols) int64 offsets dy and dx, and (rows, cols) float32 squared PCA distances at
    them: ``inf`` where no candidate lands inside the exemplar's corners (the offset is 0 there and
    means nothing).
    """
    rows, cols = shape_out
    rows_ex, cols_ex = shape_ex
    y, x = np.mgrid[0:rows, 0:cols]
    blocks_y, blocks_x = seeds[0].shape
    best = np.full((rows, cols), np.inf, dtype=np.float32)
    best_dy = np.zeros((rows, cols), dtype=np.int64)
    best_dx = np.zeros((rows, cols), dtype=np.int64)
    fo = features_out.reshape(rows, cols, -1)
    for ny in (-1, 0, 1):
        for nx in (-1, 0, 1):
            cy = np.clip(np.arange(rows) // stride + ny, 0, blocks_y - 1)
            cx = np.clip(np.arange(cols) // stride + nx, 0, blocks_x - 1)
            dy, dx = seeds[0][np.ix_(cy, cx)], seeds[1][np.ix_(cy, cx)]
            ty, tx = y + dy, x + dx
            inside = (ty >= 0) & (ty < rows_ex) & (tx >= 0) & (tx < cols_ex)
            diff = features_ex[np.where(inside, ty * cols_ex + tx, 0)]
            diff -= fo
            cost = np.einsum("ijk,ijk->ij", diff, diff)
            better = inside & (cost < best)
            np.copyto(best, cost, where=better)
            np.copyto(best_dy, dy, where=better)
            np.copyto(best_dx, dx, where=better)
    return best_dy, best_dx, best


def _covered(corners_y: np.ndarray, corners_x: np.ndarray, size: int) -> tuple[np.ndarray, int, int]:
    """Pixels covered by size x size patches at the given corners: (mask, top, left), mask[0, 0] at (top, left)."""
    top, left = int(corners_y.min()), int(corners_x.min())
    h = int(corners_y.max()) - top + 1
    w = int(corners_x.max()) - left + 1
    mask = np.zeros((h + 2 * (size - 1), w + 2 * (size - 1)), dtype=bool)
    mask[corners_y - top + size - 1, corners_x - left + size - 1] = True
    return window_sum(mask, size, periodic=False) > 0, top, left


def repetition(
    output: object,
    exemplar: object,
    *,
    patch_size: int = 8,
    seed_stride: int = 16,
    criteria: CopyCriteria = EXACT_COPY,
    components: int = 16,
    rng: RngLike = 0,
) -> Repetition:
    """Copied regions of an output and the exemplar regions it repeats.

    A synthesis that copies (the detail finish, a quilt, a patch-based tool)
    shows pieces of the exemplar as they are. Artists accept copied pieces;
    they reject a recognizable landmark that appears twice. This finds, for
    every output patch, the exemplar offset it is copied from, joins
    neighbouring patches copied from the same offset into regions, and
    reports the largest region and how often a large exemplar region
    appears more than once.

    Method: every ``patch_size`` patch of the output and of the exemplar
    (interior, no wrap-around) is reduced to ``components`` principal
    components (:func:`core.patches.pca_basis`). Seeds, the output patches
    on a ``seed_stride`` grid, find their nearest exemplar patch by brute
    force; every output patch then takes the best (in PCA distance) of the
    offsets of the seeds of its own grid block and the 8 around it. A patch
    is copied when the whole patch at that offset passes ``criteria``. Copied patches that touch (4-connected)
    and share the offset form a region; its area is the pixels its patches
    cover. Regions covering more than 1/16 of the exemplar's area are
    mapped back into the exemplar, largest first; each that overlaps the
    ones before it by more than 1/16 of the exemplar's area is a repeat.

    Parameters
    ----------
    output:
        (H, W, C) float image in [0, 1], at least 2 x ``patch_size`` px per
        side. A periodic output is read without wrap-around, so a region
        across its wrap counts as two.
    exemplar:
        (h, w, C) float image in [0, 1], same C, at least 2 x ``patch_size``
        px per side.
    patch_size:
        Side of the compared patches, 4 to 32 (default 8).
    seed_stride:
        Grid step of the seeds, 4 to 64 (default 16). A copied region is
        found where one of its seeds is; regions narrower than about two
        steps can be missed or found in part.
    criteria:
        What counts as a copy (default :data:`EXACT_COPY`: exact or nearly so).
    components:
        PCA components of the search space (default 16).
    rng:
        Seed or generator of the exemplar patches the PCA basis is fitted
        to (default 0).

    Returns
    -------
    :class:`Repetition`: ``largest`` (fraction of the exemplar's area, 0 to
    about output area / exemplar area), ``repeats`` (count, 0 = none),
    ``copied`` (fraction of the output's area, 0 to 1). An exemplar crop
    scores largest = its area / the exemplar's, repeats 0; the exemplar
    tiled 2 x 2 scores largest about 1 and repeats 3; new texture and
    random-phase noise score about 0 and 0.

    Notes
    -----
    Cost, for N output and M exemplar patches and q components: the PCA
    features (``(N + M) * patch_size^2 * C * q`` multiply-adds), the seed
    search (``N / seed_stride^2 * M * q``), 9 candidate offsets per output
    patch (``9 * N * q``) and one exact check of the chosen offset per
    output patch (``N * patch_size^2 * C``). Memory: ``(N + M) * q``
    float32 features plus a few (N,) arrays. About 4 s for a 1024 px RGB
    output of a 512 px exemplar on one core.
    """
    out, ex = _pair(output, exemplar)
    _check_int("patch_size", patch_size, 4, 32)
    _check_int("seed_stride", seed_stride, 4, 64)
    _check_int("components", components, 1, 256)
    k = patch_size
    _check_side("output", out, 2 * k, "repetition")
    _check_side("exemplar", ex, 2 * k, "repetition")
    gen = np.random.default_rng(rng)
    shape_out = (out.shape[0] - k + 1, out.shape[1] - k + 1)
    shape_ex = (ex.shape[0] - k + 1, ex.shape[1] - k + 1)
    with single_threaded_blas():
        sample = exemplar_patches(ex, k, sample_corners(ex.shape[0], ex.shape[1], k, 4096, gen))
        mean, basis = pca_basis(sample, components)
        features_ex = _project(ex, k, np.arange(shape_ex[0] * shape_ex[1]), mean, basis)
        features_out = _project(out, k, np.arange(shape_out[0] * shape_out[1]), mean, basis)
        seeds = _seed_offsets(features_out, features_ex, shape_out, shape_ex[1], seed_stride)
    dy, dx, cost = _best_offsets(features_out, features_ex, shape_out, shape_ex, seeds, seed_stride)
    del features_out, features_ex
    # The PCA distance is at most the whole patch's: only patches that can pass are checked in full.
    y, x = np.nonzero(cost <= k * k * out.shape[2] * criteria.max_difference**2)
    rms, contrast = _patch_errors(out, ex, k, y * shape_out[1] + x, (y + dy[y, x]) * shape_ex[1] + x + dx[y, x])
    copied = np.zeros(shape_out, dtype=bool)
    copied[y, x] = criteria.copies(rms, contrast)
    return _regions(copied, dy, dx, k, (ex.shape[0], ex.shape[1]), (out.shape[0], out.shape[1]))


def _regions(
    copied: np.ndarray,
    dy: np.ndarray,
    dx: np.ndarray,
    size: int,
    exemplar_shape: tuple[int, int],
    output_shape: tuple[int, int],
) -> Repetition:
    """:class:`Repetition` of a copy mask over output corners and their offsets (see :func:`repetition`)."""
    if not copied.any():
        return Repetition(0.0, 0, 0.0)
    same = (dy[:, :-1] == dy[:, 1:]) & (dx[:, :-1] == dx[:, 1:]) & copied[:, :-1] & copied[:, 1:]
    same_down = (dy[:-1] == dy[1:]) & (dx[:-1] == dx[1:]) & copied[:-1] & copied[1:]
    labels = _components(same, same_down)[copied]
    cy, cx = np.nonzero(copied)
    order = np.argsort(labels, kind="stable")
    starts = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    counts = np.diff(np.r_[starts, order.size])
    area = exemplar_shape[0] * exemplar_shape[1]
    large = area / 16
    best = 0
    found: list[tuple[int, np.ndarray, int, int]] = []  # (covered pixels, mask, exemplar top, exemplar left)
    for i in np.argsort(-counts, kind="stable"):
        if counts[i] * size * size <= min(best, large):
            break
        members = order[starts[i] : starts[i] + counts[i]]
        mask, top, left = _covered(cy[members], cx[members], size)
        pixels = int(mask.sum())
        best = max(best, pixels)
        if pixels > large:
            y0, x0 = cy[members[0]], cx[members[0]]
            found.append((pixels, mask, top + dy[y0, x0], left + dx[y0, x0]))
    seen = np.zeros(exemplar_shape, dtype=bool)
    repeats = 0
    for _, mask, top, left in sorted(found, key=lambda item: -item[0]):
        place = (slice(top, top + mask.shape[0]), slice(left, left + mask.shape[1]))
        if np.count_nonzero(seen[place] & mask) > large:
            repeats += 1
        seen[place] |= mask
    covered = window_sum(np.pad(copied, size - 1), size, periodic=False) > 0
    return Repetition(best / area, repeats, float(covered.sum() / (output_shape[0] * output_shape[1])))


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise InvalidConfigError(f"{name} is {value!r}; allowed: whole numbers {low} to {high}")


# --------------------------------------------------------------------------- seam and colour


def seam_score(output: object) -> float:
    """How visible the wrap-around boundary of an image is when it is tiled.

    For each axis: the mean absolute difference between the last and the
    first row (column), divided by the mean absolute difference between
    neighbouring rows (columns) inside the image. The larger of the two
    ratios is returned.

    Parameters
    ----------
    output:
        (H, W, C) float32, at least 3 px per side.

    Returns
    -------
    float >= 0: about 1 for a seamless (periodic) image, clearly above 1
    where the opposite edges do not continue each other. Textures whose
    rows differ a lot (a mortar line at the boundary) can score 2 to 3
    while seamless; ``inf`` for a flat image with a seam, 1.0 for a flat
    image without one.
    """
    out = _image(output, "output")
    _check_side("output", out, 3, "seam_score")
    ratios = []
    for axis in (0, 1):
        interior = float(np.mean(np.abs(np.diff(out, axis=axis))))
        wrap = float(np.mean(np.abs(out.take(0, axis=axis) - out.take(-1, axis=axis))))
        if interior > 0:
            ratios.append(wrap / interior)
        else:
            ratios.append(1.0 if wrap == 0 else float("inf"))
    return max(ratios)


def colour_stats(output: object, exemplar: object) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel differences of mean and standard deviation, output minus exemplar.

    Parameters
    ----------
    output:
        (H, W, C) float32 in [0, 1].
    exemplar:
        (h, w, C) float32 in [0, 1], same C.

    Returns
    -------
    mean_difference, std_difference:
        (C,) float64 each, in pixel-value units (0.01 is about 2.5/255).
    """
    out, ex = _same_channels(output, exemplar)
    o = out.reshape(-1, out.shape[2]).astype(np.float64)
    e = ex.reshape(-1, ex.shape[2]).astype(np.float64)
    return o.mean(axis=0) - e.mean(axis=0), o.std(axis=0) - e.std(axis=0)


# --------------------------------------------------------------------------- all together


def evaluate(output: object, exemplar: object, rng: RngLike = 0) -> dict[str, float]:
    """Every metric of this module and the baselines needed to read them.

    Parameters
    ----------
    output:
        (H, W, C) float32 in [0, 1], a synthesized texture (at least 48 px
        per side; 256 px or more for steady figures).
    exemplar:
        (h, w, C) float32 in [0, 1], same C, at least 224 px per side.
    rng:
        Seed or generator of every random draw (default 0).

    Returns
    -------
    dict with float values:

    ``coherence``, ``coherence_noise``
        :func:`coherence` of the output and of random-phase noise of the
        exemplar at the output's size (1 = the exemplar itself).
    ``patch_distance``, ``patch_distance_noise``
        :func:`patch_distance` of both (1 = the exemplar itself).
    ``normalized_distance``
        :func:`normalized_patch_distance` (0 = exemplar, 1 = noise).
    ``verbatim_fraction``, ``verbatim_exemplar``
        :func:`verbatim_fraction` of the output (0 = nothing copied) and of
        the exemplar's top half against its bottom half (how much a regular
        texture repeats itself).
    ``seam``, ``seam_exemplar``
        :func:`seam_score` of the output and of the exemplar tiled as it is
        (about 1 = seamless).
    ``mean_error``, ``std_error``
        Largest absolute per-channel difference of mean and standard
        deviation (:func:`colour_stats`).
    ``sharpness``, ``sharpness_exemplar``
        :func:`sharpness` of the output and of the exemplar's bottom half
        against its top half (1 = as sharp as the exemplar).
    ``lattice_order``, ``lattice_order_exemplar``
        :func:`lattice_order` of the output (periodic) and the mean of the
        exemplar's four halves (top, bottom, left, right; read as crops,
        ``periodic=False``) against the whole exemplar (1 = lattice kept).
        ``nan`` when the exemplar has no lattice peak, or the output is
        smaller than twice the longest peak lag.
    ``repetition_largest``, ``repetition_largest_exemplar``, ``repetition_repeats``, ``repetition_copied``
        :func:`repetition` of the output: the largest copied region as a
        fraction of the exemplar's area, beside the same for the exemplar's
        bottom half against its top half (regular textures copy themselves
        at 8 px); how many times a region of more than 1/16 of the exemplar
        is repeated (a whole number); the copied fraction of the output.

    Notes
    -----
    A few seconds for a 512 px exemplar (coherence and repetition dominate;
    repetition grows with the output's pixels: about 4 s more at 1024 px).
    """
    out, ex = _pair(output, exemplar)
    _check_distance_sizes(out, ex, DistanceSettings())
    for factor, size in COHERENCE_SCALES:
        _check_split(ex, factor, size, "evaluate")
    gen = np.random.default_rng(rng)
    noise = _noise_like(out.shape[0], out.shape[1], ex, gen)
    coh, coh_base = coherence_distances([out, noise], ex, rng=gen)
    dist, dist_base = patch_distance_table([out, noise], ex, rng=gen)
    d_out, d_noise = _relative(dist, dist_base)
    mean_diff, std_diff = colour_stats(out, ex)
    copies = repetition(out, ex, rng=gen)
    return {
        "coherence": _geometric_ratio(coh[0], coh_base),
        "coherence_noise": _geometric_ratio(coh[1], coh_base),
        "patch_distance": float(d_out),
        "patch_distance_noise": float(d_noise),
        "normalized_distance": _normalize(float(d_out), float(d_noise)),
        "verbatim_fraction": verbatim_fraction(out, ex),
        "verbatim_exemplar": verbatim_fraction(*_halves(ex)),
        "seam": seam_score(out),
        "seam_exemplar": seam_score(ex),
        "mean_error": float(np.max(np.abs(mean_diff))),
        "std_error": float(np.max(np.abs(std_diff))),
        "sharpness": sharpness(out, ex),
        "sharpness_exemplar": sharpness(*reversed(_halves(ex))),
        "lattice_order": _lattice_or_nan(out, ex, periodic=True),
        "lattice_order_exemplar": float(np.mean([_lattice_or_nan(half, ex, periodic=False) for half in _quarters(ex)])),
        "repetition_largest": copies.largest,
        "repetition_largest_exemplar": repetition(*reversed(_halves(ex))).largest,
        "repetition_repeats": float(copies.repeats),
        "repetition_copied": copies.copied,
    }


def _quarters(image: np.ndarray) -> tuple[np.ndarray, ...]:
    """The four halves of an image: top, bottom, left, right."""
    mid = image.shape[1] // 2
    return (*_halves(image), image[:, :mid], image[:, mid:])


def _lattice_or_nan(output: np.ndarray, exemplar: np.ndarray, *, periodic: bool) -> float:
    """:func:`lattice_order`, or nan where the output is too small for the exemplar's longest peak lag."""
    lags, _ = lattice_peaks(exemplar)
    if lags.shape[0] == 0 or min(output.shape[:2]) < 2 * int(np.abs(lags).max()):
        return float("nan")
    return lattice_order(output, exemplar, periodic=periodic)
