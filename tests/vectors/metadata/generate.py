#!/usr/bin/env python3
"""Writes the metadata-removal vectors shared by src/domain/metadata/tests.rs and
web/test/exif.test.mjs. Each case is built from parts, so the expected output is
composed independently of either stripper. Run from this directory: python3 generate.py"""
import json
import struct

def seg(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

def chunk(kind, data):
    import zlib
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

GPS = b"GPSLatitude 38.99N GPSLongitude 125.74E"
SOI, EOI = b"\xff\xd8", b"\xff\xd9"
APP0 = seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
EXIF = seg(0xE1, b"Exif\x00\x00MM\x00*\x00\x00\x00\x08" + GPS)
XMP = seg(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + GPS + b"</x:xmpmeta>")
COM = seg(0xFE, b"shot on the phone of " + GPS)
ICC = seg(0xE2, b"ICC_PROFILE\x00\x01\x01fake-icc")
DQT = seg(0xDB, bytes([0]) + bytes(range(1, 65)))
SOF0 = seg(0xC0, bytes([8, 0, 1, 0, 1, 1, 1, 0x11, 0]))
DHT = seg(0xC4, bytes([0, 1] + [0] * 15 + [0]))
SOS = seg(0xDA, bytes([1, 1, 0, 0, 63, 0]))
SCAN = bytes([0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0x9A])

JPEG = SOI + APP0 + EXIF + XMP + ICC + DQT + SOF0 + DHT + SOS + SCAN + EOI
JPEG_CLEAN = SOI + APP0 + ICC + DQT + SOF0 + DHT + SOS + SCAN + EOI

SIG = b"\x89PNG\r\n\x1a\n"
IHDR = chunk(b"IHDR", struct.pack(">II", 1, 1) + bytes([8, 0, 0, 0, 0]))
TEXT = chunk(b"tEXt", b"Comment\x00" + GPS)
EXIF_PNG = chunk(b"eXIf", b"MM\x00*\x00\x00\x00\x08" + GPS)
IDAT = chunk(b"IDAT", bytes([0x78, 0x9C, 0x63, 0x60, 0, 0, 0, 2, 0, 1]))
IEND = chunk(b"IEND", b"")
PNG = SIG + IHDR + TEXT + EXIF_PNG + IDAT + IEND
PNG_CLEAN = SIG + IHDR + IDAT + IEND

cases = [
    # name, input, expected output (None: refused), why
    ("jpeg-gps.jpg", JPEG, JPEG_CLEAN, "Exif and XMP with GPS are removed"),
    ("jpeg-clean.jpg", JPEG_CLEAN, JPEG_CLEAN, "nothing to remove: the same bytes"),
    ("jpeg-fill-bytes.jpg",
     SOI + b"\xff\xff" + APP0 + b"\xff\xff\xff" + EXIF + DQT + SOF0 + DHT + b"\xff" + SOS + SCAN + b"\xff\xff" + EOI,
     SOI + b"\xff\xff" + APP0 + DQT + SOF0 + DHT + b"\xff" + SOS + SCAN + b"\xff\xff" + EOI,
     "0xFF fill bytes before markers are valid (T.81 B.1.1.2): parsed, kept with their segment"),
    ("jpeg-trailer.jpg", JPEG + b"trailer " + GPS, JPEG_CLEAN, "bytes after EOI are dropped"),
    ("jpeg-comment-between-scans.jpg",
     SOI + APP0 + DQT + SOF0 + DHT + SOS + SCAN + COM + DHT + SOS + SCAN + EOI,
     SOI + APP0 + DQT + SOF0 + DHT + SOS + SCAN + DHT + SOS + SCAN + EOI,
     "metadata between progressive scans is removed"),
    ("jpeg-truncated-in-scan.jpg", JPEG[:-4], None, "cut before EOI"),
    ("jpeg-truncated-in-exif.jpg", JPEG[:len(SOI + APP0) + 20], None, "cut inside the Exif segment"),
    ("jpeg-junk-between-segments.jpg", SOI + APP0 + b"\x00" + EXIF + DQT + SOF0 + DHT + SOS + SCAN + EOI, None,
     "a non-0xFF byte where a marker must be"),
    ("jpeg-junk-after-soi.jpg", SOI + b"\x00" + APP0 + EXIF + DQT + SOF0 + DHT + SOS + SCAN + EOI, None,
     "junk right after SOI (decoders skip it and show the image)"),
    ("jpeg-bad-length.jpg", SOI + APP0 + b"\xff\xe1\x7f\xff" + GPS, None, "an APP1 length past the end"),
    ("jpeg-bad-length-after-scan.jpg", SOI + APP0 + DQT + SOF0 + DHT + SOS + SCAN + b"\xff\xe1\xff\xf0" + GPS + EOI, None,
     "a segment after the scan longer than the file"),
    ("jpeg-no-scan.jpg", SOI + APP0 + EXIF + EOI, None, "EOI before any image data"),
    ("png-gps.png", PNG, PNG_CLEAN, "tEXt and eXIf are removed"),
    ("png-trailer.png", PNG + b"trailer " + GPS, PNG_CLEAN, "bytes after IEND are dropped"),
    ("png-truncated.png", PNG[:-6], None, "cut inside IEND"),
    ("png-no-iend.png", SIG + IHDR + TEXT + IDAT, None, "no IEND chunk"),
    ("png-junk-between-chunks.png", SIG + IHDR + b"\x00\x00\x00" + TEXT + IDAT + IEND, None, "bytes between chunks"),
    ("png-bad-length.png", SIG + IHDR + struct.pack(">I", 1 << 30) + b"tEXt" + GPS, None, "a chunk longer than the file"),
]

manifest = []
for name, data, out, why in cases:
    open(name, "wb").write(data)
    entry = {"file": name, "why": why}
    if out is None:
        entry["expect"] = "refused"
    else:
        open(name + ".out", "wb").write(out)
        entry["expect"] = "stripped"
        entry["output"] = name + ".out"
    manifest.append(entry)
json.dump({"needle": GPS.decode(), "cases": manifest}, open("manifest.json", "w"), indent=2)
open("manifest.json", "a").write("\n")
