"""Mailfleet's composition root: CLI, processes, embedded services. The only package that imports every layer."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mailfleet")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+local"
