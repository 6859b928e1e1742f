"""Artwork for cards: a cover found next to the item, else a generated placeholder tile.

The placeholder's colour comes from a hash of the item id, so an item keeps its colour between runs
and cards stay tellable apart at a glance. Loading real artwork never raises: a missing, unreadable
or corrupt image falls back to the placeholder.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QImageReader, QLinearGradient, QPainter, QPainterPath, QPixmap

from app.domain.items import Item

log = logging.getLogger(__name__)

# keys an importer may use in Item.attributes for a local image
IMAGE_ATTRIBUTES = ("artwork", "cover", "image", "poster", "art")
# the names music players and taggers conventionally give a folder's cover
COVER_NAMES = ("cover.jpg", "folder.jpg", "front.jpg", "cover.png", "folder.png", "front.png",
               "Cover.jpg", "Folder.jpg", "Front.jpg", "cover.jpeg", "albumart.jpg", "AlbumArt.jpg")
DOMAIN_WORDS = {"movie": "FILM", "music": "MUSIC", "product": "PRODUCT"}

_pixmaps: dict[tuple[str, int, float], QPixmap] = {}  # loaded covers by (path, size, dpr)
_MAX_CACHED = 256


def hue_of(item_id: str) -> int:
    """A stable hue (0-359) for an item id; Python's hash() is salted per run, so use sha1."""
    return int(hashlib.sha1(item_id.encode("utf-8", "surrogateescape")).hexdigest()[:8], 16) % 360


def initials(title: str) -> str:
    """Up to two initials from the title's first words, e.g. 'Pulp Fiction' -> 'PF', '2001' -> '20'."""
    words = [w for w in (part.strip("\"'([{<.,:;!?-") for part in title.split()) if w]
    skip = {"the", "a", "an", "le", "la", "les", "el", "der", "die", "das"}
    meaningful = [w for w in words if w.lower() not in skip] or words
    if not meaningful:
        return "?"
    if len(meaningful) == 1:
        word = meaningful[0]
        return (word[:2] if word[:2].isdigit() else word[:1]).upper()
    return (meaningful[0][:1] + meaningful[1][:1]).upper()


def placeholder(item: Item, size: int, dpr: float = 1.0) -> QPixmap:
    """A rounded tile coloured from the item id, with the title's initials and the domain's word."""
    pixmap = QPixmap(max(1, round(size * dpr)), max(1, round(size * dpr)))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    hue = hue_of(item.id)
    # mid lightness and moderate saturation: white text stays readable, and the tile neither glares
    # on a dark window nor disappears on a light one
    top, bottom = QColor.fromHsl(hue, 120, 118), QColor.fromHsl((hue + 24) % 360, 130, 84)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        rect = QRectF(0, 0, size, size)
        path = QPainterPath()
        path.addRoundedRect(rect, size * 0.14, size * 0.14)
        gradient = QLinearGradient(rect.topLeft(), rect.bottomRight())
        gradient.setColorAt(0.0, top)
        gradient.setColorAt(1.0, bottom)
        painter.fillPath(path, gradient)
        ink = QColor(255, 255, 255, 235)  # on a tile we coloured ourselves, not on a palette role
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(6, round(size * 0.36)))  # text scales with the tile, which scales with the font
        painter.setFont(font)
        painter.setPen(ink)
        painter.drawText(rect.adjusted(0, -size * 0.08, 0, -size * 0.08), Qt.AlignmentFlag.AlignCenter,
                         initials(item.title))
        word = DOMAIN_WORDS.get(item.domain, item.domain.upper())
        small = QFont()
        small.setPixelSize(max(5, round(size * 0.10)))
        small.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 115)
        small.setBold(True)
        painter.setFont(small)
        painter.setPen(QColor(255, 255, 255, 170))
        painter.drawText(rect.adjusted(0, 0, 0, -size * 0.10),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, word)
    finally:
        painter.end()
    return pixmap


def image_path(item: Item) -> Path | None:
    """The local image for an item: a path in its attributes, or a cover file beside a music track."""
    for key in IMAGE_ATTRIBUTES:
        value = item.attributes.get(key, "")
        if value and _is_file(value):
            return Path(value)
    if item.domain == "music" and item.source and "://" not in item.source:
        return _folder_cover(str(Path(item.source).parent))
    return None


def artwork_for(item: Item, size: int, dpr: float = 1.0) -> QPixmap:
    """The item's own artwork scaled to a rounded square of size, or its placeholder."""
    path = image_path(item)
    if path is None:
        return placeholder(item, size, dpr)
    key = (str(path), size, dpr)
    cached = _pixmaps.get(key)
    if cached is not None:
        return cached
    pixmap = _load(path, size, dpr)
    if pixmap is None:
        return placeholder(item, size, dpr)
    if len(_pixmaps) >= _MAX_CACHED:
        _pixmaps.clear()  # a simple bound: covers are cheap to reload, memory is not free
    _pixmaps[key] = pixmap
    return pixmap


def clear_cache() -> None:
    """Forget loaded covers and folder look-ups (after a library rescan, say)."""
    _pixmaps.clear()
    _folder_cover.cache_clear()


def _is_file(value: str) -> bool:
    try:
        return Path(value).is_file()
    except (OSError, ValueError):  # a path too long or with a NUL byte is simply not an image
        return False


@lru_cache(maxsize=1024)
def _folder_cover(folder: str) -> Path | None:
    """The first conventional cover file in a track's folder (cached: many tracks share a folder)."""
    for name in COVER_NAMES:
        candidate = Path(folder) / name
        if _is_file(str(candidate)):
            return candidate
    return None


def _load(path: Path, size: int, dpr: float) -> QPixmap | None:
    """Decode an image, cropped to a centred square with rounded corners; None when it cannot be read."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    source_size = reader.size()
    target = max(1, round(size * dpr))
    if source_size.isValid() and min(source_size.width(), source_size.height()) > 2 * target:
        # decoding at a reduced size is much faster for big JPEG covers
        scale = 2 * target / min(source_size.width(), source_size.height())
        reader.setScaledSize(QSize(max(1, round(source_size.width() * scale)),
                                   max(1, round(source_size.height() * scale))))
    image: QImage = reader.read()
    if image.isNull():
        log.info("artwork %s unreadable (%s); using the placeholder", path, reader.errorString())
        return None
    scaled = image.scaled(target, target, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                          Qt.TransformationMode.SmoothTransformation)
    x, y = (scaled.width() - target) // 2, (scaled.height() - target) // 2
    square = scaled.copy(x, y, target, target)
    pixmap = QPixmap(target, target)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(0, 0, target, target), target * 0.14, target * 0.14)
        painter.setClipPath(clip)
        painter.drawImage(0, 0, square)
    finally:
        painter.end()
    pixmap.setDevicePixelRatio(dpr)
    return pixmap
