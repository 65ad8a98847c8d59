//! Seeds a running tipseal server with N sealed tips over its real HTTP intake, for the
//! desk's inbox benchmark (`benches/desk-inbox.mjs`): the seven samples of `tests/samples/`
//! in turn, each narrative ending with its number so that no two tips are alike. Sealed
//! on this machine to the server's current epoch, as a witness's client would. Not part of
//! the `tipseal` binary.
//!
//! Usage: `cargo run --example seed_tips -- URL N [THREADS]` (THREADS default 4). Prints
//! `seeded N tips in S s` on standard output.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tipseal::client::Client;
use tipseal::crypto::envelope::seal;
use tipseal::domain::bundle;
use tipseal::domain::envelope::{Flags, Kind};
use tipseal::domain::tip::{SealedTip, TipDocument};

const SAMPLES: [&str; 7] = [
    include_str!("../tests/samples/ko-construction-vladivostok.json"),
    include_str!("../tests/samples/zh-restaurant-dandong.json"),
    include_str!("../tests/samples/ru-logging-khabarovsk.json"),
    include_str!("../tests/samples/en-construction-qatar.json"),
    include_str!("../tests/samples/ar-construction-kuwait.json"),
    include_str!("../tests/samples/pl-shipyard-gdansk.json"),
    include_str!("../tests/samples/nl-shipbuilding-order.json"),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(n)) = (args.next(), args.next()) else {
        eprintln!("usage: seed_tips URL N [THREADS]");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    let threads: usize = args
        .next()
        .map_or(4, |t| t.parse().expect("THREADS is a number"));
    tipseal::crypto::init().expect("libsodium starts");
    let keyring = Client::new(&url, None)
        .and_then(|c| c.keyring())
        .expect("the server's keyring verifies");
    let (epoch, pk) = (keyring.epoch(), keyring.intake_public_key());
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let (url, next, pk) = (url.clone(), Arc::clone(&next), pk.clone());
            std::thread::spawn(move || {
                let client = Client::new(&url, None).expect("a client");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let mut doc: serde_json::Value =
                        serde_json::from_str(SAMPLES[i % SAMPLES.len()]).expect("a sample");
                    let narrative = doc["narrative"].as_str().unwrap_or_default().to_owned();
                    doc["narrative"] = format!("{narrative} (#{i})").into();
                    let doc = TipDocument::from_json(&serde_json::to_vec(&doc).expect("json"))
                        .expect("the sample parses");
                    let json = SealedTip::new(doc, Vec::new())
                        .expect("the sample has content")
                        .to_json();
                    let env = seal(&json, Kind::Tip, Flags::NONE, epoch, &pk).expect("seals");
                    client
                        .submit(&bundle::encode(&[&env]), &format!("seed-{i:012}"))
                        .expect("the server takes the tip");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a seeding thread");
    }
    println!("seeded {n} tips in {:.1} s", t0.elapsed().as_secs_f64());
}
