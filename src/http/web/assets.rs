//! The page's static files, embedded in the binary: the server needs no `web/` folder at
//! run time, and serves nothing but this fixed list.

/// One embedded file.
pub(super) struct Asset {
    /// The `Content-Type` to serve it with.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! js {
    ($name:literal) => {
        (
            $name,
            Asset {
                content_type: JS,
                bytes: include_bytes!(concat!("../../../web/static/", $name)),
            },
        )
    };
}

/// The BIP39 word lists (`data/wordlists/`, provenance in `PROVENANCE.md`): the page
/// shows and reads receipts in the browser with the same lists the server uses.
macro_rules! wordlist {
    ($name:literal) => {
        (
            concat!("wordlists/", $name, ".txt"),
            Asset {
                content_type: TEXT,
                bytes: include_bytes!(concat!("../../../data/wordlists/", $name, ".txt")),
            },
        )
    };
}

const TEXT: &str = "text/plain; charset=utf-8";

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
    js!("sodium.js"),
    (
        "style.css",
        Asset {
            content_type: "text/css; charset=utf-8",
            bytes: include_bytes!("../../../web/static/style.css"),
        },
    ),
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
