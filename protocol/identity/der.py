"""A minimal DER reader for X.509 TBSCertificates, as the Auto ID host functions read them.

sp-auto-id `host_functions.rs` `decode_tbs_certificate` parses the submitted TBSCertificate with x509-parser
(`TbsCertificate::from_der`) and keeps four things: the serial, the validity in milliseconds, the raw content octets
of the subject's first commonName and the raw SubjectPublicKeyInfo TLV. This module reads the same structure by
hand, with x509-parser's leniency where it is known (der-parser `parse_der_container` ignores what follows the
fields it reads inside a SEQUENCE; the RDN list stops at the first malformed RDN; the serial is read unsigned):

- bytes after the TBSCertificate SEQUENCE are ignored (they stay part of the signed and stored bytes);
- long-form lengths need not be minimal (up to 8 length octets); indefinite lengths are refused;
- the serial is the INTEGER's content read as unsigned big-endian (a "negative" encoding becomes a large number);
  a value of 2^256 or more is refused (U256::from_big_endian asserts 32 bytes upstream);
- times are UTCTime (YYMMDDhhmm[ss] then Z or +-hhmm; YY < 50 is 20YY) or GeneralizedTime (YYYYMMDDhhmm[ss][.f{0,3}]Z),
  read as asn1-rs reads them, then `unix_seconds * 1000 + millisecond`; a time before 1970 is refused (the u64
  cast and the checked multiplication fail upstream);
- version, the inner signature algorithm, the issuer, the unique ids and the extensions are parsed for structure
  only; their values are never checked.

Where x509-parser's behaviour was not verified (the extensions envelope, tag classes), this reader is strict.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.errors import DecodeError

# ---- errors (to move to protocol/errors.py) ----


class InvalidCertificateEncoding(DecodeError):
    """DER bytes that are not a TBSCertificate (or Certificate, AlgorithmIdentifier, SPKI) as x509-parser reads them."""


# ---- tags and object identifiers ----

TAG_BOOLEAN: Final = 0x01
TAG_INTEGER: Final = 0x02
TAG_BIT_STRING: Final = 0x03
TAG_OCTET_STRING: Final = 0x04
TAG_OBJECT_IDENTIFIER: Final = 0x06
TAG_UTC_TIME: Final = 0x17
TAG_GENERALIZED_TIME: Final = 0x18
TAG_SEQUENCE: Final = 0x30
TAG_SET: Final = 0x31
TAG_VERSION: Final = 0xA0  # [0] EXPLICIT Version
TAG_ISSUER_UNIQUE_ID: Final = 0x81  # [1] IMPLICIT BIT STRING
TAG_SUBJECT_UNIQUE_ID: Final = 0x82  # [2] IMPLICIT BIT STRING
TAG_EXTENSIONS: Final = 0xA3  # [3] EXPLICIT Extensions

OID_COMMON_NAME: Final = bytes.fromhex("550403")  # 2.5.4.3, content octets
MAX_SERIAL: Final = (1 << 256) - 1
MAX_MOMENT: Final = (1 << 64) - 1
_MAX_LENGTH_OCTETS: Final = 8
_MAX_TAG_OCTETS: Final = 5


@dataclass(frozen=True, slots=True)
class TbsCertificate:
    """What the pallet keeps of a TBSCertificate (sp-auto-id `TbsCertificate`: serial, CN, SPKI, validity; plus the bytes)."""

    serial: int
    """The serialNumber content read as an unsigned big-endian integer (< 2^256)."""
    not_before_ms: int
    not_after_ms: int
    subject_common_name: bytes
    """Raw content octets of the subject's first commonName (a BMPString gives UTF-16BE bytes)."""
    subject_public_key_info: bytes
    """The SubjectPublicKeyInfo TLV exactly as it appears in the TBS."""
    raw: bytes
    """The bytes given, trailing bytes included: what is signed and what the pallet stores."""


@dataclass(frozen=True, slots=True)
class Element:
    """One TLV inside a byte string: identifier octets, and where its header, content and end lie."""

    tag: int
    """The identifier octets as a big-endian integer (0x30 for SEQUENCE; high tag numbers keep every octet)."""
    start: int
    content_start: int
    end: int

    def content(self, data: bytes) -> bytes:
        return data[self.content_start : self.end]

    def encoding(self, data: bytes) -> bytes:
        return data[self.start : self.end]


def _fail(message: str) -> InvalidCertificateEncoding:
    return InvalidCertificateEncoding(message)


