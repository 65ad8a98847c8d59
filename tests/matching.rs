//! Link quality of the cross-script matching library on a labelled set of pairs
//! (`tests/matching/pairs.tsv`): precision and recall of `compare` at the link threshold,
//! printed, and held above floors; and the time one comparison takes.

use std::time::Instant;

use tipseal::reviewer::matching::compare;

/// The score from which a comparison counts as a suggested link (a surname alone, 0.75,
/// is one; a role alone, 0.3, is not).
const LINK: f32 = 0.5;

#[test]
fn suggested_links_have_high_precision_and_recall_on_the_labelled_pairs() {
    let pairs: Vec<(String, String, bool)> = include_str!("matching/pairs.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "pairs.tsv: {l:?}");
            (cols[0].to_string(), cols[1].to_string(), cols[2] == "1")
        })
        .collect();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (a, b, same) in &pairs {
        let m = compare(a, b);
        let linked = m.as_ref().is_some_and(|m| m.score >= LINK);
        match (linked, *same) {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                println!("false link: {a} ~ {b}: {:?}", m);
            }
            (false, true) => {
                fn_ += 1;
                println!("missed: {a} ~ {b}: {:?}", m);
            }
            (false, false) => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "{} pairs ({} same): precision {precision:.3}, recall {recall:.3}",
        pairs.len(),
        pairs.iter().filter(|p| p.2).count()
    );
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");

    let start = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        for (a, b, _) in &pairs {
            std::hint::black_box(compare(a, b));
        }
    }
    let per = start.elapsed() / (rounds * pairs.len()) as u32;
    println!("one comparison: {per:?} on average (debug build)");
}
