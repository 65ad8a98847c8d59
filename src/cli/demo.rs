//! `tipseal serve --demo`: a zero-configuration start that shows the whole flow.
//!
//! Throwaway admin and reviewer identities go to `./tipseal-demo/identities/`, clearly
//! apart from the server's data (`./tipseal-demo/server-data/`): the server still holds
//! only public keys. Once the server is up, a sample tip is sealed, submitted, fetched
//! and opened with the demo reviewer's key — the same code paths as the real commands.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::crypto::identity::Identity;
use crate::crypto::keyfile::{read_identity, read_public, write_identity, KdfStrength, Passphrase};
use crate::crypto::keyring::{self, verify_chain};
use crate::domain::keyring::{KeyringFile, PersonName};
use crate::domain::tip::TipDocument;
use crate::http::ServerSettings;

use super::{read_file, submit, write_atomic, CliError, Client};
use crate::reviewer::open::open_bundle;

/// Where the demo keeps everything.
pub const DEMO_DIR: &str = "tipseal-demo";
/// The demo identities' passphrase. They are throwaway keys; never use them for real tips.
pub const DEMO_PASSPHRASE: &str = "demo-passphrase-not-a-secret";
const SAMPLE: &str = include_str!("../../tests/samples/en-construction-qatar.json");

/// Paths of the demo's files.
pub struct Demo {
    identities: PathBuf,
    sample: PathBuf,
}

impl Demo {
    fn admin_key(&self) -> PathBuf {
        self.identities.join("admin.key")
    }
    fn reviewer_key(&self) -> PathBuf {
        self.identities.join("reviewer.key")
    }
    fn keyring(&self) -> PathBuf {
        self.identities.join("keyring.json")
    }
}

/// Creates the demo identities and keyring (once) and points the settings at them.
pub fn prepare(settings: &mut ServerSettings, custom_data: bool) -> Result<Demo, CliError> {
    let listen_ip = match &settings.listen {
        crate::http::Listen::Tcp { host, .. } => host.as_str(),
        crate::http::Listen::Unix(_) => "",
    };
    if !matches!(listen_ip, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(CliError::Usage(
            "--demo listens on loopback only (its keys are throwaway): use --listen 127.0.0.1:PORT"
                .into(),
        ));
    }
    let root = PathBuf::from(DEMO_DIR);
    let d = Demo {
        identities: root.join("identities"),
        sample: root.join("sample-tip.json"),
    };
    if !d.keyring().exists() {
        create(&d)?;
    }
    if !custom_data {
        settings.data_dir = root.join("server-data");
    }
    settings.keyring_file = Some(d.keyring());
    Ok(d)
}

fn create(d: &Demo) -> Result<(), CliError> {
    std::fs::create_dir_all(&d.identities).map_err(|e| CliError::File(d.identities.clone(), e))?;
    let pass = Passphrase::from(DEMO_PASSPHRASE.to_owned());
    let admin = Identity::generate(PersonName::parse("demo-admin")?);
    let reviewer = Identity::generate(PersonName::parse("demo-reviewer")?);
    for (key, path) in [(&admin, d.admin_key()), (&reviewer, d.reviewer_key())] {
        if path.exists() {
            std::fs::remove_file(&path).map_err(|e| CliError::File(path.clone(), e))?;
            let mut p = path.clone().into_os_string();
            p.push(".pub");
            let _ = std::fs::remove_file(p);
        }
        write_identity(&path, key, &pass, KdfStrength::Interactive)?;
    }
    let genesis = keyring::genesis(&admin, 365)?;
    let v = verify_chain(&genesis, None)?;
    let mut pub_path = d.reviewer_key().into_os_string();
    pub_path.push(".pub");
    let reviewer_pub = read_public(Path::new(&pub_path))?;
    let file = keyring::add_reviewer(&v, &admin, reviewer_pub, 365)?;
    write_atomic(&d.keyring(), &verify_chain(&file, None)?.to_json())?;
    write_atomic(&d.sample, SAMPLE.as_bytes())?;
    let readme = format!(
        "THROWAWAY DEMO IDENTITIES — never use them for real tips.\n\
         Passphrase of both keys: {DEMO_PASSPHRASE}\n\
         admin.key / reviewer.key are secret (encrypted); *.pub are public.\n"
    );
    write_atomic(&d.identities.join("README.txt"), readme.as_bytes())
}

