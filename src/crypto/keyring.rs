//! The keyring chain: verifying it, and building its next epoch.
//!
//! A chain is accepted only when every manifest is signed by at least `threshold`
//! distinct admins of the manifest before it (epoch 1: of its own admins; no threshold
//! means 1, see `crypto::quorum`), epochs run 1, 2, 3 … and each `prev` is the hash of
//! the manifest before it. A body other than the genesis is parsed only
//! after its signature verified. Builders generate each epoch's intake keypair, seal the
//! secret to every reviewer of that epoch, sign, and let the secret be wiped: the admin
//! keeps nothing that opens a tip.
//!
//! Must never: trust a body before its signature, keep an intake secret after the grant
//! is sealed, or read a clock while verifying (expiry is the caller's decision).

use std::collections::HashSet;

use super::identity::{Identity, PublicKeys, SignatureDomain};
use super::intake::{self, IntakePublicKey, IntakeSecretKey, KEY_LEN, SEAL_OVERHEAD};
use super::quorum;
use super::{b64_decode, b64_encode, hash32, CryptoError, KeyringProblem};
use crate::domain::keyring::{
    Grant, KeyringFile, Manifest, ManifestSignature, PublicIdentity, Role, SignedManifest,
    Threshold,
};
use crate::domain::{Day, Epoch, KeyId};

/// Longest validity of one manifest: ten years. Rotation is cheap; a manifest that
/// never expires is a forgotten one.
pub const MAX_VALIDITY_DAYS: u32 = 3660;

/// `BLAKE2b-256("tipseal/manifest-hash/v1\0" || body_bytes)`.
pub fn manifest_hash(body: &[u8]) -> [u8; 32] {
    hash32(b"tipseal/manifest-hash/v1\0", &[body])
}

/// A keyring whose chain verified. Only [`verify_chain`] makes one.
#[derive(Clone, Debug)]
pub struct VerifiedKeyring {
    file: KeyringFile,
    manifests: Vec<Manifest>,
    hashes: Vec<[u8; 32]>,
    intake: Vec<IntakePublicKey>,
}

impl VerifiedKeyring {
    /// The newest manifest.
    pub fn current(&self) -> &Manifest {
        self.manifests
            .last()
            .expect("a verified keyring has a manifest")
    }

    /// The newest epoch.
    pub fn epoch(&self) -> Epoch {
        self.current().epoch
    }

    /// The intake key tips must be sealed to now.
    pub fn intake_public_key(&self) -> IntakePublicKey {
        self.intake
            .last()
            .expect("a verified keyring has a manifest")
            .clone()
    }

    /// The intake key of `epoch`.
    pub fn intake_public_key_of(&self, epoch: Epoch) -> Option<&IntakePublicKey> {
        self.intake.get(index(epoch))
    }

    /// The manifest of `epoch`.
    pub fn manifest(&self, epoch: Epoch) -> Option<&Manifest> {
        self.manifests.get(index(epoch))
    }

    /// All manifests, epoch 1 first.
    pub fn manifests(&self) -> &[Manifest] {
        &self.manifests
    }

    /// The hex hash of `epoch`'s manifest.
    pub fn manifest_hash(&self, epoch: Epoch) -> Option<String> {
        self.hashes.get(index(epoch)).map(hex::encode)
    }

    /// This key id's role in the *current* epoch (revoked people have none).
    pub fn role_of(&self, id: KeyId) -> Option<Role> {
        self.current().role_of(id)
    }

    /// The public keys of an admin or reviewer of the current epoch.
    pub fn public_keys(&self, id: KeyId) -> Option<PublicKeys> {
        let m = self.current();
        let p = m.admin(id).or_else(|| m.reviewer(id))?;
        PublicKeys::from_identity(p).ok()
    }

    /// Whether the current epoch has any reviewer (if not, nobody could open a tip).
    pub fn has_reviewers(&self) -> bool {
        !self.current().reviewers.is_empty()
    }

