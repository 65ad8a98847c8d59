//! Runs every fuzz target body once over each file given (or, by default, over
//! `../tests/vectors/` and `../tests/samples/` plus a freshly generated keyring and public
//! key file, which have no checked-in vectors), on stable Rust, without libFuzzer.
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example replay            # seed corpora
//! cargo run --manifest-path fuzz/Cargo.toml --example replay -- FILE…   # e.g. a crash
//! ```
//!
//! Besides each file as it is, it also feeds a few cheap mutations (every prefix length
//! at a coarse stride, single bit flips in the first 160 bytes) so the structure checks
//! see truncated and corrupted inputs too. Exits non-zero if any body panicked.

use std::path::{Path, PathBuf};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A keyring (admin + one reviewer, two epochs) and a public key file, made with the
/// library the way `tipseal admin init` / `add-reviewer` / `keygen` make them.
fn generated_seeds() -> Vec<(String, Vec<u8>)> {
    use tipseal::crypto::identity::Identity;
    use tipseal::crypto::keyring::{add_reviewer, genesis, verify_chain};
    use tipseal::domain::keyring::{PersonName, PublicKeyFile};

    tipseal::crypto::init().expect("libsodium initialises");
    let admin = Identity::generate(PersonName::parse("admin").expect("name"));
    let anna = Identity::generate(PersonName::parse("anna").expect("name"));
    let g = verify_chain(&genesis(&admin, 30).expect("genesis"), None).expect("verifies");
    let two = add_reviewer(&g, &admin, anna.public(), 30).expect("add reviewer");
    vec![
        ("<generated keyring, 1 epoch>".into(), g.to_json()),
        ("<generated keyring, 2 epochs>".into(), two.to_json()),
        (
            "<generated anna.key.pub>".into(),
            PublicKeyFile::to_json(&anna.public()),
        ),
    ]
}

fn mutations(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![data.to_vec()];
    let stride = (data.len() / 64).max(1);
    out.extend((0..data.len()).step_by(stride).map(|n| data[..n].to_vec()));
    for i in 0..data.len().min(160) {
        let mut m = data.to_vec();
        m[i] ^= 1 << (i % 8);
        out.push(m);
    }
    let mut longer = data.to_vec();
    longer.push(0);
    out.push(longer);
    out
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    let files = if args.is_empty() {
        seeds = generated_seeds();
        let mut f = files_under(&root.join("tests/vectors"));
        f.extend(files_under(&root.join("tests/samples")));
        f
    } else {
        args
    };
    for file in &files {
        match std::fs::read(file) {
            Ok(d) => seeds.push((file.display().to_string(), d)),
            Err(e) => {
                eprintln!("cannot read {}: {e}", file.display());
                std::process::exit(2);
            }
        }
    }
    // Keep panics quiet: a failure is reported once below, with its file and target.
    std::panic::set_hook(Box::new(|_| {}));
    let mut runs = 0usize;
    let mut accepted = vec![0usize; tipseal_fuzz::TARGETS.len()];
    let mut failures = Vec::new();
    for (label, data) in &seeds {
        let inputs = mutations(data);
        for (t, (name, body)) in tipseal_fuzz::TARGETS.iter().enumerate() {
            for (k, input) in inputs.iter().enumerate() {
                runs += 1;
                match std::panic::catch_unwind(|| body(input)) {
                    Ok(true) => accepted[t] += 1,
                    Ok(false) => {}
                    Err(e) => {
                        let msg = e
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                            .unwrap_or_default();
                        failures.push(format!("{name} panicked on {label} (mutation {k}): {msg}"));
                    }
                }
            }
        }
    }
    println!(
        "replay: {} seeds × {} targets, {runs} runs (seeds plus mutations), {} panics",
        seeds.len(),
        tipseal_fuzz::TARGETS.len(),
        failures.len()
    );
    for ((name, _), n) in tipseal_fuzz::TARGETS.iter().zip(&accepted) {
        println!("  {name:<18} accepted {n} inputs (the rest were refused cleanly)");
    }
    for f in &failures {
        println!("  {f}");
    }
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
