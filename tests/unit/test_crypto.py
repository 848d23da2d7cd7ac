"""Identity data at rest: what one key encrypts only that key and purpose can read back, and
the blind index finds equal documents without revealing them."""

from __future__ import annotations

import base64

import pytest

from simreg.core.crypto import (
    KEY_VERSION,
    BlindIndex,
    Cipher,
    DecryptionFailed,
    IdentityVault,
    decode_master_key,
    generate_master_key,
)
from simreg.core.errors import ConfigurationError

RESIDENT_ID = "11010519491231002X"
NAME = "张三"


@pytest.fixture(scope="module")
def vault() -> IdentityVault:
    return IdentityVault(decode_master_key(generate_master_key()))


@pytest.fixture(scope="module")
def other_vault() -> IdentityVault:
    return IdentityVault(decode_master_key(generate_master_key()))


# --- encryption


@pytest.mark.parametrize("text", [RESIDENT_ID, NAME, "", "a" * 10_000, "emoji 🙂 and 中文"])
def test_text_round_trips(vault: IdentityVault, text: str) -> None:
    blob = vault.fields.encrypt_text(text, "customer.name")
    assert vault.fields.decrypt_text(blob, "customer.name") == text


def test_bytes_round_trip_for_files(vault: IdentityVault) -> None:
    photo = bytes(range(256)) * 40
    assert vault.files.decrypt(vault.files.encrypt(photo, "photo"), "photo") == photo


def test_ciphertext_does_not_contain_the_plaintext(vault: IdentityVault) -> None:
    blob = vault.fields.encrypt_text(RESIDENT_ID, "document.number")
    assert RESIDENT_ID.encode() not in blob
    assert blob[0] == KEY_VERSION


def test_same_plaintext_encrypts_differently_each_time(vault: IdentityVault) -> None:
    blobs = {vault.fields.encrypt_text(RESIDENT_ID, "document.number") for _ in range(20)}
    assert len(blobs) == 20


def test_a_name_cannot_be_decrypted_as_a_document_number(vault: IdentityVault) -> None:
    blob = vault.fields.encrypt_text(NAME, "customer.name")
    with pytest.raises(DecryptionFailed):
        vault.fields.decrypt_text(blob, "document.number")


def test_every_tampered_byte_is_detected(vault: IdentityVault) -> None:
    blob = vault.fields.encrypt_text(RESIDENT_ID, "document.number")
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionFailed):
            vault.fields.decrypt(bytes(tampered), "document.number")


@pytest.mark.parametrize("cut", [0, 1, 13, 28])
def test_truncated_ciphertext_is_refused(vault: IdentityVault, cut: int) -> None:
    blob = vault.fields.encrypt_text(RESIDENT_ID, "document.number")
    with pytest.raises(DecryptionFailed):
        vault.fields.decrypt(blob[:cut], "document.number")


def test_another_master_key_cannot_decrypt(
    vault: IdentityVault, other_vault: IdentityVault
) -> None:
    blob = vault.fields.encrypt_text(RESIDENT_ID, "document.number")
    with pytest.raises(DecryptionFailed):
        other_vault.fields.decrypt_text(blob, "document.number")


def test_field_and_file_keys_are_separate(vault: IdentityVault) -> None:
    blob = vault.fields.encrypt(b"secret", "photo")
    with pytest.raises(DecryptionFailed):
        vault.files.decrypt(blob, "photo")


def test_the_same_master_key_reads_what_it_wrote_after_a_restart() -> None:
    key = generate_master_key()
    blob = IdentityVault(decode_master_key(key)).fields.encrypt_text(NAME, "customer.name")
    assert IdentityVault(decode_master_key(key)).fields.decrypt_text(blob, "customer.name") == NAME


# --- blind index


def test_blind_index_is_deterministic(vault: IdentityVault) -> None:
    assert vault.index.digest(RESIDENT_ID) == vault.index.digest(RESIDENT_ID)
    assert vault.index.digest(RESIDENT_ID) != vault.index.digest("11010519491231003X")


def test_blind_index_does_not_reveal_the_value(vault: IdentityVault) -> None:
    digest = vault.index.digest(RESIDENT_ID)
    assert RESIDENT_ID not in digest
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_blind_index_differs_across_master_keys(
    vault: IdentityVault, other_vault: IdentityVault
) -> None:
    assert vault.index.digest(RESIDENT_ID) != other_vault.index.digest(RESIDENT_ID)


def test_index_and_token_keys_differ(vault: IdentityVault) -> None:
    assert vault.index.digest(RESIDENT_ID) != vault.tokens.digest(RESIDENT_ID)


def test_derived_keys_are_not_the_master_key() -> None:
    master = decode_master_key(generate_master_key())
    vault = IdentityVault(master)
    assert vault.index.digest(RESIDENT_ID) != BlindIndex(master).digest(RESIDENT_ID)
    with pytest.raises(DecryptionFailed):
        vault.fields.decrypt(Cipher(master).encrypt(b"x", "p"), "p")


# --- master key


def test_generated_master_key_decodes_to_32_bytes() -> None:
    key = generate_master_key()
    assert len(decode_master_key(key)) == 32
    assert generate_master_key() != key


def test_master_key_surrounding_whitespace_is_ignored() -> None:
    key = generate_master_key()
    assert decode_master_key(f"  {key}\n") == decode_master_key(key)


@pytest.mark.parametrize(
    "encoded",
    [
        "not base64!!",
        "abc",
        "ключ",
        "密钥",
    ],
)
def test_master_key_that_is_not_base64_is_refused(encoded: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        decode_master_key(encoded)
    assert caught.value.code == "CONFIGURATION"
    assert "base64" in caught.value.message


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_master_key_of_the_wrong_length_is_refused(length: int) -> None:
    encoded = base64.urlsafe_b64encode(b"k" * length).decode()
    with pytest.raises(ConfigurationError) as caught:
        decode_master_key(encoded)
    assert "32 bytes" in caught.value.message
