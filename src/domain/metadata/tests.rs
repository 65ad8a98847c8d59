use proptest::prelude::*;

use super::*;
use crate::domain::DomainError;

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

/// The GPS text put into every metadata segment the properties build.
const NEEDLE: &[u8] = b"GPSLatitude 38.99N";

/// One of the offsets where a segment starts before the scan, in a JPEG built by
/// [`jpeg_strategy`] (no fill bytes): right after SOI, or after a whole segment.
fn a_segment_boundary(jpeg: &[u8], at: prop::sample::Index) -> usize {
    let mut offsets = vec![2];
    let mut i = 2;
    while jpeg[i + 1] != JPEG_SOS {
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        offsets.push(i);
    }
    offsets[at.index(offsets.len())]
}

/// A JPEG with an Exif segment holding [`NEEDLE`] among the generated segments.
fn jpeg_with_gps() -> impl Strategy<Value = Vec<u8>> {
    (jpeg_strategy(), any::<prop::sample::Index>()).prop_map(|((full, _), at)| {
        // Put the Exif segment right after SOI or after any whole segment before SOS.
        let exif = segment(JPEG_APP1, &[b"Exif\0\0".as_slice(), NEEDLE].concat());
        let pos = a_segment_boundary(&full, at);
        let mut out = full;
        out.splice(pos..pos, exif);
        out
    })
}

/// Whether `out` still has something the stripper would remove.
fn still_has_metadata(out: &[u8]) -> bool {
    !matches!(strip(out), Ok(Cow::Borrowed(_)))
}

proptest! {
    #[test]
    fn never_panics_and_what_it_returns_is_clean(
        prefix in prop_oneof![Just(vec![]), Just(vec![0xff, 0xd8, 0xff]), Just(PNG_SIGNATURE.to_vec())],
        rest in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let input = [prefix, rest].concat();
        if let Ok(once) = strip(&input) {
            prop_assert!(!still_has_metadata(&once));
        }
    }

    #[test]
    fn a_jpeg_loses_exactly_its_metadata_segments((full, clean) in jpeg_strategy()) {
        let out = strip(&full).unwrap();
        prop_assert_eq!(&out[..], &clean[..]);
        prop_assert!(!still_has_metadata(&out));
    }

    #[test]
    fn a_png_loses_exactly_its_metadata_chunks((full, clean) in png_strategy()) {
        let out = strip(&full).unwrap();
        prop_assert_eq!(&out[..], &clean[..]);
        prop_assert!(!still_has_metadata(&out));
    }

    #[test]
    fn every_truncation_of_a_gps_jpeg_is_refused(jpeg in jpeg_with_gps(), cut in any::<prop::sample::Index>()) {
        let len = 3 + cut.index(jpeg.len() - 3);
        prop_assert!(strip(&jpeg[..len]).is_err(), "a prefix of {} bytes of {} was accepted", len, jpeg.len());
        let whole = strip(&jpeg).unwrap();
        prop_assert!(!search(&whole, NEEDLE));
    }

    #[test]
    fn every_truncation_of_a_png_is_refused((full, _) in png_strategy(), cut in any::<prop::sample::Index>()) {
        let len = 8 + cut.index(full.len() - 8);
        prop_assert!(strip(&full[..len]).is_err());
    }

    #[test]
    fn junk_between_jpeg_segments_is_refused_and_fill_bytes_are_not(
        jpeg in jpeg_with_gps(),
        junk in 0u8..0xff,
        fill in 1usize..8,
        at in any::<prop::sample::Index>(),
    ) {
        let pos = a_segment_boundary(&jpeg, at);
        let mut with_junk = jpeg.clone();
        with_junk.insert(pos, junk);
        prop_assert!(strip(&with_junk).is_err());
        let mut with_fill = jpeg.clone();
        with_fill.splice(pos..pos, std::iter::repeat_n(0xff, fill));
        let out = strip(&with_fill).unwrap();
        prop_assert!(!search(&out, NEEDLE));
        prop_assert!(!still_has_metadata(&out));
    }

    #[test]
    fn noise_anywhere_is_refused_or_leaves_no_metadata(
        jpeg in jpeg_with_gps(),
        noise in proptest::collection::vec(prop_oneof![Just(0xffu8), Just(0xe1), Just(0x00), Just(0x02), any::<u8>()], 1..64),
        at in any::<prop::sample::Index>(),
    ) {
        let mut input = jpeg;
        let pos = at.index(input.len() + 1);
        input.splice(pos..pos, noise);
        if let Ok(out) = strip(&input) {
            prop_assert!(!still_has_metadata(&out));
        }
    }
}

fn search(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_shared_vectors_give_the_same_refusals_and_bytes_as_exif_js() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/metadata");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let needle = manifest["needle"].as_str().unwrap().as_bytes();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let file = c["file"].as_str().unwrap();
        let input = std::fs::read(dir.join(file)).unwrap();
        let got = strip(&input);
        match c["expect"].as_str().unwrap() {
            "refused" => assert!(got.is_err(), "{file}: {}", c["why"]),
            _ => {
                let expected = std::fs::read(dir.join(c["output"].as_str().unwrap())).unwrap();
                let out = got.unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(&out[..], &expected[..], "{file}: {}", c["why"]);
                assert!(!search(&out, needle), "{file}");
            }
        }
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
    let out = strip(&jpeg).unwrap();
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
fn files_that_are_not_images_come_back_unchanged_and_broken_images_are_refused() {
    assert!(matches!(strip(b"plain text"), Ok(Cow::Borrowed(_))));
    for input in [
        &[0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff][..],
        &PNG_SIGNATURE[..],
    ] {
        assert!(matches!(strip(input), Err(DomainError::Metadata(_))));
    }
}
