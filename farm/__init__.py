"""GASS on a render farm: an Open Job Description job template and its manifests.

- ``gass-textures.openjd.yaml``: the job template, one task per texture (manifest row x variation).
- ``manifest.py``: ``python -m farm.manifest DIR`` writes a manifest for a folder of exemplars.
- ``run_row.py``: what each task runs (embedded in the template; ``python -m farm.template`` refreshes the copy).
- ``flamenco/gass-textures.js``: an untested sketch of the same job as a Flamenco job type.

See the README, "On a render farm".
"""
