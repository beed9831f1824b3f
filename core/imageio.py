"""Image files <-> arrays with Pillow, for the command line and benchmarks.

Reads PNG, JPEG and TIFF (8 and 16 bit, and 32-bit float TIFF) into
(H, W, C) float32 in [0, 1], top row first; writes 8- or 16-bit PNG/TIFF and
8-bit JPEG. Pillow is imported only here, so the engine itself needs NumPy
alone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import ImageFileError

WRITABLE = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def _pillow():  # type: ignore[no-untyped-def]
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImageFileError("reading and writing image files needs Pillow: pip install pillow") from err
    return Image


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as (H, W, C) float32 in [0, 1] (C = 1, 2, 3 or 4).

    Raises
    ------
    ImageFileError
        When the file is missing, not an image, or in an unsupported mode.
    """
    image_mod = _pillow()
    p = Path(path)
    if not p.is_file():
        raise ImageFileError(f"exemplar file {str(p)!r} does not exist")
    try:
        with image_mod.open(p) as im:
            im.load()
            mode = im.mode
            if mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "1"):
                im = im.convert("RGBA" if "transparency" in im.info or mode == "PA" else "RGB")
                mode = im.mode
            arr = np.asarray(im)
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageFileError(f"{str(p)!r} is not a readable image file ({err})") from err
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        out = arr.astype(np.float32) / 65535.0
    elif mode == "I":
        out = arr.astype(np.float32) / (65535.0 if arr.max() > 255 else 255.0)
    elif mode == "F":
        out = arr.astype(np.float32)
    elif arr.dtype == np.uint8:
        out = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        out = arr.astype(np.float32) / 65535.0
    else:
        raise ImageFileError(f"{str(p)!r} has an unsupported pixel mode {mode!r}")
    if out.ndim == 2:
        out = out[:, :, None]
    return np.ascontiguousarray(out, dtype=np.float32)


def write_image(path: str | os.PathLike[str], image: np.ndarray, *, bits: int = 8) -> None:
    """Write (H, W, C) float values in [0, 1] to a PNG, JPEG or TIFF file.

    The file appears complete or not at all: it is written to a temporary
    name in the same folder and renamed.

    Parameters
    ----------
    bits:
        8 or 16 (16 only for PNG and TIFF, and only for 1 or 3 channels).
    """
    image_mod = _pillow()
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in WRITABLE:
        raise ImageFileError(f"output {str(p)!r} has extension {ext!r}; use one of {', '.join(sorted(WRITABLE))}")
    if bits not in (8, 16):
        raise ImageFileError(f"bits is {bits}; use 8 or 16")
    if not p.parent.exists():
        raise ImageFileError(f"output folder {str(p.parent)!r} does not exist")
    a = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    c = a.shape[2]
    if ext in (".jpg", ".jpeg") and c in (2, 4):
        a, c = a[:, :, : c - 1], c - 1
    if bits == 16 and ext != ".jpg" and ext != ".jpeg":
        q = np.round(a * 65535.0).astype(np.uint16)
        if c == 1:
            pil = image_mod.fromarray(q[:, :, 0])  # uint16 -> mode I;16
        else:
            raise ImageFileError("16-bit output is supported for grey images only; use 8 bits for colour")
    else:
        q8 = np.round(a * 255.0).astype(np.uint8)
        pil = image_mod.fromarray(q8[:, :, 0] if c == 1 else q8)  # L, LA, RGB or RGBA from the shape
    fd, tmp = tempfile.mkstemp(prefix=".gass-", suffix=ext, dir=p.parent)
    os.close(fd)
    try:
        pil.save(tmp, format={".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}[ext])
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
