"""Document photos (RN-03): check an upload really is a photo, then keep it encrypted.

Uploads come from outlet devices and the web shop, so every byte is untrusted: the size is
checked before parsing, the pixel count from the header before decoding (decompression
bombs), and the content type is what Pillow decoded, never what the client claimed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from simreg.core.crypto import Cipher
from simreg.core.errors import InvalidInput

# MPO is how Pillow names the multi-picture JPEGs many phone cameras write.
_CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}

_MESSAGES: dict[str, tuple[str, str]] = {
    "PHOTO-EMPTY": ("The photo is empty; take it again.", "照片为空，请重新拍摄。"),
    "PHOTO-TOO-LARGE": (
        "The photo file is too large; take it again at a lower resolution.",
        "照片文件过大，请降低分辨率后重新拍摄。",
    ),
    "PHOTO-NOT-IMAGE": (
        "The file is not a readable image (it may be damaged or incomplete); take it again.",
        "文件不是可读取的图片（可能已损坏或不完整），请重新拍摄。",
    ),
    "PHOTO-FORMAT": (
        "The photo must be a JPEG, PNG or WebP image.",
        "照片格式必须为 JPEG、PNG 或 WebP。",
    ),
    "PHOTO-TOO-MANY-PIXELS": (
        "The photo has too many pixels; take it again at a lower resolution.",
        "照片像素过多，请降低分辨率后重新拍摄。",
    ),
    "PHOTO-TOO-SMALL": (
        "The photo is too small to read the document; take it again closer.",
        "照片尺寸过小，无法看清证件，请靠近后重新拍摄。",
    ),
}


class PhotoRejected(InvalidInput):
    code = "PHOTO-INVALID"
    default_message = "The photo was rejected."
    default_message_zh = "照片未通过检查。"

    def __init__(self, code: str, **details: Any) -> None:
        message, message_zh = _MESSAGES[code]
        super().__init__(message, code=code, message_zh=message_zh, **details)


@dataclass(frozen=True, repr=False)
class VerifiedPhoto:
    content_type: str
    width: int
    height: int
    size: int
    sha256: str
    data: bytes
    # Difference hash (64 bits, hex) of the decoded picture: near-identical images share it,
    # so one portrait reused for different documents shows up (a black-card pattern).
    phash: str = ""

    def __repr__(self) -> str:
        # The bytes are a picture of someone's ID; keep them out of logs and tracebacks.
        return (
            f"VerifiedPhoto(content_type={self.content_type!r}, width={self.width}, "
            f"height={self.height}, size={self.size}, sha256={self.sha256!r})"
        )


def verify_photo(data: bytes, *, max_bytes: int, max_pixels: int, min_side: int) -> VerifiedPhoto:
    if not data:
        raise PhotoRejected("PHOTO-EMPTY")
    if len(data) > max_bytes:
        raise PhotoRejected("PHOTO-TOO-LARGE", size=len(data), max_bytes=max_bytes)
    # Pillow warns (rather than raises) on images between its two bomb limits. Recording
    # keeps that and any other decoder warning from escaping to the caller, and the bomb
    # warning is then treated as the refusal it stands for, before any pixel is decoded.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image_format, width, height = _read_header(data, max_pixels)
        if any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught):
            raise PhotoRejected("PHOTO-TOO-MANY-PIXELS", max_pixels=max_pixels)
        content_type = _CONTENT_TYPES.get(image_format)
        if content_type is None:
            raise PhotoRejected("PHOTO-FORMAT", format=image_format)
        if width * height > max_pixels:
            raise PhotoRejected(
                "PHOTO-TOO-MANY-PIXELS", width=width, height=height, max_pixels=max_pixels
            )
        if min(width, height) < min_side:
            raise PhotoRejected("PHOTO-TOO-SMALL", width=width, height=height, min_side=min_side)
        phash = _decode_pixels(data, image_format)
    return VerifiedPhoto(
        content_type=content_type,
        width=width,
        height=height,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        phash=phash,
    )


def _read_header(data: bytes, max_pixels: int) -> tuple[str, int, int]:
    """Format and size from the header alone: Image.open does not decode pixels."""
    try:
        with Image.open(io.BytesIO(data)) as header:
            return header.format or "", header.size[0], header.size[1]
    except Image.DecompressionBombError:
        raise PhotoRejected("PHOTO-TOO-MANY-PIXELS", max_pixels=max_pixels) from None
    except Exception:
        # Parsers of hostile bytes fail in many ways (OSError, ValueError, SyntaxError,
        # struct.error...); to the clerk every one of them means "not a readable image".
        raise PhotoRejected("PHOTO-NOT-IMAGE") from None


def _decode_pixels(data: bytes, image_format: str) -> str:
    # Re-opening with only the decoded format keeps the other plugins away from these
    # bytes; MPO has no opener of its own, the JPEG one recognises it.
    formats = ["JPEG" if image_format == "MPO" else image_format]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.verify()
        # verify() checks structure only and leaves the image unusable; decoding every pixel
        # is what catches a file cut short in transfer.
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.load()
            return difference_hash(image)
    except Exception:
        raise PhotoRejected("PHOTO-NOT-IMAGE") from None


def difference_hash(image: Image.Image) -> str:
    """dHash: shrink to 9x8 grey, one bit per horizontal brightness step, as 16 hex digits."""
    small = image.convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    pixels = small.tobytes()  # one byte per grey pixel, row by row
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return f"{bits:016x}"


_KEY = re.compile(r"[0-9a-f]{32}")


class EncryptedPhotoStore:
    """Photos on disk, one AES-GCM file each under ``root/<first two of key>/<key>``.

    The key is bound into the ciphertext, so a file copied over another key fails to decrypt.
    A missing file raises FileNotFoundError from ``get``.
    """

    def __init__(self, root: Path, cipher: Cipher) -> None:
        self._root = root
        self._cipher = cipher

    def put(self, data: bytes) -> str:
        key = uuid.uuid4().hex
        target = self._path(key)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        sealed = self._cipher.encrypt(data, purpose=f"photo:{key}")
        # Temp file in the same directory so os.replace is an atomic rename: a reader never
        # sees half a photo, and a crash leaves at most a stray temp file.
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        _fsync_directory(target.parent)
        return key

    def get(self, key: str) -> bytes:
        blob = self._path(key).read_bytes()
        return self._cipher.decrypt(blob, purpose=f"photo:{key}")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        # The key reaches us from requests and database rows; only our own shape may
        # become a path, so nothing like "../" can leave the root.
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError("photo key must be 32 lower-case hex characters")
        return self._root / key[:2] / key


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; platforms that cannot open a directory skip it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