    /// Whether the current manifest expired before `today`.
    pub fn is_expired(&self, today: Day) -> bool {
        self.current().expires < today
    }

    /// The verified file.
    pub fn file(&self) -> &KeyringFile {
        &self.file
    }

    /// The verified file as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        self.file.to_json()
    }
}

fn index(epoch: Epoch) -> usize {
    epoch.get() as usize - 1
}

fn refuse(p: KeyringProblem) -> CryptoError {
    CryptoError::Keyring(p)
}

fn malformed(why: impl Into<String>) -> CryptoError {
    CryptoError::Keyring(KeyringProblem::Malformed(why.into()))
}

/// Verifies a keyring chain. With `pinned_admins` (the trust anchor: the admin key ids
/// a server's `--admin-pub`, a witness's `--admin-key-id` or the page pins), the genesis
/// must list exactly those admins *and* carry a valid signature by each of them (see
/// [`check_anchor`]). Without pins the genesis need only be signed by one of its own
/// admins: the caller then trusts it on first use (and remembers it, see
/// [`KeyringMemory`]).
pub fn verify_chain(
    file: &KeyringFile,
    pinned_admins: Option<&[KeyId]>,
) -> Result<VerifiedKeyring, CryptoError> {
    file.check_shape().map_err(|e| malformed(e.to_string()))?;
    let n = file.manifests.len();
    let mut out = VerifiedKeyring {
        file: file.clone(),
        manifests: Vec::with_capacity(n),
        hashes: Vec::with_capacity(n),
        intake: Vec::with_capacity(n),
    };
    let mut signers: Vec<PublicKeys> = Vec::new();
    let mut needed = 1;
    for (i, signed) in file.manifests.iter().enumerate() {
        let body = b64_decode(&signed.body)
            .ok_or_else(|| malformed("a manifest body is not base64url"))?;
        let m = if i == 0 {
            // Genesis is self-signed: its admins and threshold must be read to know who
            // may sign it.
            let m = parse_body(&body)?;
            let own_admins = people(&m.admins)?;
            verify_signed(signed, &body, &own_admins, m.required_signatures())?;
            if let Some(pinned) = pinned_admins {
                check_anchor(signed, &body, &own_admins, pinned)?;
            }
            m
        } else {
            verify_signed(signed, &body, &signers, needed)?;
            parse_body(&body)?
        };
        let expected_prev = out.hashes.last().map(hex::encode);
        if index(m.epoch) != i || m.prev != expected_prev {
            return Err(refuse(KeyringProblem::BrokenChain));
        }
        signers = people(&m.admins)?;
        needed = m.required_signatures();
        people(&m.reviewers)?;
        let intake_pk = b64_decode(&m.intake_pk)
            .and_then(|b| IntakePublicKey::from_bytes(&b).ok())
            .ok_or_else(|| malformed("an intake public key is not 32 base64url bytes"))?;
        if m.grants.iter().any(|g| !well_formed_grant(g)) {
            return Err(malformed("a grant is not a sealed 32-byte key"));
        }
        out.hashes.push(manifest_hash(&body));
        out.intake.push(intake_pk);
        out.manifests.push(m);
    }
    Ok(out)
}

/// Checks that `candidate` may replace `current`: a higher epoch (else `StaleEpoch`)
/// and byte-identical manifests for every epoch `current` has (else `Fork`).
pub fn check_extends(
    current: &VerifiedKeyring,
    candidate: &VerifiedKeyring,
) -> Result<(), CryptoError> {
    if candidate.epoch() <= current.epoch() {
        return Err(refuse(KeyringProblem::StaleEpoch));
    }
    if candidate.hashes[..current.hashes.len()] != current.hashes[..] {
        return Err(refuse(KeyringProblem::Fork));
    }
    Ok(())
}

