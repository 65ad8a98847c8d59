//! The only use of the tipseal library in the tests. If the crate renames something,
//! fix it here and only here; everything else drives the binary or the wire.

use std::net::SocketAddr;
use std::path::Path;

use serde_json::Value;

use super::{raw_http, request, PASSPHRASE};

/// Seals `n` tip bundles for `tip` (a sample document) exactly as a witness's client
/// would: fetch the server's keyring, then [`seal_bundles_with_keyring`].
pub fn seal_bundles(server_url: &str, tip: &Value, n: usize) -> Vec<Vec<u8>> {
    let keyring = served_keyring(server_url);
    seal_bundles_with_keyring(&keyring, tip, n)
}

/// Verifies the keyring file `keyring` (as served), then seals `n` bundles for `tip` to
/// its current epoch's intake key, each framed as a one-envelope bundle.
pub fn seal_bundles_with_keyring(keyring: &[u8], tip: &Value, n: usize) -> Vec<Vec<u8>> {
    let sealed_tip = serde_json::json!({
        "format": "tipseal/sealed-tip/v1",
        "tip": tip,
        "attachments": [],
    });
    seal_sealed_tips(keyring, &sealed_tip, n)
}

/// One sealed bundle for `tip` to the server's current epoch, with the witness's reply
/// key (`reply_to.box_pk`, base64url) sealed inside, as a client that kept a receipt.
pub fn seal_bundle_replying_to(server_url: &str, tip: &Value, reply_pk: &str) -> Vec<u8> {
    let keyring = served_keyring(server_url);
    let sealed_tip = serde_json::json!({
        "format": "tipseal/sealed-tip/v1",
        "tip": tip,
        "attachments": [],
        "reply_to": { "box_pk": reply_pk },
    });
    seal_sealed_tips(&keyring, &sealed_tip, 1)
        .pop()
        .expect("one bundle")
}

/// The keyring file the server serves.
fn served_keyring(server_url: &str) -> Vec<u8> {
    let addr: SocketAddr = server_url
        .trim_start_matches("http://")
        .parse()
        .expect("server url is http://IP:PORT");
    let keyring = raw_http(addr, None, &request("GET", "/api/v1/keyring", &[], &[]));
    assert_eq!(keyring.status, 200, "GET /api/v1/keyring");
    keyring.body
}

