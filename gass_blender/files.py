"""Image files of the ``blender -c gass`` command, read and written by Blender itself (no Pillow).

:func:`load_image_file` loads an input as a temporary datablock (the caller
removes it); :func:`save_image_file` writes a result completely or not at
all. Main thread only (bpy).
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from . import pixels
from .core import ImageFileError
from .core.imageio import check_input_path, check_output_path, write_atomically
from .images import DATA_COLORSPACE, OutputFormat, pixel_buffer, set_colorspace

#: Output file extension -> Blender's file format.
FILE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".exr": "OPEN_EXR"}


def load_image_file(path: str, *, role: str = "exemplar") -> bpy.types.Image:
    """Load an image file as a new datablock; raises :class:`ImageFileError` if Blender cannot.

    ``role`` names the file in messages ("exemplar", "image", "mask").
    """
    p = check_input_path(path, role=role)
    try:
        return bpy.data.images.load(str(p.resolve()), check_existing=False)
    except RuntimeError as err:
        raise ImageFileError(f"{role} file '{path}' is not an image Blender can read") from err


def save_image_file(result: np.ndarray, path: str, fmt: OutputFormat, *, bits: int = 8) -> None:
    """Write an engine result to an image file with Blender's own writers, completely or not at all.

    Parameters
    ----------
    result:
        (H, W, C) float32, top row first, in the encoding ``fmt`` describes.
    path:
        .png, .jpg/.jpeg, .tif/.tiff or .exr.
    bits:
        8 or 16 (16 for PNG and TIFF only). OpenEXR is always float and
        linear; the other formats get sRGB-encoded colour (data maps raw).

    Notes
    -----
    The file is written beside ``path`` under a hidden temporary name and
    renamed over it (:func:`core.imageio.write_atomically`): an error, Ctrl-C
    or SIGTERM during the write leaves the previous file at ``path`` as it
    was and no temporary file behind.
    """
    checked = check_output_path(path, bits=bits, extensions=tuple(FILE_FORMATS))  # again: the run took a while
    file_format = FILE_FORMATS[checked.suffix.lower()]
    # Compute the file's values here and write them untouched (a Non-Color image): Blender's own
    # conversions on save differ between versions (measured: a float "Linear Rec.709" image saved
    # as OpenEXR holds sRGB-encoded values in 4.2 and 5.0, and 5.0 tags the file as sRGB).
    values = result
    if file_format == "OPEN_EXR":  # OpenEXR holds linear light
        if not fmt.is_data and not fmt.linear and fmt.colorspace == "sRGB":
            values = pixels.convert_rgb(result, pixels.srgb_to_linear)
    elif fmt.linear:  # PNG, JPEG, TIFF hold sRGB-encoded colour
        values = pixels.convert_rgb(result, pixels.linear_to_srgb)
    float_buffer = file_format == "OPEN_EXR" or bits == 16
    if not float_buffer:
        values = np.clip(values, 0.0, 1.0)

    def write(temp: Path) -> None:
        _write_with_blender(values, temp, file_format, float_buffer=float_buffer, shown=path)

    write_atomically(path, write)


def _write_with_blender(values: np.ndarray, path: Path, file_format: str, *, float_buffer: bool, shown: str) -> None:
    """Save (H, W, C) values untouched into ``path`` through a temporary image datablock."""
    h, w, c = values.shape
    image = bpy.data.images.new("gass-cli-output", w, h, alpha=c in (2, 4), float_buffer=float_buffer)
    try:
        set_colorspace(image, DATA_COLORSPACE)
        image.file_format = file_format  # type: ignore[assignment]
        pixel_buffer(image).foreach_set(pixels.to_blender(values))
        image.filepath_raw = str(path.resolve())
        try:
            image.save()
        except RuntimeError as err:  # Blender's message names the datablock: say what failed instead
            raise ImageFileError(f"cannot write output '{shown}': Blender could not save it as {file_format}") from err
    finally:
        bpy.data.images.remove(image)