/// The one trust-anchor rule, shared by the server, the witness and reviewer clients
/// (and mirrored by `web/static/envelope.js`, checked against `tests/vectors/keyring/`):
/// the pins are not empty, the genesis admins are exactly the pinned key ids, and the
/// genesis carries a valid signature by *each* pinned admin. A genesis that lists the
/// real admin next to an attacker but is signed by the attacker alone is refused.
fn check_anchor(
    signed: &SignedManifest,
    body: &[u8],
    own_admins: &[PublicKeys],
    pinned: &[KeyId],
) -> Result<(), CryptoError> {
    let want: HashSet<&KeyId> = pinned.iter().collect();
    let ids: Vec<KeyId> = own_admins.iter().map(PublicKeys::id).collect();
    let got: HashSet<&KeyId> = ids.iter().collect();
    if want.is_empty() || want != got {
        return Err(refuse(KeyringProblem::UnpinnedAdmin));
    }
    let signed_by_each = own_admins
        .iter()
        .all(|pk| verify_signed(signed, body, std::slice::from_ref(pk), 1).is_ok());
    if signed_by_each {
        Ok(())
    } else {
        Err(refuse(KeyringProblem::UnpinnedAdmin))
    }
}

/// Refuses a keyring whose current manifest expired before `today` (`Expired`). Clients
/// and the server call it with their own clock; [`verify_chain`] reads none.
pub fn check_fresh(keyring: &VerifiedKeyring, today: Day) -> Result<(), CryptoError> {
    if keyring.is_expired(today) {
        Err(refuse(KeyringProblem::Expired))
    } else {
        Ok(())
    }
}

/// What a client remembers of the newest keyring it has accepted from one server: the
/// epoch and that manifest's hash. Nothing else (no time, no URL, no people).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringMemory {
    /// The highest epoch seen.
    pub epoch: Epoch,
    /// Hex hash of that epoch's manifest.
    pub manifest_hash: String,
}

impl KeyringMemory {
    /// What to remember of `keyring`: its current epoch and manifest hash.
    pub fn of(keyring: &VerifiedKeyring) -> Self {
        let epoch = keyring.epoch();
        Self {
            epoch,
            manifest_hash: keyring.manifest_hash(epoch).unwrap_or_default(),
        }
    }

    /// Refuses a keyring older than the remembered epoch (`Rollback`) or one whose
    /// manifest at the remembered epoch has another hash (`Fork`). Because each manifest
    /// names the hash of the one before, an equal hash there vouches for the whole past.
    pub fn check(&self, keyring: &VerifiedKeyring) -> Result<(), CryptoError> {
        if keyring.epoch() < self.epoch {
            return Err(refuse(KeyringProblem::Rollback));
        }
        match keyring.manifest_hash(self.epoch) {
            Some(h) if h.eq_ignore_ascii_case(&self.manifest_hash) => Ok(()),
            _ => Err(refuse(KeyringProblem::Fork)),
        }
    }
}

fn parse_body(body: &[u8]) -> Result<Manifest, CryptoError> {
    Manifest::from_json(body).map_err(|e| malformed(e.to_string()))
}

fn people(list: &[PublicIdentity]) -> Result<Vec<PublicKeys>, CryptoError> {
    list.iter()
        .map(|p| {
            PublicKeys::from_identity(p)
                .map_err(|_| malformed("a listed person's keys do not match their key id"))
        })
        .collect()
}

/// At least `needed` distinct `signers` signed `body` (see [`quorum::require`]).
fn verify_signed(
    signed: &SignedManifest,
    body: &[u8],
    signers: &[PublicKeys],
    needed: usize,
) -> Result<(), CryptoError> {
    quorum::require(quorum::valid_signers(signed, body, signers).len(), needed)
}

fn well_formed_grant(g: &Grant) -> bool {
    b64_decode(&g.sealed_secret).is_some_and(|b| b.len() == KEY_LEN + SEAL_OVERHEAD)
}

