"""Tests in the real Blender (the bpy module): see conftest.py."""