/// Runs the whole flow against the live server and prints what to type next.
pub fn show_flow(d: &Demo, url: &str) {
    match run_flow(d, url) {
        Ok(summary) => println!("{summary}"),
        Err(e) => eprintln!("tipseal demo: the demo flow failed: {e}"),
    }
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| {
            let cwd = std::env::current_dir().ok()?;
            Some(
                p.strip_prefix(&cwd)
                    .map(|r| Path::new(".").join(r))
                    .unwrap_or(p),
            )
        })
        .map_or_else(|| "tipseal".to_owned(), |p| p.display().to_string());
    println!(
        "\nThe witness page: open {url}/ in a browser (or {url}/ko/, {url}/ar/ …).\n\
         \nTry it yourself in another terminal (the server keeps running; Ctrl-C stops it):\n\n\
         \x20 export TIPSEAL_PASSPHRASE={DEMO_PASSPHRASE}\n\
         \x20 {exe} submit --server {url} --tip {sample}\n\
         \x20 {exe} review list --server {url} --key {rk}\n\
         \x20 {exe} review show ID --server {url} --key {rk}\n\n\
         Admin commands use --admin-key {ak} --keyring {kr}, then `{exe} admin publish --keyring {kr} --server {url}`.",
        sample = d.sample.display(),
        rk = d.reviewer_key().display(),
        ak = d.admin_key().display(),
        kr = d.keyring().display(),
    );
}

fn run_flow(d: &Demo, url: &str) -> Result<String, CliError> {
    let client = Client::new(url, None)?;
    let keyring = client.keyring()?;
    let doc_bytes = read_file(&d.sample)?;
    let doc = TipDocument::from_json(&doc_bytes)?;
    let attachment = (
        PathBuf::from("site-schedule.txt"),
        Zeroizing::new(b"Concrete pour: 13:00-18:00, crew B (DPRK), no breaks.\n".to_vec()),
    );
    let bundle = submit::seal_bundle(&keyring, doc.clone(), std::slice::from_ref(&attachment))?;
    let key = crate::crypto::b64_encode(&crate::crypto::random_bytes::<18>());
    let receipt = client.submit(&bundle, &key)?;

    let pass = Passphrase::from(DEMO_PASSPHRASE.to_owned());
    let reviewer = read_identity(&d.reviewer_key(), &pass)?;
    let session = client.login(&reviewer)?;
    let fetched = client.fetch(&session, receipt.id)?;
    let keyring = verify_chain(&KeyringFile::from_json(&keyring.to_json())?, None)?;
    let opened = open_bundle(&keyring, &reviewer, receipt.id, &fetched)?;
    let same = opened.received.follows_schema()
        && opened.received.strict.as_ref().map(|s| &s.tip) == Some(&doc)
        && opened.files.first().map(|f| &f[..]) == Some(&attachment.1[..]);
    if !same {
        return Err(CliError::Usage(
            "the opened tip differs from the one submitted".into(),
        ));
    }
    let site = doc
        .worksite
        .as_ref()
        .and_then(|w| w.name.as_ref())
        .map_or_else(String::new, |n| n.to_string());
    Ok(format!(
        "\nDemo flow OK:\n\
         \x20 1. a sample tip and one attachment were sealed on this machine to key epoch {epoch} and submitted → reference {id}\n\
         \x20 2. the server stored {size} sealed bytes it cannot open\n\
         \x20 3. the demo reviewer logged in, fetched it and opened it locally: \"{site}\", attachment {att} bytes, identical",
        epoch = keyring.epoch(),
        id = receipt.id,
        size = fetched.len(),
        att = attachment.1.len(),
    ))
}