/// Signs manifest `m` with `admin`'s key: one signature, no checks (the builders below
/// verify what they make; tests use it to forge chains).
pub fn sign_manifest(admin: &Identity, m: &Manifest) -> SignedManifest {
    let body = m.to_json();
    let sig = admin.sign(SignatureDomain::Keyring, &body);
    SignedManifest {
        body: b64_encode(&body),
        signatures: vec![ManifestSignature {
            key_id: admin.key_id(),
            signature: b64_encode(&sig),
        }],
    }
}

fn validity(days: u32) -> Result<(Day, Day), CryptoError> {
    if days == 0 || days > MAX_VALIDITY_DAYS {
        return Err(malformed(format!(
            "validity must be 1 to {MAX_VALIDITY_DAYS} days"
        )));
    }
    let issued = Day::today();
    Ok((issued, issued.plus_days(i64::from(days))))
}

/// A new keyring: epoch 1, `admin` its only admin, no reviewers yet. Its intake secret
/// is discarded (nobody could be granted it), so add a reviewer before taking tips.
pub fn genesis(admin: &Identity, validity_days: u32) -> Result<KeyringFile, CryptoError> {
    let (issued, expires) = validity(validity_days)?;
    let (intake_pk, _discarded) = intake::generate();
    let m = Manifest {
        epoch: Epoch::FIRST,
        prev: None,
        issued,
        expires,
        admins: vec![admin.public()],
        threshold: None,
        reviewers: Vec::new(),
        intake_pk: b64_encode(intake_pk.as_bytes()),
        grants: Vec::new(),
    };
    let file = KeyringFile::new(vec![sign_manifest(admin, &m)]);
    verify_chain(&file, None)?;
    Ok(file)
}

/// The next epoch: same admins, these `reviewers`, a fresh intake keypair granted to
/// each of them, signed by `admin` (who must be an admin of the current epoch).
pub fn next_epoch(
    current: &VerifiedKeyring,
    admin: &Identity,
    reviewers: Vec<PublicIdentity>,
    validity_days: u32,
) -> Result<KeyringFile, CryptoError> {
    let (issued, expires) = validity(validity_days)?;
    next_epoch_between(current, admin, reviewers, issued, expires)
}

/// Like [`next_epoch`], with explicit issue and expiry days (`expires` ≥ `issued`).
pub fn next_epoch_between(
    current: &VerifiedKeyring,
    admin: &Identity,
    reviewers: Vec<PublicIdentity>,
    issued: Day,
    expires: Day,
) -> Result<KeyringFile, CryptoError> {
    let cur = current.current();
    if cur.admin(admin.key_id()).is_none() {
        return Err(refuse(KeyringProblem::BadSignature));
    }
    let people = NextPeople {
        admins: cur.admins.clone(),
        threshold: cur.threshold,
        reviewers,
    };
    let m = unsigned_next(current, people, issued, expires)?;
    let mut file = current.file().clone();
    file.manifests.push(sign_manifest(admin, &m));
    verify_chain(&file, None)?;
    Ok(file)
}

/// Who the next epoch lists: its admins and their threshold, and its reviewers.
#[derive(Clone, Debug)]
pub struct NextPeople {
    /// The admins who will sign the epoch after it.
    pub admins: Vec<PublicIdentity>,
    /// How many of them must (`None`: 1).
    pub threshold: Option<Threshold>,
    /// Who may open tips sealed to it.
    pub reviewers: Vec<PublicIdentity>,
}

