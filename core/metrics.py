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
* :func:`evaluate`: all of the above and their baselines in one dictionary.

Measured on the bundled exemplars: random-phase noise scores 1.5 to 14 on
:func:`patch_distance` (lowest on large-featured stochastic textures: bark,
grass, onyx), the exemplar's own held-out half 1 by definition. A contiguous
piece of a non-stationary exemplar (lighting or content changing across
it) scores well above 1, sometimes as high as noise, because it lacks the
variety of the whole. No single figure is the final word on stochastic
textures: look at the images too.

Images are (H, W, C) float32 in [0, 1] (C = 1 or 3; (H, W) is read as one
channel; grey stored as RGB is measured as one channel). The output is read
as interior patches only (no wrap-around), so a non-periodic crop can be
measured too; the wrap boundary is the business of :func:`seam_score`. Every
function that samples takes ``rng`` (a seed or a ``numpy.random.Generator``,
default seed 0), so the same inputs give the same figures. Nothing here
imports the synthesizer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .blas import single_threaded_blas
from .patches import sample_corners

RngLike = int | np.random.Generator | None

#: (downscale factor, patch side) pairs of :func:`coherence`.
COHERENCE_SCALES: tuple[tuple[int, int], ...] = ((1, 5), (1, 9), (2, 5), (2, 9))
#: Downscale factors of :func:`patch_distance`.
DISTANCE_FACTORS: tuple[int, ...] = (1, 2, 4)
#: Patch sides of :func:`patch_distance`.
DISTANCE_PATCH_SIZES: tuple[int, ...] = (3, 5, 11)

_CHUNK_ELEMENTS = 1 << 22  # float32 elements of a temporary block (16 MiB)
_SPLIT_BLOCKS = 4  # checkerboard squares along the exemplar's short side


# --------------------------------------------------------------------------- helpers


def _image(array: object, name: str) -> np.ndarray:
    """``array`` as a C-contiguous (H, W, C) float32 image; ValueError naming ``name`` otherwise."""
    a = np.asarray(array)
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"{name} has pixel type {a.dtype}; expected float pixels in [0, 1]")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] < 1:
        raise ValueError(f"{name} has shape {a.shape}; expected (H, W) or (H, W, C)")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return np.ascontiguousarray(a, dtype=np.float32)


