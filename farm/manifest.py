"""Write a GASS manifest for a folder of exemplars: one row per image.

    python -m farm.manifest textures/                        # textures/manifest.json
    python -m farm.manifest textures/ --size 1024 --quality high --output "out/{stem}_{seed}.png"

A manifest is a JSON file ``{"textures": [ROW, ...]}``; each ROW is one texture:

    {"inputs": ["bark.png"], "output": "out/bark.png", "seed": 0, "size": "1024", "quality": "standard"}

- ``inputs`` (required): the exemplar files (for ``tile`` and ``fill`` the image; for
  ``pbr`` one ``KIND=FILE,KIND=FILE`` set per material).
- ``output`` (required): the file to write; ``{seed}`` in it becomes the seed.
- ``job``: ``new`` (default), ``tile``, ``fill``, ``pbr`` or ``equalize``.
- ``seed``: a whole number (default 0); a job's Variations are added to it.
- Any other key is an option of the GASS command line, without its dashes:
  ``"size": "1024x512"``, ``"quality": "high"``, ``"weights": [0.7, 0.3]``,
  ``"regularity": "on"``, ``"detail": "ascent"``, ``"mask": "hole.png"``, ``"border": 0.1``, ``"alpha": true``.

Relative paths are relative to the manifest's folder. Rows count from 1 in the
job template's Rows parameter.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

#: Image files taken as exemplars (OpenEXR is read by ``blender -c gass`` only).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr")
TEMPLATE = Path(__file__).resolve().parent / "gass-textures.openjd.yaml"


def exemplars(folder: Path) -> list[Path]:
    """The image files directly in ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def manifest_rows(
    images: list[Path],
    base: Path,
    *,
    job: str = "new",
    output: str = "out/{stem}.png",
    seed: int = 0,
    options: dict[str, object] | None = None,
) -> list[dict[str, object]]:
    """One row per image: paths relative to ``base`` (the manifest's folder), ``{stem}`` in ``output``
    replaced by the image's name without its suffix, then ``options`` (command-line option -> value)."""
    rows: list[dict[str, object]] = []
    for image in images:
        row: dict[str, object] = {"inputs": [_relative(image, base)], "output": output.replace("{stem}", image.stem)}
        if job != "new":
            row = {"job": job, **row}
        rows.append({**row, "seed": seed, **(options or {})})
    return rows


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` with forward slashes, or absolute if it cannot be (another drive)."""
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def manifest_text(rows: list[dict[str, object]]) -> str:
    """The manifest file's JSON text, one row per line."""
    lines = ",\n".join(f"  {json.dumps(row)}" for row in rows)
    return f'{{"textures": [\n{lines}\n]}}\n'


def run_command(manifest: Path, count: int) -> str:
    """The ``openjd run`` line that runs every row of ``manifest`` on this machine."""
    template = Path(os.path.relpath(TEMPLATE)) if TEMPLATE.is_relative_to(Path.cwd()) else TEMPLATE
    words = ["openjd", "run", str(template), "-p", f"Folder={manifest.parent}", "-p", f"Rows=1-{count}"]
    if manifest.name != "manifest.json":
        words += ["-p", f"Manifest={manifest.name}"]
    return " ".join(words)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m farm.manifest",
        description="Write a GASS manifest (JSON, one row per texture) for the images in a folder.",
        epilog="Run it with farm/gass-textures.openjd.yaml; the format is in the README, 'On a render farm'.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="folder of exemplar images (not searched below)")
    parser.add_argument(
        "-o", "--manifest", type=Path, metavar="FILE", help="manifest to write (default: DIR/manifest.json)"
    )
    parser.add_argument(
        "--job",
        choices=("new", "tile", "equalize"),
        default="new",
        help="new: a new texture per exemplar (default); tile: each image made seamless; equalize: each image's "
        "lighting taken out",
    )
    parser.add_argument(
        "--output",
        default="out/{stem}.png",
        metavar="PATTERN",
        help="output of each row, relative to the manifest; {stem}: the image's name, {seed}: the seed "
        "(default out/{stem}.png)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every row (default 0)")
    parser.add_argument("--size", metavar="WxH", help="output size, e.g. 1024 or 2048x1024 (default: GASS's, 512)")
    parser.add_argument("--quality", choices=("draft", "standard", "high"), help="preset (default: standard)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Write the manifest; returns the exit code (2 with one line "gass: error: ..." on bad input)."""
    args = build_parser().parse_args(argv)
    folder: Path = args.folder
    if not folder.is_dir():
        print(f"gass: error: {str(folder)!r} is not a folder", file=sys.stderr)
        return 2
    images = exemplars(folder)
    if not images:
        print(f"gass: error: no images ({', '.join(IMAGE_SUFFIXES)}) in {str(folder)!r}", file=sys.stderr)
        return 2
    if args.job in ("tile", "equalize") and (args.size or args.quality):
        option = "--size" if args.size else "--quality"
        print(
            f"gass: error: {option} does not apply to {args.job} (it keeps the image's size and has no presets)",
            file=sys.stderr,
        )
        return 2
    options = {key: getattr(args, key) for key in ("size", "quality") if getattr(args, key) is not None}
    manifest: Path = args.manifest or folder / "manifest.json"
    rows = manifest_rows(images, manifest.parent, job=args.job, output=args.output, seed=args.seed, options=options)
    if not manifest.parent.is_dir():
        print(f"gass: error: the folder of {str(manifest)!r} does not exist", file=sys.stderr)
        return 2
    manifest.write_text(manifest_text(rows), encoding="utf-8")
    print(f"wrote {manifest}: {len(rows)} textures (rows 1-{len(rows)})")
    print(f"run them on this machine:\n  {run_command(manifest, len(rows))}")
    print('  (without Blender: add -p "Command=python -m core" with GASS on PYTHONPATH; see README, On a render farm)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
