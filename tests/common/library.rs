//! The only use of the tipseal library in the tests. If the crate renames something,
//! fix it here and only here; everything else drives the binary or the wire.

use std::net::SocketAddr;
use std::path::Path;

use serde_json::Value;

use super::{raw_http, request, PASSPHRASE};

/// Seals `n` tip bundles for `tip` (a sample document) exactly as a witness's client
/// would: fetch the server's keyring, then [`seal_bundles_with_keyring`].
pub fn seal_bundles(server_url: &str, tip: &Value, n: usize) -> Vec<Vec<u8>> {
    let addr: SocketAddr = server_url
        .trim_start_matches("http://")
        .parse()
        .expect("server url is http://IP:PORT");
    let keyring = raw_http(addr, None, &request("GET", "/api/v1/keyring", &[], &[]));
    assert_eq!(keyring.status, 200, "GET /api/v1/keyring");
    seal_bundles_with_keyring(&keyring.body, tip, n)
}

/// Verifies the keyring file `keyring` (as served), then seals `n` bundles for `tip` to
/// its current epoch's intake key, each framed as a one-envelope bundle.
pub fn seal_bundles_with_keyring(keyring: &[u8], tip: &Value, n: usize) -> Vec<Vec<u8>> {
    use tipseal::crypto::envelope::seal;
    use tipseal::domain::envelope::{Flags, Kind};

    tipseal::crypto::init().expect("libsodium initialises");
    let file =
        tipseal::domain::keyring::KeyringFile::from_json(keyring).expect("the keyring parses");
    let verified =
        tipseal::crypto::keyring::verify_chain(&file, None).expect("the keyring verifies");
    let intake_pk = verified.intake_public_key();
    let epoch = verified.epoch();
    let plaintext = serde_json::to_vec(&serde_json::json!({
        "format": "tipseal/sealed-tip/v1",
        "tip": tip,
        "attachments": [],
    }))
    .expect("tip serialises");
    (0..n)
        .map(|_| {
            let envelope =
                seal(&plaintext, Kind::Tip, Flags::NONE, epoch, &intake_pk).expect("a tip seals");
            tipseal::domain::bundle::encode(&[&envelope[..]])
        })
        .collect()
}

/// One sealed bundle for `tip`, to the server's current epoch.
pub fn seal_bundle(server_url: &str, tip: &Value) -> Vec<u8> {
    seal_bundles(server_url, tip, 1).pop().expect("one bundle")
}

/// Whether the identity in `key` (a passphrase-protected key file) holds a grant that
/// yields the intake secret of `epoch` in the keyring file at `keyring`.
pub fn can_open_epoch(keyring: &Path, epoch: u32, key: &Path) -> bool {
    use tipseal::crypto::keyfile::{read_identity, Passphrase};

    tipseal::crypto::init().expect("libsodium initialises");
    let bytes = std::fs::read(keyring).expect("read keyring file");
    let file = tipseal::domain::keyring::KeyringFile::from_json(&bytes).expect("keyring parses");
    let verified = tipseal::crypto::keyring::verify_chain(&file, None).expect("keyring verifies");
    let identity = read_identity(key, &Passphrase::from(PASSPHRASE.to_owned()))
        .expect("the key file opens with the test passphrase");
    let epoch = tipseal::domain::Epoch::new(epoch).expect("epochs start at 1");
    tipseal::crypto::keyring::intake_secret_for(&verified, epoch, &identity).is_ok()
}
