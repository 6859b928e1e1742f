"""Render the app icon, resources/icons/chat-rec.svg, to the files the packages use.

Writes resources/icons/hicolor/<N>x<N>/apps/chat-rec.png (Linux), chat-rec.ico (Windows) and
chat-rec.icns (macOS). Each size is drawn from the SVG by Qt's SVG renderer (QtSvg is in
PySide6-Essentials), not scaled down from a big bitmap, so the small sizes stay sharp.

    .venv/bin/python packaging/icons.py      # no display needed: Qt draws offscreen
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
NAME = "chat-rec"
HICOLOR_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Sizes up to this one go into the .ico as 32-bit bitmaps with a mask, which every Windows icon reader
# takes; bigger ones as PNG (Vista and later), which keeps the file small.
ICO_BITMAP_MAX = 48
# What Pillow's .icns writer stores: PNGs for 32 (16@2x) up to 1024 (512@2x).
ICNS_SIZES = (32, 64, 128, 256, 512, 1024)


def render(svg: Path, sizes: Iterable[int]) -> dict[int, Image.Image]:
    """Draw the SVG at each size (square, transparent background) with Qt; RGBA images by size."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not an SVG Qt can read")
    images: dict[int, Image.Image] = {}
    for size in sorted(set(sizes)):
        canvas = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        canvas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(canvas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        rgba = canvas.convertToFormat(QImage.Format.Format_RGBA8888)  # straight (not premultiplied) alpha
        images[size] = Image.frombuffer("RGBA", (size, size), bytes(rgba.constBits()), "raw", "RGBA",
                                        rgba.bytesPerLine(), 1).copy()
    return images


def png_bytes(image: Image.Image) -> bytes:
    """The image as a compact PNG."""
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _bitmap_entry(image: Image.Image) -> bytes:
    """An .ico entry as a bottom-up 32-bit BGRA DIB followed by its 1-bit AND mask (1 = transparent)."""
    width, height = image.size
    pixels = image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).tobytes("raw", "BGRA")
    alpha = image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).getchannel("A").tobytes()
    row_bytes = ((width + 31) // 32) * 4  # mask rows are padded to 32 bits
    mask = bytearray(row_bytes * height)
    for y in range(height):
        for x in range(width):
            if alpha[y * width + x] == 0:
                mask[y * row_bytes + x // 8] |= 0x80 >> (x % 8)
    header = struct.pack("<IiiHHIIiiII", 40, width, height * 2, 1, 32, 0, len(pixels) + len(mask), 0, 0, 0, 0)
    return header + pixels + bytes(mask)


def ico_bytes(images: dict[int, Image.Image], sizes: Sequence[int] = ICO_SIZES) -> bytes:
    """A Windows .ico holding every size: bitmaps up to ICO_BITMAP_MAX, PNG above."""
    entries = [(size, _bitmap_entry(images[size]) if size <= ICO_BITMAP_MAX else png_bytes(images[size]))
               for size in sorted(sizes)]
    directory = bytearray(struct.pack("<HHH", 0, 1, len(entries)))
    offset = 6 + 16 * len(entries)
    for size, data in entries:
        side = 0 if size >= 256 else size  # 0 means 256
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return bytes(directory) + b"".join(data for _size, data in entries)


def icns_bytes(images: dict[int, Image.Image]) -> bytes:
    """A macOS .icns (PNG entries from 32 to 1024 pixels) written by Pillow."""
    out = io.BytesIO()
    biggest = max(ICNS_SIZES)
    images[biggest].save(out, "ICNS", append_images=[images[size] for size in ICNS_SIZES if size != biggest])
    return out.getvalue()


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    temp.replace(path)


def generate(svg: Path, out_dir: Path) -> list[Path]:
    """Write the hicolor PNGs, the .ico and the .icns for the SVG under out_dir; return the paths written."""
    images = render(svg, (*HICOLOR_SIZES, *ICO_SIZES, *ICNS_SIZES))
    written: list[Path] = []
    for size in HICOLOR_SIZES:
        path = out_dir / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        _write(path, png_bytes(images[size]))
        written.append(path)
    for path, data in ((out_dir / f"{NAME}.ico", ico_bytes(images)), (out_dir / f"{NAME}.icns", icns_bytes(images))):
        _write(path, data)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Render the icon files; print each with its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--svg", type=Path, default=ICONS / f"{NAME}.svg", help="the icon (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ICONS, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.svg.is_file():
        print(f"icons: {args.svg} does not exist", file=sys.stderr)
        return 1
    for path in generate(args.svg, args.out):
        print(f"{path.stat().st_size:>8}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