def read_element(data: bytes, offset: int, limit: int) -> Element:
    """The TLV at `offset`, which must end by `limit` (definite lengths only; long forms need not be minimal)."""
    position = offset
    if position >= limit:
        raise _fail(f"expected a TLV at offset {offset}, found the end")
    tag = data[position]
    position += 1
    if tag & 0x1F == 0x1F:  # high tag number form: base-128 continuation octets
        for _ in range(_MAX_TAG_OCTETS):
            if position >= limit:
                raise _fail("truncated tag")
            tag = (tag << 8) | data[position]
            position += 1
            if not data[position - 1] & 0x80:
                break
        else:
            raise _fail("tag number too long")
    if position >= limit:
        raise _fail("truncated length")
    first_length_octet = data[position]
    position += 1
    if first_length_octet < 0x80:
        length = first_length_octet
    elif first_length_octet == 0x80:
        raise _fail("indefinite length")
    else:
        count = first_length_octet & 0x7F
        if count > _MAX_LENGTH_OCTETS or position + count > limit:
            raise _fail("bad long-form length")
        length = int.from_bytes(data[position : position + count], "big")
        position += count
    if length > limit - position:
        raise _fail(f"TLV at offset {offset} needs {length} content bytes, {limit - position} remain")
    return Element(tag, offset, position, position + length)


def read_single(data: bytes, tag: int, what: str) -> Element:
    """The TLV at the start of `data`, which must carry `tag` (bytes after it are allowed and ignored)."""
    element = read_element(data, 0, len(data))
    _expect_tag(element, tag, what)
    return element


def iterate_elements(data: bytes, start: int, end: int) -> Iterator[Element]:
    """Every TLV from `start` to exactly `end`."""
    position = start
    while position < end:
        element = read_element(data, position, end)
        yield element
        position = element.end


def _expect_tag(element: Element, tag: int, what: str) -> None:
    if element.tag != tag:
        raise _fail(f"{what}: expected tag {tag:#x}, got {element.tag:#x}")


class _Cursor:
    """Reads the TLVs of one container's content in order."""

    __slots__ = ("data", "end", "position")

    def __init__(self, data: bytes, container: Element) -> None:
        self.data = data
        self.position = container.content_start
        self.end = container.end

    def at_end(self) -> bool:
        return self.position >= self.end

    def peek_tag(self) -> int | None:
        return None if self.at_end() else self.data[self.position]

    def next_any(self) -> Element:
        element = read_element(self.data, self.position, self.end)
        self.position = element.end
        return element

    def next(self, tag: int, what: str) -> Element:
        element = self.next_any()
        _expect_tag(element, tag, what)
        return element


# ---- object identifiers and algorithm identifiers ----


def decode_object_identifier(content: bytes) -> str:
    """The dotted form of an OBJECT IDENTIFIER's content octets."""
    if len(content) == 0 or content[-1] & 0x80:
        raise _fail("malformed object identifier")
    arcs: list[int] = []
    value = 0
    for octet in content:
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def encode_object_identifier(dotted: str) -> bytes:
    """The content octets of the OBJECT IDENTIFIER `dotted` (for example "2.5.4.3" -> 550403)."""
    arcs = [int(arc) for arc in dotted.split(".")]
    encoded = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc > 0:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        encoded.extend(reversed(chunk))
    return bytes(encoded)


def parse_algorithm_identifier_raw(der: bytes) -> tuple[bytes, bytes | None]:
    """An AlgorithmIdentifier's OID content octets and its parameters TLV (None when absent); anything after the
    parameters, inside or after the SEQUENCE, is ignored (x509-parser `AlgorithmIdentifier::from_der`)."""
    return _read_algorithm_identifier(der, read_single(der, TAG_SEQUENCE, "AlgorithmIdentifier"))


def parse_algorithm_identifier(der: bytes) -> tuple[str, bytes | None]:
    """An AlgorithmIdentifier's dotted OID and its parameters TLV (None when absent)."""
    oid, parameters = parse_algorithm_identifier_raw(der)
    return decode_object_identifier(oid), parameters


def _read_algorithm_identifier(data: bytes, element: Element) -> tuple[bytes, bytes | None]:
    cursor = _Cursor(data, element)
    oid = cursor.next(TAG_OBJECT_IDENTIFIER, "algorithm").content(data)
    if len(oid) == 0:
        raise _fail("empty algorithm object identifier")
    if cursor.at_end():
        return oid, None
    return oid, cursor.next_any().encoding(data)


