//! Searching the server's disk and log for bytes that must not be there.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    let first = needle[0];
    haystack
        .windows(needle.len())
        .any(|w| w[0] == first && w == needle)
}

/// The files under `dir` that contain `needle`.
pub fn grep_dir(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| {
            std::fs::read(p)
                .map(|b| contains(&b, needle))
                .unwrap_or(false)
        })
        .collect()
}

/// Which of `needles` (each at least 8 bytes long) occur in which of `haystacks`; fast
/// enough for hundreds of needles over megabytes (an 8-byte prefix index, then a check).
pub fn find_needles<'a>(
    haystacks: &[(String, Vec<u8>)],
    needles: &'a [Vec<u8>],
) -> Vec<(String, &'a [u8])> {
    const PREFIX: usize = 8;
    let mut prefixes: HashSet<[u8; PREFIX]> = HashSet::new();
    for n in needles {
        assert!(n.len() >= PREFIX, "needles must be at least {PREFIX} bytes");
        prefixes.insert(n[..PREFIX].try_into().expect("prefix"));
    }
    let mut hits = Vec::new();
    for (name, hay) in haystacks {
        if hay.len() < PREFIX {
            continue;
        }
        for i in 0..=hay.len() - PREFIX {
            let p: [u8; PREFIX] = hay[i..i + PREFIX].try_into().expect("window");
            if !prefixes.contains(&p) {
                continue;
            }
            for n in needles {
                if hay[i..].starts_with(n) && !hits.iter().any(|(h, m)| h == name && *m == &n[..]) {
                    hits.push((name.clone(), &n[..]));
                }
            }
        }
    }
    hits
}

/// Every file under `dir` as (display name, bytes).
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p.display().to_string(), b)))
        .collect()
}

/// Every substring of `text` that is at least `min` bytes long, starts on a character
/// boundary and is the shortest such from its start (ends on a character boundary): if
/// none of these occurs somewhere, no longer substring of `text` does either.
pub fn utf8_windows(text: &str, min: usize) -> Vec<Vec<u8>> {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let mut out = Vec::new();
    for &s in &starts {
        let end = text[s..]
            .char_indices()
            .map(|(i, c)| s + i + c.len_utf8())
            .find(|&e| e - s >= min);
        match end {
            Some(e) => out.push(text.as_bytes()[s..e].to_vec()),
            None => break,
        }
    }
    out
}
