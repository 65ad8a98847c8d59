//! Tests of the bundle log on its own: round trips, frames, torn records, rolling.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::super::commit::Pending;
use super::frame::FRAME_LEN;
use super::*;
use crate::domain::TipId;

fn open(dir: &Path) -> BundleLog {
    BundleLog::open(dir, Pending::default()).unwrap()
}

fn id(n: u8) -> TipId {
    TipId::from_bytes([n; 16])
}

#[test]
fn a_record_reads_back_as_written_small_streamed_and_large() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let header = [9u8; 68];
    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
    let small = log.append(id(1), 0, &[&header, &body[..100]]).unwrap();
    let large = log.append(id(1), 1, &[&header, &body]).unwrap();
    let mut w = log.begin(id(2), 3, 68 + 1000).unwrap();
    w.write(&header).unwrap();
    w.write(&body[..400]).unwrap();
    w.write(&body[400..1000]).unwrap();
    let streamed = w.finish().unwrap();
    let whole = |b: &[u8]| [&header[..], b].concat();
    assert_eq!(log.read(small, id(1), 0, 168).unwrap(), whole(&body[..100]));
    assert_eq!(log.read(large, id(1), 1, 300_068).unwrap(), whole(&body));
    assert_eq!(
        log.read(streamed, id(2), 3, 1068).unwrap(),
        whole(&body[..1000])
    );
    assert!(log.verify(streamed, id(2), 3, 1068).unwrap());
    // Read in pieces too.
    let mut r = log.reader(large, id(1), 1, 300_068).unwrap();
    let mut joined = Vec::new();
    while let Some(p) = r.next_piece(32 * 1024).unwrap() {
        assert!(p.len() <= 32 * 1024);
        joined.extend_from_slice(&p);
    }
    assert_eq!(joined, whole(&body));
}

#[test]
fn a_frame_that_names_another_tip_part_or_length_is_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let at = log.append(id(1), 0, &[&[1u8; 68], b"body"]).unwrap();
    for (tip, part, len) in [
        (id(2), 0, 72),
        (id(1), 1, 72),
        (id(1), 0, 71),
        (id(1), 0, 73),
    ] {
        let read = log.read(at, tip, part, len);
        assert!(matches!(read, Err(StorageError::Corrupt(_))), "{read:?}");
        assert!(!log.verify(at, tip, part, len).unwrap());
    }
    // An offset inside the record, past the end, or in a segment that does not exist.
    for bad in [
        Location { offset: 1, ..at },
        Location {
            offset: 10_000,
            ..at
        },
        Location {
            segment: SegmentNo(99),
            ..at
        },
    ] {
        assert!(matches!(
            log.read(bad, id(1), 0, 72),
            Err(StorageError::Corrupt(_))
        ));
    }
}

#[test]
fn a_damaged_or_torn_record_fails_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let at = log.append(id(1), 0, &[&[1u8; 68], &[2u8; 5000]]).unwrap();
    // What the group commit does before it syncs: the record leaves memory for the file.
    log.staging.write_out().unwrap();
    let path = dir.path().join(BUNDLES_DIR).join(at.segment.file_name());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[FRAME_LEN + 3000] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        log.read(at, id(1), 0, 5068),
        Err(StorageError::Corrupt(_))
    ));
    assert!(!log.verify(at, id(1), 0, 5068).unwrap());
    let torn = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    torn.set_len(2000).unwrap();
    assert!(!log.verify(at, id(1), 0, 5068).unwrap());
}

#[test]
fn every_open_starts_a_new_segment_and_numbers_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path());
    let at = first.append(id(1), 0, &[&[1u8; 68]]).unwrap();
    drop(first);
    let second = open(dir.path());
    assert_eq!(second.head(), SegmentNo(at.segment.0 + 1));
    drop(second);
    // The second head stays (empty) until compaction; the third comes after it.
    let third = open(dir.path());
    let names: Vec<u64> = third.segments().unwrap().iter().map(|(n, _)| n.0).collect();
    assert_eq!(names, vec![0, 1, 2]);
    assert_eq!(third.read(at, id(1), 0, 68).unwrap(), vec![1u8; 68]);
}

#[test]
fn segments_are_private_and_carry_a_midnight_mtime() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let at = log.append(id(1), 0, &[&[1u8; 68], b"x"]).unwrap();
    // The group commit (or, offline, `sync_all`) blurs the times before anything in the
    // segment is acknowledged: `commit.rs` tests the batch's side.
    log.sync_all().unwrap();
    let seg_dir = dir.path().join(BUNDLES_DIR);
    let meta = std::fs::metadata(seg_dir.join(at.segment.file_name())).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.mtime() % 86_400, 0);
    assert_eq!(meta.mtime_nsec(), 0);
    let dir_meta = std::fs::metadata(&seg_dir).unwrap();
    assert_eq!(dir_meta.permissions().mode() & 0o777, 0o700);
    assert_eq!(dir_meta.mtime() % 86_400, 0);
}

#[test]
fn the_head_rolls_and_a_record_never_spans_segments() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let big = vec![5u8; (ROLL_BYTES / 2) as usize];
    let a = log.append(id(1), 0, &[&big]).unwrap();
    let b = log.append(id(2), 0, &[&big]).unwrap();
    assert_ne!(a.segment, b.segment);
    assert_eq!(b.offset, 0);
    assert!(log.remove_segment(b.segment).is_err(), "the head stays");
    log.remove_segment(a.segment).unwrap();
    assert!(log.read(a, id(1), 0, big.len() as u64).is_err());
    assert_eq!(log.read(b, id(2), 0, big.len() as u64).unwrap(), big);
}

#[test]
fn a_small_record_waits_for_its_batch_yet_reads_back_whole_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let a = log.append(id(1), 0, &[&[1u8; 68], &[2u8; 5000]]).unwrap();
    let b = log.append(id(2), 0, &[&[3u8; 68], &[4u8; 700]]).unwrap();
    let path = dir.path().join(BUNDLES_DIR).join(a.segment.file_name());
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "in memory until the batch"
    );
    // A reader (the index already names the record) gets it written first.
    let mut want = vec![3u8; 68];
    want.extend_from_slice(&[4u8; 700]);
    assert_eq!(log.read(b, id(2), 0, 768).unwrap(), want);
    assert!(log.verify(a, id(1), 0, 5068).unwrap());
    let len = std::fs::metadata(&path).unwrap().len();
    assert_eq!(
        len,
        b.offset + (FRAME_LEN + 768) as u64,
        "both records, one write"
    );
}
