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

/// Every file under `/static/`, by name.
const ASSETS: &[(&str, Asset)] = &[
    (
        "app.js",
        Asset {
            content_type: JS,
            bytes: include_bytes!("../../../web/static/app.js"),
        },
    ),
    (
        "envelope.js",
        Asset {
            content_type: JS,
            bytes: include_bytes!("../../../web/static/envelope.js"),
        },
    ),
    (
        "exif.js",
        Asset {
            content_type: JS,
            bytes: include_bytes!("../../../web/static/exif.js"),
        },
    ),
    (
        "sodium.js",
        Asset {
            content_type: JS,
            bytes: include_bytes!("../../../web/static/sodium.js"),
        },
    ),
    (
        "style.css",
        Asset {
            content_type: "text/css; charset=utf-8",
            bytes: include_bytes!("../../../web/static/style.css"),
        },
    ),
];

/// The embedded file called `name`, if there is one.
pub(super) fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|(n, _)| *n == name).map(|(_, a)| a)
}
