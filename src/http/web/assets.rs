//! The page's static files, embedded in the binary: the server needs no `web/` folder at
//! run time, and serves nothing but this fixed list. Each file is embedded three times:
//! as written, and gzip- and brotli-compressed by `build.rs` (which checks that both
//! decompress to the original), so a slow link carries a third of the bytes.
//!
//! Must never: serve a file that is not in [`ASSETS`], or compress anything per request.

use super::encoding::Encoding;

/// One embedded file.
pub(super) struct Asset {
    /// The `Content-Type` to serve it with.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Its bytes, gzip-compressed at build time.
    pub gzip: &'static [u8],
    /// Its bytes, brotli-compressed at build time.
    pub brotli: &'static [u8],
}

impl Asset {
    /// The bytes to send in `encoding`.
    pub fn encoded(&self, encoding: Encoding) -> &'static [u8] {
        match encoding {
            Encoding::Identity => self.bytes,
            Encoding::Gzip => self.gzip,
            Encoding::Brotli => self.brotli,
        }
    }
}

const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// An embedded file from `$dir` (relative to the repository) with its compressed copies.
macro_rules! asset {
    ($dir:literal, $file:literal, $type:expr) => {
        asset!($dir, $file, "", $type)
    };
    ($dir:literal, $stem:literal, $ext:literal, $type:expr) => {
        Asset {
            content_type: $type,
            bytes: include_bytes!(concat!("../../../", $dir, "/", $stem, $ext)),
            gzip: include_bytes!(concat!(
                env!("OUT_DIR"),
                "/compressed/",
                $dir,
                "/",
                $stem,
                $ext,
                ".gz"
            )),
            brotli: include_bytes!(concat!(
                env!("OUT_DIR"),
                "/compressed/",
                $dir,
                "/",
                $stem,
                $ext,
                ".br"
            )),
        }
    };
}

macro_rules! js {
    ($name:literal) => {
        ($name, asset!("web/static", $name, JS))
    };
}

/// The BIP39 word lists (`data/wordlists/`, provenance in `PROVENANCE.md`): the page
/// shows and reads receipts in the browser with the same lists the server uses.
macro_rules! wordlist {
    ($name:literal) => {
        (
            concat!("wordlists/", $name, ".txt"),
            asset!("data/wordlists", $name, ".txt", TEXT),
        )
    };
}

/// Every file under `/static/`, by name.
const ASSETS: &[(&str, Asset)] = &[
    js!("app.js"),
    js!("envelope.js"),
    js!("exif.js"),
    js!("receipt.js"),
    js!("validity.js"),
    js!("followup.js"),
    js!("tipcheck.js"),
    js!("tipschema.js"),
    js!("hold.js"),
    js!("sodium.js"),
    ("style.css", asset!("web/static", "style.css", CSS)),
    wordlist!("english"),
    wordlist!("korean"),
    wordlist!("chinese_simplified"),
    wordlist!("chinese_traditional"),
    wordlist!("japanese"),
    wordlist!("spanish"),
    wordlist!("french"),
    wordlist!("italian"),
    wordlist!("czech"),
    wordlist!("portuguese"),
];

/// The embedded file called `name`, if there is one.
pub(super) fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|(n, _)| *n == name).map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_smaller_compressed_than_as_written() {
        for (name, a) in ASSETS {
            assert!(a.gzip.len() < a.bytes.len(), "{name}: gzip is not smaller");
            assert!(
                a.brotli.len() < a.bytes.len(),
                "{name}: brotli is not smaller"
            );
        }
    }
}