/// The manifest of the next epoch, not yet signed: `people`, a fresh intake keypair
/// whose secret is sealed to each reviewer and then wiped, `prev` the hash of the
/// current manifest. It still needs the signatures of the current epoch's quorum.
pub fn unsigned_next(
    current: &VerifiedKeyring,
    people_next: NextPeople,
    issued: Day,
    expires: Day,
) -> Result<Manifest, CryptoError> {
    let keys = people(&people_next.reviewers)?;
    people(&people_next.admins)?;
    let (intake_pk, intake_sk) = intake::generate();
    let grants = {
        let secret = intake_sk.to_bytes();
        keys.iter()
            .map(|k| Grant {
                reviewer: k.id(),
                sealed_secret: b64_encode(&k.seal_to_box(&secret[..])),
            })
            .collect()
    };
    drop(intake_sk);
    let m = Manifest {
        epoch: current.epoch().next()?,
        prev: current.hashes.last().map(hex::encode),
        issued,
        expires,
        admins: people_next.admins,
        threshold: people_next.threshold,
        reviewers: people_next.reviewers,
        intake_pk: b64_encode(intake_pk.as_bytes()),
        grants,
    };
    m.check_structure().map_err(|e| malformed(e.to_string()))?;
    Ok(m)
}

/// Today and the expiry day `validity_days` from now (1 to [`MAX_VALIDITY_DAYS`]).
pub fn validity_from_today(validity_days: u32) -> Result<(Day, Day), CryptoError> {
    validity(validity_days)
}

/// The next epoch with one more reviewer.
pub fn add_reviewer(
    current: &VerifiedKeyring,
    admin: &Identity,
    reviewer: PublicIdentity,
    validity_days: u32,
) -> Result<KeyringFile, CryptoError> {
    let cur = current.current();
    if cur.role_of(reviewer.id).is_some() || cur.reviewer_named(reviewer.name.as_str()).is_some() {
        return Err(malformed(
            "that person is already listed in the current epoch",
        ));
    }
    let mut reviewers = cur.reviewers.clone();
    reviewers.push(reviewer);
    next_epoch(current, admin, reviewers, validity_days)
}

/// The next epoch without the reviewer named `who` (a name or a hex key id).
pub fn revoke_reviewer(
    current: &VerifiedKeyring,
    admin: &Identity,
    who: &str,
    validity_days: u32,
) -> Result<KeyringFile, CryptoError> {
    let cur = current.current();
    let gone = cur
        .find_reviewer(who)
        .ok_or_else(|| malformed("no reviewer of the current epoch has that name or key id"))?
        .id;
    let reviewers = cur
        .reviewers
        .iter()
        .filter(|r| r.id != gone)
        .cloned()
        .collect();
    next_epoch(current, admin, reviewers, validity_days)
}

/// The next epoch with the same people and a fresh intake key.
pub fn rotate(
    current: &VerifiedKeyring,
    admin: &Identity,
    validity_days: u32,
) -> Result<KeyringFile, CryptoError> {
    next_epoch(
        current,
        admin,
        current.current().reviewers.clone(),
        validity_days,
    )
}

/// Opens `me`'s grant of `epoch`: the intake secret that opens tips sealed to it.
/// Fails with `DecryptionFailed` when `me` has no grant there or it does not open to
/// that epoch's intake key.
pub fn intake_secret_for(
    keyring: &VerifiedKeyring,
    epoch: Epoch,
    me: &Identity,
) -> Result<IntakeSecretKey, CryptoError> {
    let m = keyring
        .manifest(epoch)
        .ok_or(CryptoError::DecryptionFailed)?;
    let grant = m
        .grant_for(me.key_id())
        .ok_or(CryptoError::DecryptionFailed)?;
    let sealed = b64_decode(&grant.sealed_secret).ok_or(CryptoError::DecryptionFailed)?;
    let opened = me.open_sealed(&sealed)?;
    let secret = IntakeSecretKey::from_bytes(&opened).map_err(|_| CryptoError::DecryptionFailed)?;
    if Some(&secret.public_key()) != keyring.intake_public_key_of(epoch) {
        return Err(CryptoError::DecryptionFailed);
    }
    Ok(secret)
}

#[cfg(test)]
#[path = "keyring_vectors.rs"]
mod vectors;
