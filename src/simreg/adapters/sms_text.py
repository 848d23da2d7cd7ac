"""Reading SMS as an SMSC receives them: the data coding schemes of SMPP 3.4 and the user data
header of concatenated messages (3GPP TS 23.040)."""

from __future__ import annotations

from dataclasses import dataclass

# The GSM 03.38 default alphabet, one character per septet value (0x1B escapes to the table
# below). Written out from the standard.
GSM_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
assert len(GSM_DEFAULT) == 128

UDHI = 0x40  # esm_class bit: the short message starts with a user data header


def decode_gsm(septets: bytes) -> str:
    """Unpacked GSM 7-bit (one septet per octet, as SMPP carries it)."""
    out: list[str] = []
    escaped = False
    for value in septets:
        if escaped:
            out.append(GSM_EXTENSION.get(value, " "))
            escaped = False
        elif value == 0x1B:
            escaped = True
        else:
            out.append(GSM_DEFAULT[value & 0x7F])
    return "".join(out)


def decode_text(data: bytes, data_coding: int) -> str:
    coding = data_coding & 0x0F if data_coding & 0xF0 == 0 else data_coding
    if coding == 0x08:
        return data.decode("utf-16-be", "replace")
    if coding == 0x03:
        return data.decode("latin-1")
    if coding == 0x01:
        return data.decode("ascii", "replace")
    return decode_gsm(data)


@dataclass(frozen=True)
class Part:
    """One submitted short message: its text, and where it belongs if it is one of several."""

    payload: bytes
    reference: int | None = None
    total: int = 1
    number: int = 1


def split_header(short_message: bytes, esm_class: int) -> Part:
    """Strip a concatenation header (8-bit or 16-bit reference) if there is one."""
    if not esm_class & UDHI or not short_message:
        return Part(short_message)
    length = short_message[0]
    header, payload = short_message[1 : 1 + length], short_message[1 + length :]
    at = 0
    while at + 2 <= len(header):
        element, size = header[at], header[at + 1]
        value = header[at + 2 : at + 2 + size]
        if element == 0x00 and size == 3:
            return Part(payload, value[0], value[1], value[2])
        if element == 0x08 and size == 4:
            return Part(payload, int.from_bytes(value[:2], "big"), value[2], value[3])
        at += 2 + size
    return Part(payload)
