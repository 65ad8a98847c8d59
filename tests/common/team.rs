//! The team: an admin and reviewers with keys in a temp dir, and a keyring file.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

use super::{read_json, spawn_server, tipseal, tipseal_ok, ServerGuard};

/// An admin, a first reviewer ("alice"), their keys and the keyring file (epoch 2 after
/// `setup_team`: init, then add alice).
pub struct Team {
    /// Holds every key file; removed on drop.
    pub dir: TempDir,
    /// The admin's secret key file.
    pub admin_key: PathBuf,
    /// The keyring file the admin signs.
    pub keyring: PathBuf,
    /// Alice's secret key file.
    pub reviewer_key: PathBuf,
}

/// Makes admin and reviewer keys, `admin init`, `admin add-reviewer alice`.
pub fn setup_team() -> Team {
    let dir = TempDir::new().expect("temp team dir");
    let admin_key = keygen(dir.path(), "admin");
    let keyring = dir.path().join("keyring.json");
    tipseal_ok([
        OsStr::new("admin"),
        OsStr::new("init"),
        OsStr::new("--admin-key"),
        admin_key.as_os_str(),
        OsStr::new("--keyring"),
        keyring.as_os_str(),
    ]);
    let team = Team {
        admin_key,
        keyring,
        reviewer_key: PathBuf::new(),
        dir,
    };
    let alice = team.new_identity("alice");
    team.add_reviewer(&alice);
    Team {
        reviewer_key: alice,
        ..team
    }
}

/// `tipseal keygen --out DIR/NAME.key --name NAME --kdf interactive`; returns the secret
/// key path (the public half is beside it with `.pub` appended).
pub fn keygen(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.key"));
    tipseal_ok([
        OsStr::new("keygen"),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--name"),
        OsStr::new(name),
        OsStr::new("--kdf"),
        OsStr::new("interactive"),
    ]);
    out
}

/// `FILE` → `FILE.pub`
pub fn pub_path(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

impl Team {
    /// A new identity in the team's folder (not yet in the keyring).
    pub fn new_identity(&self, name: &str) -> PathBuf {
        keygen(self.dir.path(), name)
    }

    fn admin(&self, sub: &str, extra: &[&OsStr]) -> Output {
        let mut args: Vec<&OsStr> = vec![
            OsStr::new("admin"),
            OsStr::new(sub),
            OsStr::new("--admin-key"),
            self.admin_key.as_os_str(),
            OsStr::new("--keyring"),
            self.keyring.as_os_str(),
        ];
        args.extend_from_slice(extra);
        tipseal_ok(args)
    }

    /// `admin add-reviewer --reviewer KEY.pub` (a new epoch, locally).
    pub fn add_reviewer(&self, key: &Path) {
        let public = pub_path(key);
        self.admin(
            "add-reviewer",
            &[OsStr::new("--reviewer"), public.as_os_str()],
        );
    }

    /// `admin revoke-reviewer --reviewer NAME` (a new epoch, locally).
    pub fn revoke(&self, name: &str) {
        self.admin(
            "revoke-reviewer",
            &[OsStr::new("--reviewer"), OsStr::new(name)],
        );
    }

    /// `admin rotate` (a new epoch with a fresh intake key, locally).
    pub fn rotate(&self) {
        self.admin("rotate", &[]);
    }

    /// `admin renew` (a new epoch with the same people and a fresh expiry, locally).
    pub fn renew(&self) {
        self.admin("renew", &[]);
    }

    /// `admin publish --keyring FILE --server URL`, whatever the outcome.
    pub fn publish_file(&self, file: &Path, server_url: &str) -> Output {
        tipseal([
            OsStr::new("admin"),
            OsStr::new("publish"),
            OsStr::new("--keyring"),
            file.as_os_str(),
            OsStr::new("--server"),
            OsStr::new(server_url),
        ])
    }

    /// Publishes the team's keyring and insists the server took it.
    pub fn publish(&self, server_url: &str) {
        let out = self.publish_file(&self.keyring, server_url);
        assert!(
            out.status.success(),
            "admin publish was refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The epoch of the last manifest of the local keyring file (epochs run 1, 2, 3 …).
    pub fn epoch(&self) -> u32 {
        let v = read_json(&self.keyring);
        v["manifests"]
            .as_array()
            .expect("keyring has manifests")
            .len() as u32
    }

    /// Boots a server on a fresh data dir with this team's keyring, plus `extra` args.
    pub fn spawn_server(&self, extra: &[&str]) -> ServerGuard {
        let mut args: Vec<&OsStr> = vec![OsStr::new("--keyring"), self.keyring.as_os_str()];
        args.extend(extra.iter().map(OsStr::new));
        spawn_server(&args)
    }
}