def read_bit_string(data: bytes, element: Element) -> tuple[int, bytes]:
    """A primitive BIT STRING's unused-bit count and its data octets."""
    _expect_tag(element, TAG_BIT_STRING, "BIT STRING")
    return _bit_string_parts(element.content(data))


def _bit_string_parts(content: bytes) -> tuple[int, bytes]:
    if len(content) == 0 or content[0] > 7 or (content[0] != 0 and len(content) == 1):
        raise _fail("malformed BIT STRING")
    return content[0], content[1:]


def parse_subject_public_key_info(der: bytes) -> tuple[bytes, bytes | None, bytes]:
    """A SubjectPublicKeyInfo's algorithm OID content octets, algorithm parameters TLV and key bits (the BIT STRING
    data, unused-bit count dropped, as x509-parser's `as_raw_slice`); bytes after the key are ignored."""
    element = read_single(der, TAG_SEQUENCE, "SubjectPublicKeyInfo")
    oid, parameters, key = _read_subject_public_key_info(der, element)
    return oid, parameters, key


def _read_subject_public_key_info(data: bytes, element: Element) -> tuple[bytes, bytes | None, bytes]:
    cursor = _Cursor(data, element)
    oid, parameters = _read_algorithm_identifier(data, cursor.next(TAG_SEQUENCE, "SPKI algorithm"))
    _unused_bits, key = read_bit_string(data, cursor.next(TAG_BIT_STRING, "subjectPublicKey"))
    return oid, parameters, key


# ---- times (asn1-rs UtcTime / GeneralizedTime, x509-parser ASN1Time, sp-auto-id Validity) ----


def _two_digits(text: bytes, offset: int) -> int:
    pair = text[offset : offset + 2]
    if len(pair) != 2 or not (0x30 <= pair[0] <= 0x39 and 0x30 <= pair[1] <= 0x39):
        raise _fail("time: expected two decimal digits")
    return (pair[0] - 0x30) * 10 + pair[1] - 0x30


def _read_seconds(text: bytes) -> tuple[int, bytes]:
    """asn1-rs: seconds are read when at least two bytes remain, else they are 0."""
    if len(text) >= 2:
        return _two_digits(text, 0), text[2:]
    return 0, text


def _read_zone(text: bytes) -> int:
    """The zone suffix as an offset in seconds east of UTC: `Z`, `+hhmm` or `-hhmm` (time::UtcOffset::from_hms)."""
    if text == b"Z":
        return 0
    if len(text) == 5 and text[0] in b"+-":
        hours, minutes = _two_digits(text, 1), _two_digits(text, 3)
        if hours > 25 or minutes > 59:
            raise _fail("time: zone offset out of range")
        sign = 1 if text[0] == ord("+") else -1
        return sign * (hours * 3600 + minutes * 60)
    raise _fail("time: malformed time zone")


def _read_fraction(text: bytes) -> tuple[int | None, bytes]:
    """asn1-rs GeneralizedTime fractional seconds: at most three digits, scaled to milliseconds."""
    if text[:1] not in (b".", b","):
        return None, text
    rest = text[1:]
    if len(rest) == 0:
        raise _fail("time: decimal point without digits")
    digits = 0
    value = 0
    while digits < 4 and len(rest) > 0 and 0x30 <= rest[0] <= 0x39:
        value = value * 10 + rest[0] - 0x30
        rest = rest[1:]
        digits += 1
    if digits == 4 or (len(rest) > 0 and rest[0] not in b"Z+-"):
        raise _fail("time: malformed fractional seconds")
    return value * {1: 100, 2: 10}.get(digits, 1), rest


def _utc_time_fields(text: bytes) -> tuple[int, int, int, int, int, int, int | None, int]:
    year = _two_digits(text, 0)
    month, day, hour, minute = (_two_digits(text, offset) for offset in (2, 4, 6, 8))
    rest = text[10:]
    if len(rest) == 0:
        raise _fail("UTCTime: missing seconds or zone")
    second, rest = _read_seconds(rest)
    if len(rest) == 0:
        raise _fail("UTCTime: missing zone")
    return (year + 2000 if year < 50 else year + 1900), month, day, hour, minute, second, None, _read_zone(rest)


