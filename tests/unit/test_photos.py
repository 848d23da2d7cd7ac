from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from simreg.adapters.photos import EncryptedPhotoStore, PhotoRejected, verify_photo
from simreg.core.crypto import Cipher, DecryptionFailed

LIMITS = {"max_bytes": 2_000_000, "max_pixels": 4_000_000, "min_side": 64}


def picture(image_format: str, size: tuple[int, int] = (200, 120)) -> bytes:
    # Noise rather than a flat colour, so a JPEG cut in half really misses pixel data.
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims the given size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def rejection(data: bytes, **limits: int) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        verify_photo(data, **{**LIMITS, **limits})
    assert caught.value.message != PhotoRejected.default_message
    assert caught.value.message_zh != PhotoRejected.default_message_zh
    return caught.value


@pytest.fixture
def no_pixel_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
def test_valid_photo_is_described_by_what_was_decoded(image_format: str, content_type: str) -> None:
    data = picture(image_format)
    photo = verify_photo(data, **LIMITS)
    assert photo.content_type == content_type
    assert (photo.width, photo.height) == (200, 120)
    assert photo.size == len(data)
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.data == data
    assert "data=" not in repr(photo)


def test_multi_picture_jpeg_from_a_phone_camera_is_a_jpeg() -> None:
    first = Image.frombytes("RGB", (200, 120), os.urandom(200 * 120 * 3))
    out = io.BytesIO()
    first.save(out, format="MPO", save_all=True, append_images=[first.copy()])
    assert verify_photo(out.getvalue(), **LIMITS).content_type == "image/jpeg"


def test_empty_upload() -> None:
    assert rejection(b"").code == "PHOTO-EMPTY"


def test_text_is_not_an_image() -> None:
    assert rejection(b"Dear reviewer, please approve.").code == "PHOTO-NOT-IMAGE"


def test_gif_is_a_format_error() -> None:
    error = rejection(picture("GIF"))
    assert error.code == "PHOTO-FORMAT"
    assert error.details["format"] == "GIF"


def test_file_over_the_byte_limit_is_refused() -> None:
    data = picture("PNG")
    assert rejection(data, max_bytes=len(data) - 1).code == "PHOTO-TOO-LARGE"
    assert verify_photo(data, **{**LIMITS, "max_bytes": len(data)}).size == len(data)


def test_tiny_file_claiming_many_pixels_is_refused_from_its_header(
    no_pixel_decoding: None,
) -> None:
    data = png_header_only(5000, 5000)
    assert len(data) < 100
    error = rejection(data)
    assert error.code == "PHOTO-TOO-MANY-PIXELS"
    assert error.details["width"] == 5000


@pytest.mark.parametrize(
    "side",
    [
        10_000,  # over Pillow's limit: Pillow only warns, and the warning must not escape
        20_000,  # over twice Pillow's limit: Pillow raises DecompressionBombError
    ],
)
def test_pillow_bomb_limits_are_refusals_even_with_a_generous_pixel_limit(
    side: int, no_pixel_decoding: None
) -> None:
    error = rejection(png_header_only(side, side), max_pixels=10**12)
    assert error.code == "PHOTO-TOO-MANY-PIXELS"


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_truncated_file_is_not_an_image(image_format: str) -> None:
    data = picture(image_format)
    assert rejection(data[: len(data) // 2]).code == "PHOTO-NOT-IMAGE"


def test_photo_too_small_to_read_the_document() -> None:
    error = rejection(picture("PNG", (10, 10)))
    assert error.code == "PHOTO-TOO-SMALL"
    assert rejection(picture("PNG", (500, 63))).code == "PHOTO-TOO-SMALL"


# --- encrypted store


@pytest.fixture
def store(tmp_path: Path) -> EncryptedPhotoStore:
    return EncryptedPhotoStore(tmp_path, Cipher(os.urandom(32)))


def test_store_round_trip(store: EncryptedPhotoStore, tmp_path: Path) -> None:
    data = picture("PNG")
    key = store.put(data)
    assert len(key) == 32
    assert store.get(key) == data
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()] == [
        Path(key[:2]) / key
    ]


def test_file_on_disk_does_not_contain_the_photo(
    store: EncryptedPhotoStore, tmp_path: Path
) -> None:
    data = picture("PNG")
    key = store.put(data)
    on_disk = (tmp_path / key[:2] / key).read_bytes()
    assert data not in on_disk
    assert data[:64] not in on_disk
    assert b"PNG" not in on_disk


def test_tampered_file_fails_to_decrypt(store: EncryptedPhotoStore, tmp_path: Path) -> None:
    key = store.put(b"photo bytes")
    path = tmp_path / key[:2] / key
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(DecryptionFailed):
        store.get(key)


def test_file_copied_over_another_key_fails_to_decrypt(
    store: EncryptedPhotoStore, tmp_path: Path
) -> None:
    first, second = store.put(b"customer A"), store.put(b"customer B")
    (tmp_path / second[:2] / second).write_bytes((tmp_path / first[:2] / first).read_bytes())
    with pytest.raises(DecryptionFailed):
        store.get(second)


def test_another_key_cannot_read_the_store(tmp_path: Path) -> None:
    key = EncryptedPhotoStore(tmp_path, Cipher(os.urandom(32))).put(b"photo bytes")
    with pytest.raises(DecryptionFailed):
        EncryptedPhotoStore(tmp_path, Cipher(os.urandom(32))).get(key)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../../etc/passwd",
        "0" * 31,
        "0" * 33,
        "A" * 32,
        "g" * 32,
        "../" + "0" * 29,
        "0" * 32 + "\n",
    ],
)
def test_bad_key_strings_are_rejected(store: EncryptedPhotoStore, key: str) -> None:
    with pytest.raises(ValueError, match="32 lower-case hex"):
        store.get(key)
    with pytest.raises(ValueError, match="32 lower-case hex"):
        store.delete(key)


def test_delete(store: EncryptedPhotoStore) -> None:
    key = store.put(b"photo bytes")
    store.delete(key)
    store.delete(key)  # already gone is fine
    with pytest.raises(FileNotFoundError):
        store.get(key)


def test_perceptual_hash_matches_the_same_picture_and_tells_others_apart() -> None:
    import io

    from PIL import Image, ImageDraw

    from simreg.adapters.photos import verify_photo

    def picture(dark_side: str, size: tuple[int, int], fmt: str) -> bytes:
        image = Image.new("RGB", size, (230, 230, 230))
        half = size[0] // 2
        box = (half, 0, size[0], size[1]) if dark_side == "right" else (0, 0, half, size[1])
        ImageDraw.Draw(image).rectangle(box, fill=(0, 0, 0))
        buffer = io.BytesIO()
        image.save(buffer, format=fmt)
        return buffer.getvalue()

    limits = {"max_bytes": 1 << 22, "max_pixels": 10_000_000, "min_side": 16}
    same_a = verify_photo(picture("right", (200, 260), "PNG"), **limits).phash
    same_b = verify_photo(picture("right", (400, 520), "JPEG"), **limits).phash  # rescaled
    other = verify_photo(picture("left", (200, 260), "PNG"), **limits).phash
    assert len(same_a) == 16
    assert same_a == same_b
    assert other != same_a
