//! A witness submits each shared sample (some with attachments); a reviewer opens each
//! one on their own machine and gets back exactly what was sent.

mod common;

use common::*;
use tempfile::TempDir;

#[test]
fn every_shared_sample_round_trips_and_its_attachments_come_back_byte_identical() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let files = TempDir::new().unwrap();

    let submissions = submit_every_sample(&server.url, files.path());

    let mut ids: Vec<&str> = submissions.iter().map(|s| s.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        submissions.len(),
        "every submission gets its own id"
    );

    for s in &submissions {
        let saved = TempDir::new().unwrap();
        let opened = review_show(&server.url, &team.reviewer_key, &s.id, Some(saved.path()));

        assert_eq!(
            opened["tip"],
            read_json(&s.tip_path),
            "{} does not come back as submitted",
            s.tip_path.display()
        );

        let listed = opened["attachments"]
            .as_array()
            .unwrap_or_else(|| panic!("`attachments` is not an array: {opened}"));
        assert_eq!(listed.len(), s.attachments.len(), "attachments of {}", s.id);
        for sent in &s.attachments {
            let name = attachment_name(sent);
            let sent_bytes = std::fs::read(sent).unwrap();
            let entry = listed
                .iter()
                .find(|a| a["name"] == name.as_str())
                .unwrap_or_else(|| panic!("attachment {name} missing from {opened}"));
            assert_eq!(
                entry["size"].as_u64(),
                Some(sent_bytes.len() as u64),
                "size of {name}"
            );
            assert!(
                entry["media_type"].is_string(),
                "attachment {name} has a media type"
            );
            assert!(
                entry["blake2b"].as_str().is_some_and(|h| !h.is_empty()),
                "attachment {name} carries its hash"
            );
            let back = std::fs::read(saved.path().join(&name))
                .unwrap_or_else(|e| panic!("{name} was not saved: {e}"));
            assert!(
                back == sent_bytes,
                "{name} does not come back byte-identical"
            );
        }
    }

    let tips = review_list(&server.url, &team.reviewer_key);
    for t in &tips {
        let received = t["received"].as_str().unwrap_or_default();
        assert!(
            is_utc_day(received),
            "a tip's arrival is kept to the day, got {t}"
        );
        // The id ends with that day (u32 days since 1970, big-endian) and holds nothing
        // finer: the rest, the short id first, is random.
        let day = tipseal::domain::Day::parse(received).expect("a day");
        let id = t["id"].as_str().unwrap_or_default();
        assert_eq!(
            id.get(24..),
            Some(format!("{:08x}", day.days()).as_str()),
            "a tip id ends with its received day, got {t}"
        );
    }
    let listed = review_ids(&server.url, &team.reviewer_key);
    for s in &submissions {
        assert!(
            listed.contains(&s.id),
            "{} is missing from review list",
            s.id
        );
    }
    assert_eq!(
        listed.len(),
        submissions.len(),
        "review list shows each tip once"
    );
}

#[test]
fn a_tip_without_attachments_opens_with_an_empty_attachment_list() {
    let team = setup_team();
    let server = team.spawn_server(&[]);

    let id = submit(&server.url, &a_sample(), &[]);
    let opened = review_show(&server.url, &team.reviewer_key, &id, None);

    assert_eq!(opened["tip"], read_json(&a_sample()));
    assert_eq!(opened["attachments"], serde_json::json!([]));
}