def _generalized_time_fields(text: bytes) -> tuple[int, int, int, int, int, int, int | None, int]:
    # DER (X.690 11.7): the encoding ends with Z and a decimal point is "."; asn1-rs checks both before parsing.
    if text[-1:] != b"Z" or b"," in text:
        raise _fail("GeneralizedTime: DER needs a final Z and a '.' decimal point")
    year = _two_digits(text, 0) * 100 + _two_digits(text, 2)
    month, day, hour, minute = (_two_digits(text, offset) for offset in (4, 6, 8, 10))
    rest = text[12:]
    if len(rest) == 0:
        raise _fail("GeneralizedTime: missing zone")
    second, rest = _read_seconds(rest)
    millisecond, rest = _read_fraction(rest)
    return year, month, day, hour, minute, second, millisecond, _read_zone(rest)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`; no clock involved)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _read_time_ms(data: bytes, element: Element) -> int:
    """A Time as `unix_seconds * 1000 + millisecond` (sp-auto-id `Validity::try_from`); before 1970 is refused."""
    text = element.content(data)
    if element.tag not in (TAG_UTC_TIME, TAG_GENERALIZED_TIME):
        raise _fail(f"expected a Time, got tag {element.tag:#x}")
    if not all(0x20 <= octet <= 0x7F for octet in text):
        raise _fail("time: not a visible string")
    reader = _utc_time_fields if element.tag == TAG_UTC_TIME else _generalized_time_fields
    year, month, day, hour, minute, second, millisecond, offset = reader(text)
    if month > 12 or day > 31 or hour > 23 or minute > 59 or second > 59:
        raise _fail("time: component out of range")
    if year < 1 or month < 1 or day < 1 or day > calendar.monthrange(year, month)[1]:
        raise _fail("time: not a calendar date")
    days = days_from_civil(year, month, day)
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    if seconds < 0:
        raise _fail("time before 1970: the millisecond conversion overflows")
    moment = seconds * 1000 + (millisecond or 0)
    if moment > MAX_MOMENT:
        raise _fail("time past u64 milliseconds")
    return moment


# ---- names ----


def _read_rdn_attributes(data: bytes, rdn: Element) -> list[tuple[bytes, bytes]] | None:
    """The (type OID, value content) pairs of one RDN SET in encoded order; None when the RDN is malformed."""
    if rdn.tag != TAG_SET:
        return None
    attributes: list[tuple[bytes, bytes]] = []
    try:
        for attribute in iterate_elements(data, rdn.content_start, rdn.end):
            cursor = _Cursor(data, attribute)
            _expect_tag(attribute, TAG_SEQUENCE, "AttributeTypeAndValue")
            oid = cursor.next(TAG_OBJECT_IDENTIFIER, "attribute type").content(data)
            attributes.append((oid, cursor.next_any().content(data)))
    except InvalidCertificateEncoding:
        pass  # nom many1(complete(..)): the set ends at its first malformed attribute
    return attributes if len(attributes) > 0 else None


def read_name_attributes(data: bytes, name: Element) -> list[tuple[bytes, bytes]]:
    """Every attribute of a Name, RDN by RDN in encoded order, each RDN's SET flattened in its encoded order; the
    RDN list ends at its first malformed RDN (x509-parser `X509Name::from_der`, nom many0)."""
    _expect_tag(name, TAG_SEQUENCE, "Name")
    attributes: list[tuple[bytes, bytes]] = []
    position = name.content_start
    while position < name.end:
        try:
            rdn = read_element(data, position, name.end)
        except InvalidCertificateEncoding:
            break
        rdn_attributes = _read_rdn_attributes(data, rdn)
        if rdn_attributes is None:
            break
        attributes.extend(rdn_attributes)
        position = rdn.end
    return attributes


def _first_common_name(attributes: list[tuple[bytes, bytes]]) -> bytes:
    for oid, value in attributes:
        if oid == OID_COMMON_NAME:
            return value
    raise _fail("subject has no commonName")


# ---- the TBSCertificate ----


def _read_version(data: bytes, cursor: _Cursor) -> None:
    """[0] EXPLICIT INTEGER (a u32), optional; its value is not checked."""
    if cursor.peek_tag() != TAG_VERSION:
        return
    version = cursor.next(TAG_VERSION, "version")
    value = read_element(data, version.content_start, version.end)
    _expect_tag(value, TAG_INTEGER, "version")
    content = value.content(data)
    minimal = len(content) == 1 or (len(content) > 1 and not (content[0] == 0 and content[1] < 0x80))
    if len(content) == 0 or content[0] & 0x80 or not minimal or int.from_bytes(content, "big") > 0xFFFFFFFF:
        raise _fail("version is not a u32 INTEGER")


def _read_serial(data: bytes, cursor: _Cursor) -> int:
    serial = int.from_bytes(cursor.next(TAG_INTEGER, "serialNumber").content(data), "big")
    if serial > MAX_SERIAL:
        raise _fail("serial needs more than 32 bytes")
    return serial


def _read_validity(data: bytes, cursor: _Cursor) -> tuple[int, int]:
    validity = _Cursor(data, cursor.next(TAG_SEQUENCE, "Validity"))
    not_before = _read_time_ms(data, validity.next_any())
    not_after = _read_time_ms(data, validity.next_any())
    return not_before, not_after


def _read_unique_ids_and_extensions(data: bytes, cursor: _Cursor) -> None:
    for tag in (TAG_ISSUER_UNIQUE_ID, TAG_SUBJECT_UNIQUE_ID):
        if cursor.peek_tag() == tag:
            _bit_string_parts(cursor.next(tag, "unique identifier").content(data))
    if cursor.at_end():
        return
    extensions = _Cursor(data, cursor.next(TAG_EXTENSIONS, "extensions"))
    if not cursor.at_end():
        raise _fail("bytes after the extensions inside the TBSCertificate")
    sequence = extensions.next(TAG_SEQUENCE, "Extensions")
    if not extensions.at_end():
        raise _fail("bytes after the Extensions SEQUENCE")
    for extension in iterate_elements(data, sequence.content_start, sequence.end):
        _read_extension(data, extension)


def _read_extension(data: bytes, extension: Element) -> None:
    """Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }."""
    _expect_tag(extension, TAG_SEQUENCE, "Extension")
    cursor = _Cursor(data, extension)
    cursor.next(TAG_OBJECT_IDENTIFIER, "extnID")
    if cursor.peek_tag() == TAG_BOOLEAN:
        critical = cursor.next(TAG_BOOLEAN, "critical").content(data)
        if critical not in (b"\x00", b"\xff"):
            raise _fail("critical is not a DER BOOLEAN")
    cursor.next(TAG_OCTET_STRING, "extnValue")


def decode_tbs_certificate(der: bytes) -> TbsCertificate:
    """The pallet's view of a DER TBSCertificate (sp-auto-id `decode_tbs_certificate`); InvalidCertificateEncoding
    for anything x509-parser would refuse or the pallet cannot hold."""
    data = bytes(der)
    cursor = _Cursor(data, read_single(data, TAG_SEQUENCE, "TBSCertificate"))
    _read_version(data, cursor)
    serial = _read_serial(data, cursor)
    _read_algorithm_identifier(data, cursor.next(TAG_SEQUENCE, "signature"))
    read_name_attributes(data, cursor.next(TAG_SEQUENCE, "issuer"))
    not_before, not_after = _read_validity(data, cursor)
    common_name = _first_common_name(read_name_attributes(data, cursor.next(TAG_SEQUENCE, "subject")))
    spki = cursor.next(TAG_SEQUENCE, "subjectPublicKeyInfo")
    _read_subject_public_key_info(data, spki)
    _read_unique_ids_and_extensions(data, cursor)
    return TbsCertificate(serial, not_before, not_after, common_name, spki.encoding(data), data)


def tbs_of_certificate(certificate_der: bytes) -> tuple[bytes, bytes, bytes]:
    """A DER Certificate's three parts as the pallet's requests carry them: the TBSCertificate TLV, the
    signatureAlgorithm TLV and the signatureValue BIT STRING's data (its unused-bit count must be 0)."""
    data = bytes(certificate_der)
    certificate = read_element(data, 0, len(data))
    _expect_tag(certificate, TAG_SEQUENCE, "Certificate")
    if certificate.end != len(data):
        raise _fail("bytes after the Certificate")
    cursor = _Cursor(data, certificate)
    tbs = cursor.next(TAG_SEQUENCE, "tbsCertificate")
    algorithm = cursor.next(TAG_SEQUENCE, "signatureAlgorithm")
    unused_bits, signature = read_bit_string(data, cursor.next(TAG_BIT_STRING, "signatureValue"))
    if unused_bits != 0 or not cursor.at_end():
        raise _fail("signatureValue must have no unused bits and end the Certificate")
    return tbs.encoding(data), algorithm.encoding(data), signature
