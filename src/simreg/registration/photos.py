"""Photos of a registration: checked before the transaction, stored inside it, and deleted
again if the transaction does not commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from simreg.core.errors import InvalidInput
from simreg.core.photos import CheckedPhoto, PhotoStore
from simreg.policy.rules import PhotoKind
from simreg.registration.ports import StoredPhoto


def check_photos(
    check_photo: Callable[[bytes], CheckedPhoto], raw: Mapping[str, bytes]
) -> dict[PhotoKind, CheckedPhoto]:
    checked: dict[PhotoKind, CheckedPhoto] = {}
    for kind_name, data in raw.items():
        try:
            kind = PhotoKind(kind_name)
        except ValueError as exc:
            raise InvalidInput(
                f"Unknown photo '{kind_name}'; send front, back or portrait.",
                code="PHOTO-KIND",
                message_zh="未知照片类型，请上传证件正面、背面或客户人像。",
            ) from exc
        try:
            checked[kind] = check_photo(data)
        except InvalidInput as refused:
            # Three photos are sent at once: say which one to take again.
            en, zh = _PHOTO_NAMES[kind]
            raise InvalidInput(
                f"{en}: {refused.message}",
                code=refused.code,
                message_zh=f"{zh}：{refused.message_zh}",
                **{**refused.details, "photo": kind.value},
            ) from refused
    return checked


_PHOTO_NAMES = {
    PhotoKind.FRONT: ("Front of the document", "证件正面"),
    PhotoKind.BACK: ("Back of the document", "证件背面"),
    PhotoKind.PORTRAIT: ("Portrait", "本人人像"),
}


def store_photos(
    store: PhotoStore, photos: Mapping[PhotoKind, CheckedPhoto], written: list[str]
) -> list[StoredPhoto]:
    """Encrypt each photo to its file; ``written`` collects keys for clean-up on rollback."""
    stored = []
    for kind, photo in sorted(photos.items()):
        key = store.put(photo.data)
        written.append(key)
        stored.append(
            StoredPhoto(
                kind.value,
                key,
                photo.content_type,
                photo.width,
                photo.height,
                photo.size,
                photo.sha256,
                photo.phash,
            )
        )
    return stored
