"""Make docs/photo_to_tile.jpg, the README's before/after of the photo workflow.

A bundled exemplar gets a lighting ramp and a vignette multiplied in (a photo
shot under uneven light), then goes through `python -m core tile --equalize`'s
job: equalize lighting, make tileable. The figure shows, for each image, the
photo tiled 2 x 2 (seams and lighting blotches) beside the result tiled
2 x 2. Run from the repository root:

    .venv/bin/python scripts/photo_figure.py [--out docs/photo_to_tile.jpg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.imageio import read_image
from core.job import Job, JobSettings

EXEMPLARS = ("tactile_paving_dots", "gravel_gray", "bark")
CELL = 360  # pixels of one 2 x 2 tiling in the figure


def lit(image: np.ndarray) -> np.ndarray:
    """The image under uneven light: a ramp from 0.55 to 1.25 across, a vignette, a warm cast on one side."""
    h, w = image.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = 0.55 + 0.7 * x / (w - 1)
    vignette = 1.0 - 0.35 * (((x - w / 2) / w) ** 2 + ((y - h / 2) / h) ** 2) * 4
    light = (ramp * vignette)[:, :, None] * np.array([1.0, 0.95, 0.85], np.float32) ** (x / w)[:, :, None]
    return np.clip(image[:, :, :3] * light, 0.0, 1.0).astype(np.float32)


def run(job: Job) -> np.ndarray:
    task = job.task()
    for _ in task.steps():
        pass
    return task.results()[""]


def tiled(image: np.ndarray) -> Image.Image:
    grid = np.tile(image, (2, 2, 1))
    return Image.fromarray((np.clip(grid, 0, 1) * 255 + 0.5).astype(np.uint8)).resize((CELL, CELL), Image.LANCZOS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/photo_to_tile.jpg"))
    args = parser.parse_args()
    label = 22
    sheet = Image.new("RGB", (2 * CELL + 30, len(EXEMPLARS) * (CELL + label) + 10), "white")
    draw = ImageDraw.Draw(sheet)
    for row, stem in enumerate(EXEMPLARS):
        photo = lit(read_image(f"tests/data/{stem}.png"))
        result = run(Job("tile", (photo,), JobSettings(equalize=True)))
        y = row * (CELL + label) + 5
        draw.text((10, y), f"{stem}: photo tiled 2x2", fill="black")
        draw.text((CELL + 20, y), "equalized + made tileable, tiled 2x2", fill="black")
        sheet.paste(tiled(photo), (10, y + label - 4))
        sheet.paste(tiled(result), (CELL + 20, y + label - 4))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, quality=88)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