/// Verifies `keyring`, then seals `n` one-envelope bundles of the sealed-tip document.
fn seal_sealed_tips(keyring: &[u8], sealed_tip: &Value, n: usize) -> Vec<Vec<u8>> {
    use tipseal::crypto::envelope::seal;
    use tipseal::domain::envelope::{Flags, Kind};

    tipseal::crypto::init().expect("libsodium initialises");
    let file =
        tipseal::domain::keyring::KeyringFile::from_json(keyring).expect("the keyring parses");
    let verified =
        tipseal::crypto::keyring::verify_chain(&file, None).expect("the keyring verifies");
    let intake_pk = verified.intake_public_key();
    let epoch = verified.epoch();
    let plaintext = serde_json::to_vec(sealed_tip).expect("tip serialises");
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

/// The entropy (hex) of a receipt given as words in any list.
pub fn receipt_entropy_hex(words: &str) -> String {
    tipseal::crypto::init().expect("libsodium initialises");
    let r = tipseal::crypto::receipt::Receipt::from_words(words).expect("a valid receipt");
    let hex = r.danger_entropy_hex();
    hex.to_string()
}

/// Decodes hex (test helper).
pub fn hex_decode(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

/// The same receipt in another word list (`from` is informational: any list is read).
pub fn translate(words: &str, _from: &str, to: &str) -> String {
    tipseal::crypto::init().expect("libsodium initialises");
    let r = tipseal::crypto::receipt::Receipt::from_words(words).expect("a valid receipt");
    let list = tipseal::domain::receipt::WordList::parse(to).expect("a known list");
    r.to_words(list).to_string()
}

/// A fresh receipt's English words.
pub fn fresh_receipt_words() -> String {
    tipseal::crypto::init().expect("libsodium initialises");
    let r = tipseal::crypto::receipt::Receipt::generate();
    r.to_words(tipseal::domain::receipt::WordList::English)
        .to_string()
}

/// The JSON body of `POST /api/v1/mailbox/session` for `words` and `challenge_b64`.
/// With `forge`, the body presents this receipt's mailbox key with a signature by
/// another key (someone who knows the key but not the receipt).
pub fn mailbox_login_body(words: &str, challenge_b64: &str, forge: bool) -> String {
    tipseal::crypto::init().expect("libsodium initialises");
    let keys = tipseal::crypto::receipt::Receipt::from_words(words)
        .expect("a valid receipt")
        .keys();
    let challenge: [u8; 32] = tipseal::crypto::b64_decode(challenge_b64)
        .and_then(|c| c.try_into().ok())
        .expect("a 32-byte challenge");
    let signature = if forge {
        tipseal::crypto::receipt::Receipt::generate()
            .keys()
            .sign_mailbox_login(&challenge)
    } else {
        keys.sign_mailbox_login(&challenge)
    };
    serde_json::json!({
        "mailbox_pk": keys.mailbox_pk_b64(),
        "challenge": challenge_b64,
        "signature": signature,
    })
    .to_string()
}

/// Whether the reply bundle (base64url, from `GET /api/v1/mailbox`) opens with the reply
/// key of the receipt `words`.
pub fn reply_bundle_opens_with(bundle_b64: &str, words: &str) -> bool {
    use tipseal::domain::envelope::Kind;
    tipseal::crypto::init().expect("libsodium initialises");
    let keys = tipseal::crypto::receipt::Receipt::from_words(words)
        .expect("a valid receipt")
        .keys();
    let bytes = tipseal::crypto::b64_decode(bundle_b64).expect("base64url");
    let parsed = tipseal::domain::bundle::parse_with_kinds(&bytes, |i| {
        if i == 0 {
            Kind::Reply
        } else {
            Kind::Attachment
        }
    })
    .expect("a reply bundle");
    tipseal::crypto::envelope::open(parsed.parts()[0].bytes, &keys.reply_secret()).is_ok()
}

/// A *wrong* receipt for `words`: the same first eleven words and another last word that
/// still passes the checksum (what a witness who misremembers one word might type).
pub fn a_wrong_receipt(words: &str) -> String {
    use tipseal::crypto::receipt::Receipt;
    use tipseal::domain::receipt::WordList;
    tipseal::crypto::init().expect("libsodium initialises");
    let english = Receipt::from_words(words)
        .expect("a valid receipt")
        .to_words(WordList::English)
        .to_string();
    let mut w: Vec<&str> = english.split(' ').collect();
    let last = w[11];
    for i in 0..2048u16 {
        let candidate = WordList::English.word(i);
        if candidate == last {
            continue;
        }
        w[11] = candidate;
        let joined = w.join(" ");
        if Receipt::from_words(&joined).is_ok() {
            return joined;
        }
    }
    unreachable!("128 of 2048 last words pass the checksum")
}

/// The public keys a receipt derives, as a witness's client sends them: (mailbox key for
/// the `Tipseal-Mailbox` header, reply key for the tip's `reply_to.box_pk`), base64url.
pub fn receipt_public_keys(words: &str) -> (String, String) {
    tipseal::crypto::init().expect("libsodium initialises");
    let keys = tipseal::crypto::receipt::Receipt::from_words(words)
        .expect("a valid receipt")
        .keys();
    (keys.mailbox_pk_b64(), keys.reply_pk_b64())
}

fn test_identity(key: &Path) -> tipseal::crypto::identity::Identity {
    use tipseal::crypto::keyfile::{read_identity, Passphrase};
    tipseal::crypto::init().expect("libsodium initialises");
    read_identity(key, &Passphrase::from(PASSPHRASE.to_owned()))
        .expect("the key file opens with the test passphrase")
}

fn verified_keyring(bytes: &[u8]) -> tipseal::crypto::keyring::VerifiedKeyring {
    tipseal::crypto::init().expect("libsodium initialises");
    let file = tipseal::domain::keyring::KeyringFile::from_json(bytes).expect("keyring parses");
    tipseal::crypto::keyring::verify_chain(&file, None).expect("keyring verifies")
}

/// A forged keyring (issue 7, finding 1): a genesis listing the real admin (`real_pub`, a
/// `.pub` file) next to `attacker` (a key file) but signed by the attacker alone, then an
/// epoch 2 signed by the attacker that makes `attacker_reviewer` the only reviewer.
pub fn forge_keyring_listing(
    real_pub: &Path,
    attacker: &Path,
    attacker_reviewer: &Path,
) -> Vec<u8> {
    use tipseal::crypto::keyring::{add_reviewer, sign_manifest};
    use tipseal::domain::keyring::{KeyringFile, Manifest, PublicKeyFile};
    use tipseal::domain::{Day, Epoch};
    let mallory = test_identity(attacker);
    let real = PublicKeyFile::from_json(&std::fs::read(real_pub).expect("read .pub"))
        .expect("a public key file");
    let today = Day::today();
    let genesis = Manifest {
        epoch: Epoch::FIRST,
        prev: None,
        issued: today,
        expires: today.plus_days(90),
        admins: vec![real, mallory.public()],
        threshold: None,
        reviewers: Vec::new(),
        intake_pk: tipseal::crypto::b64_encode(&[7u8; 32]),
        grants: Vec::new(),
    };
    let file = KeyringFile::new(vec![sign_manifest(&mallory, &genesis)]);
    let v1 = tipseal::crypto::keyring::verify_chain(&file, None).expect("self-signed genesis");
    let reviewer = test_identity(attacker_reviewer).public();
    add_reviewer(&v1, &mallory, reviewer, 90)
        .expect("the attacker extends its own chain")
        .to_json()
}

/// The keyring `bytes` with one more epoch signed by `admin` (a key file): the same
/// reviewers and a fresh intake key, issued `issued_days_ago` and expiring
/// `expires_in_days` from today (negative: already expired). A forked epoch when `bytes`
/// is an older cut of a chain that already went on.
/// With `extra_reviewer` (a key file), that person is added as a reviewer too.
pub fn extend_keyring(
    bytes: &[u8],
    admin: &Path,
    extra_reviewer: Option<&Path>,
    issued_days_ago: i64,
    expires_in_days: i64,
) -> Vec<u8> {
    use tipseal::domain::Day;
    let current = verified_keyring(bytes);
    let today = Day::today();
    let mut reviewers = current.current().reviewers.clone();
    reviewers.extend(extra_reviewer.map(|k| test_identity(k).public()));
    tipseal::crypto::keyring::next_epoch_between(
        &current,
        &test_identity(admin),
        reviewers,
        today.plus_days(-issued_days_ago),
        today.plus_days(expires_in_days),
    )
    .expect("the admin signs the next epoch")
    .to_json()
}

/// Whether `key` (a reviewer's key file) opens the first part of the tip `bundle`
/// sealed to an epoch of `keyring` (as served).
pub fn bundle_opens_with(keyring: &[u8], bundle: &[u8], key: &Path) -> bool {
    let verified = verified_keyring(keyring);
    let me = test_identity(key);
    let Ok(parsed) = tipseal::domain::bundle::parse(bundle) else {
        return false;
    };
    let tip = parsed.tip();
    tipseal::crypto::keyring::intake_secret_for(&verified, tip.wrap.epoch, &me)
        .and_then(|sk| tipseal::crypto::envelope::open(tip.bytes, &sk))
        .is_ok()
}

/// The ids of every tip the server lists to the reviewer `key`, read from the API itself
/// (login, then the paginated listing) without the reviewer client's local store: for
/// tests that count thousands of tips, where `review list` would open and index each.
pub fn server_tip_ids(server_url: &str, key: &Path) -> Vec<String> {
    let client = tipseal::client::Client::new(server_url, None).expect("a client");
    let session = client
        .login(&test_identity(key))
        .expect("the reviewer logs in");
    client
        .list_in_pages(&session, 1000)
        .expect("the listing")
        .into_iter()
        .map(|row| row.id.to_string())
        .collect()
}

/// A reviewer's or admin's identity, unlocked once, to sign many HTTP logins quickly.
pub struct StaffSigner(tipseal::crypto::identity::Identity);

impl StaffSigner {
    /// Unlocks the key file `key` with the test passphrase.
    pub fn open(key: &Path) -> Self {
        use tipseal::crypto::keyfile::{read_identity, Passphrase};
        tipseal::crypto::init().expect("libsodium initialises");
        Self(
            read_identity(key, &Passphrase::from(PASSPHRASE.to_owned()))
                .expect("the key file opens with the test passphrase"),
        )
    }

    /// The key id as hex.
    pub fn key_id(&self) -> String {
        self.0.key_id().to_string()
    }

    /// The JSON body of `POST /api/v1/auth/session` answering `challenge_b64`.
    pub fn login_body(&self, challenge_b64: &str) -> String {
        let challenge: [u8; 32] = tipseal::crypto::b64_decode(challenge_b64)
            .and_then(|c| c.try_into().ok())
            .expect("a 32-byte challenge");
        serde_json::json!({
            "key_id": self.key_id(),
            "challenge": challenge_b64,
            "signature": tipseal::crypto::auth::sign_login(&self.0, &challenge),
        })
        .to_string()
    }
}

/// The mailbox public key (base64url) of the receipt `words`: the `Tipseal-Mailbox`
/// header of a submission that keeps a mailbox.
pub fn mailbox_pk_b64(words: &str) -> String {
    tipseal::crypto::init().expect("libsodium initialises");
    tipseal::crypto::receipt::Receipt::from_words(words)
        .expect("a valid receipt")
        .keys()
        .mailbox_pk_b64()
}

/// A receipt's mailbox keys, derived once, to sign many mailbox logins quickly.
pub struct MailboxSigner(tipseal::crypto::receipt::ReceiptKeys);

impl MailboxSigner {
    /// Derives the keys of the receipt `words`.
    pub fn new(words: &str) -> Self {
        tipseal::crypto::init().expect("libsodium initialises");
        Self(
            tipseal::crypto::receipt::Receipt::from_words(words)
                .expect("a valid receipt")
                .keys(),
        )
    }

    /// The JSON body of `POST /api/v1/mailbox/session` answering `challenge_b64`.
    pub fn login_body(&self, challenge_b64: &str) -> String {
        let challenge: [u8; 32] = tipseal::crypto::b64_decode(challenge_b64)
            .and_then(|c| c.try_into().ok())
            .expect("a 32-byte challenge");
        serde_json::json!({
            "mailbox_pk": self.0.mailbox_pk_b64(),
            "challenge": challenge_b64,
            "signature": self.0.sign_mailbox_login(&challenge),
        })
        .to_string()
    }
}

/// Logs in as the identity in `key` (a passphrase-protected key file) over the wire —
/// challenge, Ed25519 signature, session — and returns the bearer token.
pub fn staff_token(server_url: &str, key: &Path) -> String {
    use tipseal::crypto::keyfile::{read_identity, Passphrase};

    tipseal::crypto::init().expect("libsodium initialises");
    let addr = addr_of(server_url);
    let me = read_identity(key, &Passphrase::from(PASSPHRASE.to_owned()))
        .expect("the key file opens with the test passphrase");
    let post = |path: &str, body: Value| {
        let body = body.to_string();
        let res = raw_http(
            addr,
            None,
            &request(
                "POST",
                path,
                &[("Content-Type", "application/json")],
                body.as_bytes(),
            ),
        );
        assert_eq!(res.status, 200, "POST {path}");
        res.json()
    };
    let key_id = me.key_id().to_string();
    let c = post(
        "/api/v1/auth/challenge",
        serde_json::json!({ "key_id": key_id }),
    );
    let challenge: [u8; 32] = tipseal::crypto::b64_decode(c["challenge"].as_str().unwrap())
        .and_then(|v| v.try_into().ok())
        .expect("a 32-byte challenge");
    let signature = tipseal::crypto::auth::sign_login(&me, &challenge);
    let s = post(
        "/api/v1/auth/session",
        serde_json::json!({ "key_id": key_id, "challenge": c["challenge"], "signature": signature }),
    );
    s["token"].as_str().expect("a token").to_owned()
}

/// Submits a tip (a sample document) with a fresh receipt's mailbox, logs in to that
/// mailbox over the wire and returns the witness's bearer token.
pub fn witness_token(server_url: &str, tip: &Value) -> String {
    let addr = addr_of(server_url);
    let words = fresh_receipt_words();
    let keys = tipseal::crypto::receipt::Receipt::from_words(&words)
        .expect("a valid receipt")
        .keys();
    let bundle = seal_bundle(server_url, tip);
    let mailbox_pk = keys.mailbox_pk_b64();
    let headers = [
        ("Content-Type", "application/octet-stream"),
        ("Tipseal-Mailbox", mailbox_pk.as_str()),
    ];
    let res = raw_http(
        addr,
        None,
        &request("POST", "/api/v1/tips", &headers, &bundle),
    );
    assert_eq!(res.status, 201, "POST /api/v1/tips with a mailbox");
    let c = raw_http(
        addr,
        None,
        &request("POST", "/api/v1/mailbox/challenge", &[], &[]),
    );
    assert_eq!(c.status, 200, "POST /api/v1/mailbox/challenge");
    let challenge = c.json()["challenge"]
        .as_str()
        .expect("a challenge")
        .to_owned();
    let body = mailbox_login_body(&words, &challenge, false);
    let json = [("Content-Type", "application/json")];
    let s = raw_http(
        addr,
        None,
        &request("POST", "/api/v1/mailbox/session", &json, body.as_bytes()),
    );
    assert_eq!(s.status, 200, "POST /api/v1/mailbox/session");
    s.json()["token"].as_str().expect("a token").to_owned()
}

/// The socket address of a `http://IP:PORT` server URL.
fn addr_of(server_url: &str) -> SocketAddr {
    server_url
        .trim_start_matches("http://")
        .parse()
        .expect("server url is http://IP:PORT")
}

/// A reviewer's reply bundle (pairs: the witness's copy, the team's copy) from the
/// reviewer in `key`, to the witness whose reply key is `reply_pk_b64`, sealed to the
/// current epoch of `keyring` whatever its expiry: what a client that ignored the
/// expiry would send.
pub fn seal_reply_with_keyring(keyring: &[u8], key: &Path, reply_pk_b64: &str) -> Vec<u8> {
    use tipseal::domain::tip::conversation::Reply;
    use tipseal::domain::tip::LongText;
    let keyring = verified_keyring(keyring);
    let me = test_identity(key);
    let witness =
        tipseal::crypto::receipt::reply_public_key(reply_pk_b64).expect("a valid reply key");
    let message = LongText::parse("sealed to an expired keyring".to_owned()).expect("text");
    let mut reply = Reply::unsigned(message, me.key_id(), reply_pk_b64.to_owned(), Vec::new())
        .expect("a reply");
    tipseal::crypto::reply::sign(&me, &mut reply);
    let json = reply.to_json();
    let envelopes: Vec<Vec<u8>> = [&witness, &keyring.intake_public_key()]
        .into_iter()
        .map(|to| {
            tipseal::crypto::envelope::seal(
                &json,
                tipseal::domain::envelope::Kind::Reply,
                tipseal::domain::envelope::Flags::NONE,
                keyring.epoch(),
                to,
            )
            .expect("the reply seals")
        })
        .collect();
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    tipseal::domain::bundle::encode(&refs)
}

/// Fills the conversation of tip `id` in a STOPPED server's `data_dir` up to the
/// storage's limit (`MAX_THREAD_ENTRIES`) with placeholder follow-ups (reviewers' copies
/// only), so a test can attack a full conversation without sending 10,000 requests.
pub fn fill_conversation(data_dir: &Path, id: &str) {
    append_placeholders(data_dir, id, usize::MAX);
}

/// Appends up to `n` placeholder follow-ups (as `fill_conversation`, stopping early at
/// the limit) to tip `id`'s conversation in a STOPPED server's `data_dir`; returns how
/// many were appended.
pub fn append_placeholders(data_dir: &Path, id: &str, n: usize) -> usize {
    append_entries(data_dir, id, std::iter::repeat_n(b"placeholder", n))
}

/// Appends one follow-up entry per item of `bodies` (stored as given, so not real
/// bundles) to tip `id`'s conversation in a stopped server's store, until the store
/// refuses one (the conversation is full); returns how many were appended.
pub fn append_entries<B: AsRef<[u8]>>(
    data_dir: &Path,
    id: &str,
    bodies: impl IntoIterator<Item = B>,
) -> usize {
    use tipseal::domain::{Day, TipId};
    use tipseal::storage::{Store, ThreadKind};
    let store = Store::open(data_dir, [7; 32]).expect("open the stopped server's store");
    let tip = TipId::parse(id).expect("a tip id");
    let appended = bodies
        .into_iter()
        .take_while(|body| {
            store
                .append_thread(tip, ThreadKind::Followup, Day::today(), None, body.as_ref())
                .is_ok()
        })
        .count();
    store.durable_blocking().expect("flush");
    appended
}

/// A follow-up upload for `POST /api/v1/mailbox/messages`, sealed to the server's current
/// epoch as a client would: the follow-up `message`, then — when `own_copy_for` holds the
/// receipt words — the witness's own copy sealed to that receipt's reply key, as the
/// last part (`docs/followup.md`). Without it, the layout older clients send.
pub fn seal_followup_upload(
    server_url: &str,
    message: &str,
    own_copy_for: Option<&str>,
) -> Vec<u8> {
    use tipseal::crypto::envelope::seal;
    use tipseal::domain::envelope::{Flags, Kind};
    let keyring = verified_keyring(&served_keyring(server_url));
    let json = serde_json::json!({
        "format": "tipseal/followup/v1",
        "message": message,
        "attachments": [],
    })
    .to_string();
    let (epoch, intake) = (keyring.epoch(), keyring.intake_public_key());
    let mut parts = vec![
        seal(json.as_bytes(), Kind::Followup, Flags::NONE, epoch, &intake)
            .expect("the follow-up seals"),
    ];
    if let Some(words) = own_copy_for {
        let keys = tipseal::crypto::receipt::Receipt::from_words(words)
            .expect("a valid receipt")
            .keys();
        let own =
            tipseal::crypto::receipt::reply_public_key(&keys.reply_pk_b64()).expect("a reply key");
        parts.push(
            seal(json.as_bytes(), Kind::Followup, Flags::NONE, epoch, &own)
                .expect("the copy seals"),
        );
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    tipseal::domain::bundle::encode(&refs)
}

/// The message inside the witness's copy of their own follow-up (base64url, from
/// `followups` of `GET /api/v1/mailbox`), opened with the reply key of `words`.
pub fn own_followup_message(bundle_b64: &str, words: &str) -> Option<String> {
    use tipseal::domain::envelope::Kind;
    tipseal::crypto::init().expect("libsodium initialises");
    let keys = tipseal::crypto::receipt::Receipt::from_words(words)
        .expect("a valid receipt")
        .keys();
    let bytes = tipseal::crypto::b64_decode(bundle_b64)?;
    let parsed = tipseal::domain::bundle::parse_with_kinds(&bytes, |_| Kind::Followup).ok()?;
    let opened =
        tipseal::crypto::envelope::open(parsed.parts().first()?.bytes, &keys.reply_secret())
            .ok()?;
    let v: Value = serde_json::from_slice(&opened.plaintext).ok()?;
    v["message"].as_str().map(str::to_owned)
}

/// Stores the sealed tip `bundle` straight into the database at `data_dir` (no server
/// may run on it), as if it had been received `days_ago` days before today: the only
/// honest way for a test to hold a tip older than the test. The bytes are those a
/// server would store for the same bundle. Returns the tip's id.
pub fn store_tip_received_days_ago(data_dir: &Path, bundle: &[u8], days_ago: i64) -> String {
    use tipseal::domain::Day;
    use tipseal::storage::Store;

    let store = Store::open(data_dir, tipseal::crypto::random_bytes()).expect("the data dir opens");
    let received = Day::today().plus_days(-days_ago);
    let id = tipseal::loadgen::insert_sealed(&store, bundle, received).expect("the tip is stored");
    store.durable_blocking().expect("the tip is flushed");
    id.to_string()
}
