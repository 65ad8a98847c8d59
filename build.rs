//! Compresses the witness page's static files at build time (`docs/web.md`, "On a slow
//! link"): for every file that `src/http/web/assets.rs` embeds, a gzip and a brotli copy in
//! `OUT_DIR`, embedded beside the original and served when the request's
//! `Accept-Encoding` allows. Done here, once, at the strongest settings, rather than per
//! request or at first use: no compression CPU an anonymous client can make the server
//! spend, no first visit slower than the rest, and the bytes served are fixed by the build.
//!
//! Must never: fetch anything, or embed a compressed copy that does not decompress to the
//! source file (each copy is decompressed and compared before it is written).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The folders whose files the page serves (`assets.rs` embeds from the same two).
const SOURCES: &[&str] = &["web/static", "data/wordlists"];

/// Extensions worth compressing (the LICENSE and hash files beside `sodium.js` are not served).
const EXTENSIONS: &[&str] = &["js", "css", "txt"];

/// Brotli's strongest setting and a 4 MiB window: the build pays, every witness gains.
const BROTLI_QUALITY: u32 = 11;
const BROTLI_WINDOW_LOG2: u32 = 22;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for dir in SOURCES {
        println!("cargo:rerun-if-changed={dir}");
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {dir}: {e}"));
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.unwrap_or_else(|e| panic!("listing {dir}: {e}")).path())
            .filter(|p| {
                p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| EXTENSIONS.contains(&x))
            })
            .collect();
        paths.sort();
        let target = out.join("compressed").join(dir);
        fs::create_dir_all(&target).unwrap_or_else(|e| panic!("creating {target:?}: {e}"));
        for path in paths {
            println!("cargo:rerun-if-changed={}", path.display());
            compress(&path, &target);
        }
    }
}

/// Writes `NAME.gz` and `NAME.br` for `path` into `target`, each checked by a round trip.
fn compress(path: &Path, target: &Path) {
    let name = path.file_name().expect("a file has a name");
    let raw = fs::read(path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw).expect("gzip into memory");
    let gz = gz.finish().expect("gzip into memory");
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut back)
        .expect("gunzip what was just made");
    assert!(back == raw, "gzip of {path:?} does not round-trip");

    let mut br = Vec::new();
    {
        let mut w =
            brotli::CompressorWriter::new(&mut br, 1 << 16, BROTLI_QUALITY, BROTLI_WINDOW_LOG2);
        w.write_all(&raw).expect("brotli into memory");
    }
    let mut back = Vec::new();
    brotli::Decompressor::new(&br[..], 1 << 16)
        .read_to_end(&mut back)
        .expect("unbrotli what was just made");
    assert!(back == raw, "brotli of {path:?} does not round-trip");

    let mut file = name.to_os_string();
    file.push(".gz");
    write_if_changed(&target.join(&file), &gz);
    let mut file = name.to_os_string();
    file.push(".br");
    write_if_changed(&target.join(&file), &br);
}

/// Leaves an identical file untouched, so its timestamp does not force a rebuild.
fn write_if_changed(path: &Path, bytes: &[u8]) {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return;
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
}