def _pair(output: object, exemplar: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated output and exemplar with the same channels; grey-as-RGB pairs become one channel."""
    out = _image(output, "output")
    ex = _image(exemplar, "exemplar")
    if out.shape[2] != ex.shape[2]:
        raise ValueError(f"output has {out.shape[2]} channels and exemplar {ex.shape[2]}; they must match")
    if out.shape[2] > 1 and _is_grey(out) and _is_grey(ex):
        out, ex = out[:, :, :1], ex[:, :, :1]
    return np.ascontiguousarray(out), np.ascontiguousarray(ex)


def _is_grey(image: np.ndarray) -> bool:
    """True when every channel equals the first (grey stored as RGB)."""
    return bool(np.all(image == image[:, :, :1]))


def _check_side(name: str, image: np.ndarray, need: int, what: str) -> None:
    h, w = image.shape[:2]
    if min(h, w) < need:
        raise ValueError(f"{name} is {w}x{h}; {what} needs at least {need} px on each side")


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


def _patches(image: np.ndarray, size: int, index: np.ndarray) -> np.ndarray:
    """(n, size*size*C) float32 patches at flat corner indices ``index`` (no wrap-around)."""
    windows = sliding_window_view(image, (size, size), axis=(0, 1))  # type: ignore[call-overload]  # (h, w, C, k, k); numpy 1.26 stubs: axis tuple
    iy, ix = np.divmod(index, windows.shape[1])
    return windows[iy, ix].reshape(index.shape[0], -1)


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
    if isinstance(height, bool) or not isinstance(height, int | np.integer) or height < 2:
        raise ValueError(f"height is {height!r}; expected a whole number >= 2")
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 2:
        raise ValueError(f"width is {width!r}; expected a whole number >= 2")
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
    window = np.ones(n)
    if n >= target:
        return window
    m = max(1, n // 16)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(m) + 0.5) / m)
    window[:m] = ramp
    window[n - m :] = ramp[::-1]
    return window


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


def _take(index: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``count`` entries of ``index``, drawn without replacement, in their order."""
    if index.size <= count:
        return index
    return np.sort(rng.choice(index, size=count, replace=False))


def _block_side(exemplar: np.ndarray) -> int:
    """Side of the checkerboard squares of an exemplar: a quarter of its short side."""
    return min(exemplar.shape[:2]) // _SPLIT_BLOCKS


def _check_split(exemplar: np.ndarray, factor: int, size: int, what: str) -> None:
    if _block_side(exemplar) // factor < size + 3:
        need = _SPLIT_BLOCKS * factor * (size + 3)
        h, w = exemplar.shape[:2]
        raise ValueError(f"exemplar is {w}x{h}; {what} needs at least {need} px on each side")


# --------------------------------------------------------------------------- coherence


def _pca_basis(sample: np.ndarray, components: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), basis (D, q)) float32 of the leading principal components of ``sample``."""
    s = sample.astype(np.float64)
    mean = s.mean(axis=0)
    centered = s - mean
    _, vecs = np.linalg.eigh(centered.T @ centered)
    q = min(components, s.shape[1])
    return mean.astype(np.float32), np.ascontiguousarray(vecs[:, ::-1][:, :q], dtype=np.float32)


def _project(image: np.ndarray, size: int, index: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """PCA features (n, q) float32 of the patches at ``index``, extracted in chunks."""
    out = np.empty((index.shape[0], basis.shape[1]), dtype=np.float32)
    step = max(1, _CHUNK_ELEMENTS // basis.shape[0])
    for s0 in range(0, index.shape[0], step):
        out[s0 : s0 + step] = (_patches(image, size, index[s0 : s0 + step]) - mean) @ basis
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
    images:
        (H, W, C) float32 images with the exemplar's channels.
    exemplar:
        (h, w, C) float32.
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
            db_index = _take(ref, database, rng)
            mean, basis = _pca_basis(_patches(ex, size, _take(db_index, 4096, rng)), components)
            db = _project(ex, size, db_index, mean, basis)
            sets = [(downscale(im, factor), None) for im in images] + [(ex, held)]
            for qi, (img, allowed) in enumerate(sets):
                if allowed is None:
                    index = sample_corners(img.shape[0], img.shape[1], size, queries, rng)
                else:
                    index = _take(allowed, queries, rng)
                patches = _patches(img, size, index)
                match = db_index[_nearest((patches - mean) @ basis, db)]
                diff = (patches - _patches(ex, size, match)).astype(np.float64)
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


def _quantiles(values: np.ndarray) -> np.ndarray:
    """(_QUANTILES, m) quantiles at evenly spaced levels of each column of (n, m) ``values``."""
    srt = np.sort(values, axis=0)
    n = srt.shape[0]
    pick = np.minimum(((np.arange(_QUANTILES) + 0.5) / _QUANTILES * n).astype(np.int64), n - 1)
    return srt[pick].astype(np.float64)


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
    factors: Sequence[int] = DISTANCE_FACTORS,
    sizes: Sequence[int] = DISTANCE_PATCH_SIZES,
    directions: int = 32,
    samples: int = 8192,
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
    factors, sizes:
        Downscale factors and patch sides; every pair is one configuration.
    directions:
        Dense and, again, sparse random directions per configuration.
    samples:
        Most patches drawn from each image and each exemplar half.
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
    configs = [(f, k) for f in factors for k in sizes]
    distances = np.zeros((len(images), len(configs), len(DISTANCE_FAMILIES)))
    baseline = np.zeros((len(configs), len(DISTANCE_FAMILIES)))
    shrunk = {f: (downscale(exemplar, f), [downscale(im, f) for im in images]) for f in factors}
    with single_threaded_blas():
        for ci, (factor, size) in enumerate(configs):
            ex, sets = shrunk[factor]
            ref, held = _split_corners(ex.shape[0], ex.shape[1], size, _block_side(exemplar) // factor)
            dirs = _directions(size * size * ex.shape[2], directions, rng)
            target = _summary(_patches(ex, size, _take(ref, samples, rng)), dirs)
            for ii, img in enumerate(sets):
                index = sample_corners(img.shape[0], img.shape[1], size, samples, rng)
                distances[ii, ci] = _compare(_summary(_patches(img, size, index), dirs), target, directions)
            baseline[ci] = _compare(_summary(_patches(ex, size, _take(held, samples, rng)), dirs), target, directions)
    return distances, baseline


def _relative(distances: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Mean over configurations and families of distance / baseline, per image."""
    return (distances / np.maximum(baseline, 1e-12)).mean(axis=(-2, -1))


