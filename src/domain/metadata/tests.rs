use proptest::prelude::*;

use super::*;

/// One JPEG segment before the scan: (marker, payload).
fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xff, marker];
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Entropy-coded bytes as an encoder writes them: every 0xFF is followed by 0x00.
fn stuffed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 2);
    for &b in data {
        out.push(b);
        if b == 0xff {
            out.push(0x00);
        }
    }
    out
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&[0, 0, 0, 0]); // CRC: not checked
    out
}

fn segment_strategy() -> impl Strategy<Value = (u8, Vec<u8>)> {
    (
        prop_oneof![
            Just(0xe0u8),
            Just(0xe1),
            Just(0xe2),
            Just(0xed),
            Just(0xfe),
            Just(0xdb),
            Just(0xc4),
            Just(0xc0)
        ],
        proptest::collection::vec(any::<u8>(), 0..64),
    )
}

/// A JPEG built from segments, with and without its metadata segments.
fn jpeg_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (
        proptest::collection::vec(segment_strategy(), 0..8),
        proptest::collection::vec(any::<u8>(), 0..256),
        proptest::collection::vec(segment_strategy(), 0..3),
    )
        .prop_map(|(head, scan, later)| {
            let mut full = vec![0xff, 0xd8];
            let mut clean = vec![0xff, 0xd8];
            for (m, p) in &head {
                let s = segment(*m, p);
                full.extend_from_slice(&s);
                if !is_meta_marker(*m) {
                    clean.extend_from_slice(&s);
                }
            }
            let sos = segment(JPEG_SOS, &[1, 1, 0, 0, 63, 0]);
            let data = stuffed(&scan);
            for out in [&mut full, &mut clean] {
                out.extend_from_slice(&sos);
                out.extend_from_slice(&data);
            }
            for (m, p) in &later {
                let s = segment(*m, p);
                full.extend_from_slice(&s);
                if !is_meta_marker(*m) {
                    clean.extend_from_slice(&s);
                }
            }
            for out in [&mut full, &mut clean] {
                out.extend_from_slice(&[0xff, JPEG_EOI]);
            }
            (full, clean)
        })
}

fn png_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let kind = prop_oneof![
        Just(*b"IHDR"),
        Just(*b"tEXt"),
        Just(*b"iTXt"),
        Just(*b"zTXt"),
        Just(*b"eXIf"),
        Just(*b"tIME"),
        Just(*b"IDAT"),
        Just(*b"iCCP")
    ];
    proptest::collection::vec((kind, proptest::collection::vec(any::<u8>(), 0..64)), 0..8).prop_map(
        |chunks| {
            let mut full = PNG_SIGNATURE.to_vec();
            let mut clean = PNG_SIGNATURE.to_vec();
            for (k, d) in &chunks {
                let c = png_chunk(k, d);
                full.extend_from_slice(&c);
                if !PNG_DROP.contains(&k) {
                    clean.extend_from_slice(&c);
                }
            }
            let end = png_chunk(b"IEND", &[]);
            full.extend_from_slice(&end);
            clean.extend_from_slice(&end);
            (full, clean)
        },
    )
}

proptest! {
    #[test]
    fn never_panics_and_is_idempotent_on_any_bytes(
        prefix in prop_oneof![Just(vec![]), Just(vec![0xff, 0xd8, 0xff]), Just(PNG_SIGNATURE.to_vec())],
        rest in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let input = [prefix, rest].concat();
        let once = strip(&input).into_owned();
        let twice = strip(&once).into_owned();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn a_jpeg_loses_exactly_its_metadata_segments((full, clean) in jpeg_strategy()) {
        let out = strip(&full);
        prop_assert_eq!(&out[..], &clean[..]);
        prop_assert_eq!(&strip(&out)[..], &clean[..]);
    }

    #[test]
    fn a_png_loses_exactly_its_metadata_chunks((full, clean) in png_strategy()) {
        let out = strip(&full);
        prop_assert_eq!(&out[..], &clean[..]);
        prop_assert_eq!(&strip(&out)[..], &clean[..]);
    }

    #[test]
    fn jpeg_segments_built_adversarially_still_strip_idempotently(
        (full, _) in jpeg_strategy(),
        noise in proptest::collection::vec(prop_oneof![Just(0xffu8), Just(0xe1), Just(0x00), Just(0x02), any::<u8>()], 0..64),
        at in any::<prop::sample::Index>(),
    ) {
        let mut input = full;
        let pos = at.index(input.len() + 1);
        input.splice(pos..pos, noise);
        let once = strip(&input).into_owned();
        prop_assert_eq!(&strip(&once)[..], &once[..]);
    }
}

#[test]
fn an_exif_segment_is_removed_and_the_rest_is_untouched() {
    let app0 = segment(0xe0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let exif = segment(JPEG_APP1, b"Exif\0\0MM\0*GPS 38.9N 125.7E");
    let dqt = segment(0xdb, &[0; 65]);
    let sos = segment(JPEG_SOS, &[1, 1, 0, 0, 63, 0]);
    let mut jpeg = vec![0xff, 0xd8];
    for s in [&app0, &exif, &dqt, &sos] {
        jpeg.extend_from_slice(s);
    }
    jpeg.extend_from_slice(&[1, 2, 0xff, 0, 3, 0xff, 0xd9]);
    let out = strip(&jpeg);
    assert!(matches!(out, Cow::Owned(_)));
    let expected = [
        &[0xff, 0xd8][..],
        &app0,
        &dqt,
        &sos,
        &[1, 2, 0xff, 0, 3, 0xff, 0xd9],
    ]
    .concat();
    assert_eq!(&out[..], &expected[..]);
}

#[test]
fn files_that_are_not_images_or_do_not_parse_come_back_unchanged() {
    for input in [
        &b"plain text"[..],
        &[0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff][..],
        &PNG_SIGNATURE[..],
    ] {
        assert!(matches!(strip(input), Cow::Borrowed(_)));
    }
}
