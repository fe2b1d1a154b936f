"""Draws the default branding images in site/custom-content/ with the standard library alone.

    python site/make_default_images.py

Writes nav-logo.png, home-image.png, api-logos/default.png and favicon.ico (PNG-in-ICO, 16 and 32 px).
The output is deterministic, so running it again changes no byte unless the drawing changes.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

CONTENT = Path(__file__).resolve().parent / "custom-content"
Color = tuple[float, float, float, float]
Shader = Callable[[float, float], Color]

NAVY = (13, 35, 64)
BLUE = (31, 95, 191)
SKY = (86, 170, 255)
WHITE = (255, 255, 255)


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def render(width: int, height: int, shader: Shader, samples: int = 2) -> bytes:
    """Rasterize `shader` (u, v in 0..1 -> premultiplied-free RGBA 0..255) with supersampling."""
    rows = []
    step = 1 / samples
    for y in range(height):
        row = bytearray()
        for x in range(width):
            total = [0.0, 0.0, 0.0, 0.0]
            for sy in range(samples):
                for sx in range(samples):
                    u = (x + (sx + 0.5) * step) / width
                    v = (y + (sy + 0.5) * step) / height
                    r, g, b, a = shader(u, v)
                    total[0] += r * a
                    total[1] += g * a
                    total[2] += b * a
                    total[3] += a
            alpha = total[3] / samples**2
            if total[3] > 0:
                row += bytes(round(min(255, c / total[3])) for c in total[:3])
            else:
                row += b"\x00\x00\x00"
            row.append(round(min(255, alpha * 255)))
        rows.append(bytes(row))
    return _png(width, height, rows)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[float, float, float]:
    t = max(0.0, min(1.0, t))
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _rounded_square(u: float, v: float, radius: float) -> bool:
    dx = max(abs(u - 0.5) - (0.5 - radius), 0.0)
    dy = max(abs(v - 0.5) - (0.5 - radius), 0.0)
    return dx * dx + dy * dy <= radius * radius


def _braces(u: float, v: float, weight: float) -> bool:
    """A pair of angle brackets, "< >", the portal's mark."""
    for side in (-1, 1):
        cx = 0.5 + side * 0.2
        tip = cx + side * 0.12
        for sign in (-1, 1):
            x0, y0, x1, y1 = tip, 0.5, cx, 0.5 + sign * 0.2
            px, py = u - x0, v - y0
            dx, dy = x1 - x0, y1 - y0
            t = max(0.0, min(1.0, (px * dx + py * dy) / (dx * dx + dy * dy)))
            if math.hypot(px - t * dx, py - t * dy) <= weight:
                return True
    return False


def logo(u: float, v: float) -> Color:
    if not _rounded_square(u, v, 0.2):
        return (0, 0, 0, 0)
    if _braces(u, v, 0.055):
        return (*WHITE, 1.0)
    return (*_mix(BLUE, NAVY, (u + v) / 2), 1.0)


_NODES = [(0.18, 0.32), (0.38, 0.62), (0.52, 0.28), (0.7, 0.55), (0.86, 0.3), (0.6, 0.82), (0.28, 0.85)]
_EDGES = [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4), (1, 5), (3, 5), (1, 6), (2, 4)]


def _segment_distance(u: float, v: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    px, py = u - a[0], v - a[1]
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = max(0.0, min(1.0, (px * dx + py * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - t * dx, py - t * dy)


def hero(u: float, v: float) -> Color:
    # 16:9 image; work in a square-ish space so circles stay round.
    x, y = u * 16 / 9, v
    background = _mix(NAVY, BLUE, 0.35 + 0.65 * u * (1 - v * 0.5))
    color: tuple[float, float, float] = background
    for a, b in _EDGES:
        start, end = _NODES[a], _NODES[b]
        if _segment_distance(x, y, (start[0] * 16 / 9, start[1]), (end[0] * 16 / 9, end[1])) < 0.006:
            color = _mix(color, SKY, 0.6)
    for index, (nx, ny) in enumerate(_NODES):
        distance = math.hypot(x - nx * 16 / 9, y - ny)
        size = 0.045 if index % 2 else 0.06
        if distance < size:
            color = _mix(SKY, WHITE, 0.3 if index % 3 else 0.8)
        elif distance < size + 0.03:
            color = _mix(color, SKY, 0.25 * (1 - (distance - size) / 0.03))
    return (*color, 1.0)


def api_logo(u: float, v: float) -> Color:
    # A hexagon, the usual shape of an API, with the portal's mark.
    x, y = abs(u - 0.5), abs(v - 0.5)
    if not (y <= 0.44 and x * 0.866 + y * 0.5 <= 0.44 * 0.866 + 0.01):
        return (0, 0, 0, 0)
    if _braces(0.5 + (u - 0.5) * 1.25, 0.5 + (v - 0.5) * 1.25, 0.06):
        return (*WHITE, 1.0)
    return (*_mix(SKY, BLUE, v), 1.0)


def icon(images: list[tuple[int, bytes]]) -> bytes:
    """An ICO holding PNG images (supported by every current browser)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, data = b"", b""
    for size, png in images:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    return header + entries + data


def main() -> None:
    (CONTENT / "api-logos").mkdir(parents=True, exist_ok=True)
    (CONTENT / "nav-logo.png").write_bytes(render(64, 64, logo, samples=3))
    (CONTENT / "home-image.png").write_bytes(render(640, 360, hero))
    (CONTENT / "api-logos" / "default.png").write_bytes(render(128, 128, api_logo, samples=3))
    (CONTENT / "favicon.ico").write_bytes(icon([(16, render(16, 16, logo, 4)), (32, render(32, 32, logo, 4))]))


if __name__ == "__main__":
    main()