def _check_distance_sizes(out: np.ndarray, ex: np.ndarray, factors: Sequence[int], sizes: Sequence[int]) -> None:
    need = max(f * (k + 1) for f in factors for k in sizes)
    _check_side("output", out, need, "patch_distance")
    for f in factors:
        for k in sizes:
            _check_split(ex, f, k, "patch_distance")


def patch_distance(
    output: object,
    exemplar: object,
    *,
    factors: Sequence[int] = DISTANCE_FACTORS,
    sizes: Sequence[int] = DISTANCE_PATCH_SIZES,
    directions: int = 32,
    samples: int = 8192,
    rng: RngLike = 0,
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
    factors:
        Downscale factors (default 1, 2, 4).
    sizes:
        Patch sides (default 3, 5, 11; the synthesizer itself uses 7).
    directions:
        Dense and, as many, sparse random directions per configuration
        (default 32).
    samples:
        Most patches drawn from the output and from each exemplar half
        (default 8192).
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
    _check_distance_sizes(out, ex, factors, sizes)
    distances, baseline = patch_distance_table(
        [out], ex, factors=factors, sizes=sizes, directions=directions, samples=samples, rng=rng
    )
    return float(_relative(distances, baseline)[0])


def normalized_patch_distance(
    output: object,
    exemplar: object,
    *,
    factors: Sequence[int] = DISTANCE_FACTORS,
    sizes: Sequence[int] = DISTANCE_PATCH_SIZES,
    directions: int = 32,
    samples: int = 8192,
    rng: RngLike = 0,
) -> float:
    """:func:`patch_distance` on a scale from the exemplar (0) to its random-phase noise (1).

    ``(d(output) - 1) / (d(noise) - 1)``, where d is :func:`patch_distance`
    (1 is the exemplar's held-out half against its reference half) and the
    noise is :func:`random_phase_noise` of the whole exemplar, cropped to
    the output's size, with the same directions and samples.

    Parameters
    ----------
    output, exemplar, factors, sizes, directions, samples, rng:
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
    _check_distance_sizes(out, ex, factors, sizes)
    gen = np.random.default_rng(rng)
    noise = _noise_like(out.shape[0], out.shape[1], ex, gen)
    distances, baseline = patch_distance_table(
        [out, noise], ex, factors=factors, sizes=sizes, directions=directions, samples=samples, rng=gen
    )
    d_out, d_noise = _relative(distances, baseline)
    return _normalize(float(d_out), float(d_noise))


def _normalize(value: float, noise: float) -> float:
    return (value - 1.0) / max(noise - 1.0, 1e-6)


# --------------------------------------------------------------------------- verbatim copies


def _box_mean(image: np.ndarray, size: int) -> np.ndarray:
    """(H - size + 1, W - size + 1, C) float32 means of every ``size x size`` window."""
    c = np.cumsum(np.cumsum(image.astype(np.float64), axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0), (0, 0)))
    s = c[size:, size:] - c[:-size, size:] - c[size:, :-size] + c[:-size, :-size]
    return (s / (size * size)).astype(np.float32)


def _block_features(means: np.ndarray, block: int, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """(n, 16 * C) means of the 4 x 4 blocks of the patches with corners (ys, xs)."""
    parts = [means[ys + i * block, xs + j * block] for i in range(4) for j in range(4)]
    return np.concatenate(parts, axis=1)


def verbatim_fraction(
    output: object,
    exemplar: object,
    *,
    patch_size: int = 24,
    tolerance: float = 0.2,
    max_difference: float = 0.03,
    flat_std: float = 0.01,
    max_queries: int = 2048,
) -> float:
    """Fraction of the output covered by near-exact copies of exemplar patches.

    Output patches of ``patch_size`` on a regular grid (step ``patch_size
    // 2``, or coarser to stay within ``max_queries``) are looked up among
    every exemplar patch: the candidate is the nearest by the means of its
    4 x 4 blocks (reduced to 8 principal components, brute force), and it
    counts as a copy when the RMS difference of the whole patch is at most
    ``tolerance`` times the patch's RMS contrast and at most
    ``max_difference``. Flat patches (RMS contrast below ``flat_std``) would
    match almost anything and are left out.

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
    tolerance:
        Largest RMS difference of a copy relative to the patch's RMS
        contrast, 0 to 1 (default 0.2: a copy with noise of a fifth of its
        contrast still counts).
    max_difference:
        Largest RMS difference of a copy in pixel-value units (default 0.03,
        about 8/255).
    flat_std:
        Patches with a smaller RMS contrast are ignored (default 0.01).
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
        raise ValueError(f"patch_size is {patch_size!r}; allowed: whole numbers 8 to 64")
    if not 0.0 <= tolerance <= 1.0:
        raise ValueError(f"tolerance is {tolerance!r}; allowed: 0 to 1")
    _check_side("output", out, patch_size, "verbatim_fraction")
    _check_side("exemplar", ex, patch_size, "verbatim_fraction")
    p, block = patch_size, patch_size // 4
    h, w = out.shape[:2]
    stride = max(p // 2, int(np.ceil(np.sqrt((h - p + 1) * (w - p + 1) / max_queries))))
    gy, gx = np.meshgrid(np.arange(0, h - p + 1, stride), np.arange(0, w - p + 1, stride), indexing="ij")
    windows = sliding_window_view(out, (p, p), axis=(0, 1))[gy.ravel(), gx.ravel()]  # type: ignore[call-overload]  # (n, C, p, p); numpy 1.26 stubs: axis tuple
    contrast = np.sqrt(np.mean((windows - windows.mean(axis=(2, 3), keepdims=True)) ** 2, axis=(1, 2, 3)))
    textured = contrast >= flat_std
    if not textured.any():
        return 0.0
    gy, gx, contrast = gy.ravel()[textured], gx.ravel()[textured], contrast[textured]
    query = windows[textured].reshape(gy.shape[0], -1)
    rows, cols = ex.shape[0] - p + 1, ex.shape[1] - p + 1
    ey, ex_x = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    with single_threaded_blas():
        db_feats = _block_features(_box_mean(ex, block), block, ey.ravel(), ex_x.ravel())
        mean, basis = _pca_basis(db_feats[:: max(1, db_feats.shape[0] // 8192)], 8)
        db = (db_feats - mean) @ basis
        del db_feats
        q_feats = _block_features(_box_mean(out, block), block, gy, gx)
        match = _nearest((q_feats - mean) @ basis, db)
    candidates = sliding_window_view(ex, (p, p), axis=(0, 1))[match // cols, match % cols]  # type: ignore[call-overload]  # numpy 1.26 stubs: axis tuple
    diff = (query - candidates.reshape(match.shape[0], -1)).astype(np.float64)
    rms = np.sqrt(np.mean(diff * diff, axis=1))
    copy = (rms <= tolerance * contrast) & (rms <= max_difference)
    covered = np.zeros((h, w), dtype=bool)
    copied = np.zeros((h, w), dtype=bool)
    for y, x, is_copy in zip(gy, gx, copy):
        covered[y : y + p, x : x + p] = True
        if is_copy:
            copied[y : y + p, x : x + p] = True
    return float(copied.sum() / covered.sum())


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
    out = _image(output, "output")
    ex = _image(exemplar, "exemplar")
    if out.shape[2] != ex.shape[2]:
        raise ValueError(f"output has {out.shape[2]} channels and exemplar {ex.shape[2]}; they must match")
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

    Notes
    -----
    A few seconds for a 512 px exemplar (coherence dominates).
    """
    out, ex = _pair(output, exemplar)
    _check_distance_sizes(out, ex, DISTANCE_FACTORS, DISTANCE_PATCH_SIZES)
    for factor, size in COHERENCE_SCALES:
        _check_split(ex, factor, size, "evaluate")
    gen = np.random.default_rng(rng)
    noise = _noise_like(out.shape[0], out.shape[1], ex, gen)
    coh, coh_base = coherence_distances([out, noise], ex, rng=gen)
    dist, dist_base = patch_distance_table([out, noise], ex, rng=gen)
    d_out, d_noise = _relative(dist, dist_base)
    mean_diff, std_diff = colour_stats(out, ex)
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
    }
