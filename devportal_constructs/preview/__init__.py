"""The whole portal on this machine, on an embedded AWS emulation: ``devportal preview``."""

from .server import Preview, start_preview

__all__ = ["Preview", "start_preview"]
