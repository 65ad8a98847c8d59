//! Keyring types: the signed manifest chain and the public key file, as JSON structures.
//!
//! This module owns the *shape* of `tipseal/keyring/v1` and `tipseal/public-key/v1`
//! (see `docs/architecture.md`) and the structural rules a manifest must follow (unique
//! people, one grant per reviewer, valid names). It never decodes keys or checks
//! signatures: that is `crypto::keyring`'s job, which parses a body only after its
//! signature verified. Error messages never echo the input.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Day, DomainError, Epoch, KeyId};

/// The `format` of a keyring file.
pub const KEYRING_FORMAT: &str = "tipseal/keyring/v1";
/// The `format` of a public key file.
pub const PUBLIC_KEY_FORMAT: &str = "tipseal/public-key/v1";

/// Largest keyring file accepted. A manifest with 100 reviewers is about 40 KiB, so
/// 1 MiB holds years of weekly rotations while bounding what an anonymous `POST
/// /api/v1/keyring` can make the server parse.
pub const MAX_KEYRING_BYTES: usize = 1024 * 1024;
/// Largest public key file accepted: one identity is about 250 bytes.
pub const MAX_PUBLIC_KEY_FILE_BYTES: usize = 4 * 1024;
/// Most signatures one manifest may carry: bounds the verification work per manifest.
pub const MAX_SIGNATURES: usize = 16;

/// A person's display name: 1 to 64 characters, no control, zero-width or bidi
/// override characters (which could make two names look alike in a terminal), no
/// leading or trailing space.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    /// Longest name, in characters.
    pub const MAX_CHARS: usize = 64;

    /// Parses a name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let n = s.chars().count();
        let bad_char = s.chars().any(|c| {
            c.is_control()
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        });
        if n == 0 || n > Self::MAX_CHARS || bad_char || s.trim() != s {
            return Err(DomainError::Keyring(format!(
                "a name must be 1 to {} characters, without control characters or \
                 surrounding spaces",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> String {
        n.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// How many distinct admins must sign a keyring change: 1 to [`MAX_SIGNATURES`].
/// A threshold above that could never be met, since a manifest carries at most that
/// many signatures.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Threshold(u8);

impl Threshold {
    /// Parses a threshold.
    pub fn new(k: u32) -> Result<Self, DomainError> {
        match u8::try_from(k) {
            Ok(k) if k >= 1 && usize::from(k) <= MAX_SIGNATURES => Ok(Self(k)),
            _ => Err(DomainError::Keyring(format!(
                "a threshold must be 1 to {MAX_SIGNATURES} admin signatures"
            ))),
        }
    }

    /// The number of signatures required.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl TryFrom<u32> for Threshold {
    type Error = DomainError;
    fn try_from(k: u32) -> Result<Self, Self::Error> {
        Self::new(k)
    }
}

impl From<Threshold> for u32 {
    fn from(t: Threshold) -> u32 {
        u32::from(t.0)
    }
}

/// What a person may do in an epoch. A key id is never both (an admin who also reviews
/// uses a second identity, so the offline admin key never has to go online).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Signs keyring manifests; reads the audit log.
    Admin,
    /// Opens and rewraps tips.
    Reviewer,
}

/// A keyring file: the whole manifest chain, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyringFile {
    /// Always [`KEYRING_FORMAT`].
    pub format: String,
    /// Signed manifests, epoch 1 first.
    pub manifests: Vec<SignedManifest>,
}

/// One manifest as signed: the body bytes (base64url) and the admins' signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedManifest {
    /// Base64url (no padding) of the manifest JSON bytes. Hashed and signed as bytes.
    pub body: String,
    /// Signatures over `"tipseal/keyring/v1\0" || body_bytes`.
    pub signatures: Vec<ManifestSignature>,
}

/// One admin's signature of a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestSignature {
    /// The signing admin's key id.
    #[schema(value_type = String, pattern = "^[0-9a-fA-F]{32}$")]
    pub key_id: KeyId,
    /// Base64url Ed25519 signature.
    pub signature: String,
}

/// A person's public keys as listed in a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicIdentity {
    /// Key id derived from the two keys (checked by `crypto::identity::PublicKeys`).
    pub id: KeyId,
    /// Display name.
    pub name: PersonName,
    /// Base64url Ed25519 public key.
    pub sign_pk: String,
    /// Base64url X25519 public key.
    pub box_pk: String,
}

/// One reviewer's grant: the epoch's intake secret sealed to their box key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The reviewer's key id.
    pub reviewer: KeyId,
    /// Base64url `crypto_box_seal(intake_secret, reviewer_box_pk)`.
    pub sealed_secret: String,
}

/// A manifest body: who is who in one key epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The key epoch (1, 2, 3 …).
    pub epoch: Epoch,
    /// Hex hash of the previous manifest; `None` for epoch 1.
    pub prev: Option<String>,
    /// Day issued (UTC).
    pub issued: Day,
    /// Last day clients should seal to this epoch.
    pub expires: Day,
    /// Who may sign the next manifest.
    pub admins: Vec<PublicIdentity>,
    /// How many distinct `admins` must sign the next manifest (k of m). Absent means 1,
    /// so manifests made before quorums existed keep their exact bytes and hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    /// Who may open tips sealed to this epoch.
    pub reviewers: Vec<PublicIdentity>,
    /// Base64url X25519 intake public key of this epoch.
    pub intake_pk: String,
    /// One grant per reviewer.
    pub grants: Vec<Grant>,
}

impl Manifest {
    /// Parses a manifest body (already authenticated) and checks its structure.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DomainError> {
        let m: Manifest = parse_json(bytes, "manifest")?;
        m.check_structure()?;
        Ok(m)
    }

    /// The body bytes that are signed and hashed.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a manifest always serializes")
    }

    /// How many distinct admins of this manifest must sign the next one.
    pub fn required_signatures(&self) -> usize {
        self.threshold.map_or(1, Threshold::get)
    }

    /// Structural rules: at least one admin; a threshold no larger than the admin set;
    /// no key id or name twice; nobody both admin
    /// and reviewer; exactly one grant per reviewer and none for anyone else; issued
    /// no later than expires; `prev` present exactly when epoch > 1.
    pub fn check_structure(&self) -> Result<(), DomainError> {
        let bad = |why: &str| Err(DomainError::Keyring(why.to_owned()));
        if self.admins.is_empty() {
            return bad("a manifest must list at least one admin");
        }
        if self.required_signatures() > self.admins.len() {
            return bad("a manifest's threshold is larger than its number of admins");
        }
        if self.expires < self.issued {
            return bad("a manifest expires before it is issued");
        }
        if (self.epoch == Epoch::FIRST) != self.prev.is_none() {
            return bad("only epoch 1 has no previous manifest hash");
        }
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for p in self.admins.iter().chain(&self.reviewers) {
            if !ids.insert(p.id) || !names.insert(p.name.as_str()) {
                return bad("a key id or name appears twice in a manifest");
            }
        }
        let reviewer_ids: HashSet<KeyId> = self.reviewers.iter().map(|r| r.id).collect();
        let mut granted = HashSet::new();
        for g in &self.grants {
            if !reviewer_ids.contains(&g.reviewer) || !granted.insert(g.reviewer) {
                return bad("a grant names someone who is not a reviewer, or twice");
            }
        }
        if granted.len() != reviewer_ids.len() {
            return bad("a reviewer has no grant");
        }
        Ok(())
    }

    /// The admin with this key id.
    pub fn admin(&self, id: KeyId) -> Option<&PublicIdentity> {
        self.admins.iter().find(|p| p.id == id)
    }

    /// The reviewer with this key id.
    pub fn reviewer(&self, id: KeyId) -> Option<&PublicIdentity> {
        self.reviewers.iter().find(|p| p.id == id)
    }

    /// The admin with this name.
    pub fn admin_named(&self, name: &str) -> Option<&PublicIdentity> {
        self.admins.iter().find(|p| p.name.as_str() == name)
    }

    /// The reviewer with this name.
    pub fn reviewer_named(&self, name: &str) -> Option<&PublicIdentity> {
        self.reviewers.iter().find(|p| p.name.as_str() == name)
    }

    /// The reviewer named `who`, or whose key id is `who` (hex).
    pub fn find_reviewer(&self, who: &str) -> Option<&PublicIdentity> {
        self.reviewer_named(who)
            .or_else(|| KeyId::parse(who).ok().and_then(|id| self.reviewer(id)))
    }

    /// This key id's role in this epoch.
    pub fn role_of(&self, id: KeyId) -> Option<Role> {
        if self.admin(id).is_some() {
            Some(Role::Admin)
        } else if self.reviewer(id).is_some() {
            Some(Role::Reviewer)
        } else {
            None
        }
    }

    /// The grant for this reviewer.
    pub fn grant_for(&self, id: KeyId) -> Option<&Grant> {
        self.grants.iter().find(|g| g.reviewer == id)
    }
}

impl KeyringFile {
    /// A keyring file holding these manifests.
    pub fn new(manifests: Vec<SignedManifest>) -> Self {
        Self {
            format: KEYRING_FORMAT.to_owned(),
            manifests,
        }
    }

    /// Parses a keyring file: at most [`MAX_KEYRING_BYTES`], the right `format`, at
    /// least one manifest, at most [`MAX_SIGNATURES`] signatures per manifest.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DomainError> {
        if bytes.len() > MAX_KEYRING_BYTES {
            return Err(DomainError::Keyring(format!(
                "the keyring file is larger than {MAX_KEYRING_BYTES} bytes"
            )));
        }
        let file: KeyringFile = parse_json(bytes, "keyring file")?;
        file.check_shape()?;
        Ok(file)
    }

    /// The checks of [`KeyringFile::from_json`] that do not need the bytes.
    pub fn check_shape(&self) -> Result<(), DomainError> {
        if self.format != KEYRING_FORMAT {
            return Err(DomainError::Keyring(format!(
                "the file is not a {KEYRING_FORMAT} keyring"
            )));
        }
        if self.manifests.is_empty() {
            return Err(DomainError::Keyring("the keyring has no manifests".into()));
        }
        if self
            .manifests
            .iter()
            .any(|m| m.signatures.len() > MAX_SIGNATURES)
        {
            return Err(DomainError::Keyring(format!(
                "a manifest carries more than {MAX_SIGNATURES} signatures"
            )));
        }
        Ok(())
    }

    /// The file as pretty JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a keyring file always serializes")
    }
}

/// A public key file (`*.pub`): a [`PublicIdentity`] plus a `format` field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyFile {
    /// Always [`PUBLIC_KEY_FORMAT`].
    pub format: String,
    /// Key id.
    pub id: KeyId,
    /// Display name.
    pub name: PersonName,
    /// Base64url Ed25519 public key.
    pub sign_pk: String,
    /// Base64url X25519 public key.
    pub box_pk: String,
}

impl PublicKeyFile {
    /// Parses a public key file (at most [`MAX_PUBLIC_KEY_FILE_BYTES`]). The keys are
    /// not decoded here: pass the result to `crypto::identity::PublicKeys`.
    pub fn from_json(bytes: &[u8]) -> Result<PublicIdentity, DomainError> {
        if bytes.len() > MAX_PUBLIC_KEY_FILE_BYTES {
            return Err(DomainError::Keyring(
                "the public key file is too large".into(),
            ));
        }
        let f: PublicKeyFile = parse_json(bytes, "public key file")?;
        if f.format != PUBLIC_KEY_FORMAT {
            return Err(DomainError::Keyring(format!(
                "the file is not a {PUBLIC_KEY_FORMAT} file"
            )));
        }
        Ok(PublicIdentity {
            id: f.id,
            name: f.name,
            sign_pk: f.sign_pk,
            box_pk: f.box_pk,
        })
    }

    /// The public key file of `p`, as pretty JSON.
    pub fn to_json(p: &PublicIdentity) -> Vec<u8> {
        let f = PublicKeyFile {
            format: PUBLIC_KEY_FORMAT.to_owned(),
            id: p.id,
            name: p.name.clone(),
            sign_pk: p.sign_pk.clone(),
            box_pk: p.box_pk.clone(),
        };
        let mut out = serde_json::to_vec_pretty(&f).expect("a public key file serializes");
        out.push(b'\n');
        out
    }
}

/// serde_json's messages quote the offending input; ours name only the position.
fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, DomainError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Data => "does not follow the schema",
            _ => "is not valid JSON",
        };
        DomainError::Keyring(format!(
            "the {what} {kind} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(n: u8, name: &str) -> PublicIdentity {
        PublicIdentity {
            id: KeyId::from_bytes([n; 16]),
            name: PersonName::parse(name).unwrap(),
            sign_pk: "AA".into(),
            box_pk: "AA".into(),
        }
    }

    fn manifest() -> Manifest {
        Manifest {
            epoch: Epoch::new(2).unwrap(),
            prev: Some("00".repeat(32)),
            issued: Day::from_days(20_000),
            expires: Day::from_days(20_365),
            admins: vec![person(1, "Ada")],
            threshold: None,
            reviewers: vec![person(2, "Rui")],
            intake_pk: "AA".into(),
            grants: vec![Grant {
                reviewer: KeyId::from_bytes([2; 16]),
                sealed_secret: "x".into(),
            }],
        }
    }

    #[test]
    fn a_manifest_round_trips_through_json() {
        let m = manifest();
        assert_eq!(Manifest::from_json(&m.to_json()).unwrap(), m);
        assert_eq!(m.role_of(KeyId::from_bytes([1; 16])), Some(Role::Admin));
        assert_eq!(
            m.find_reviewer("Rui").unwrap().id,
            KeyId::from_bytes([2; 16])
        );
        assert_eq!(
            m.find_reviewer(&"02".repeat(16)).unwrap().name.as_str(),
            "Rui"
        );
        assert!(m.find_reviewer("Ada").is_none());
    }

    #[test]
    fn a_threshold_is_absent_by_default_and_never_above_the_admin_count() {
        let m = manifest();
        assert_eq!(m.required_signatures(), 1);
        assert!(!String::from_utf8(m.to_json())
            .unwrap()
            .contains("threshold"));
        let mut two = manifest();
        two.threshold = Some(Threshold::new(2).unwrap());
        assert!(
            two.check_structure().is_err(),
            "2 of 1 admin can never be met"
        );
        two.admins.push(person(3, "Bo"));
        assert_eq!(Manifest::from_json(&two.to_json()).unwrap(), two);
        assert_eq!(two.required_signatures(), 2);
        assert!(Threshold::new(0).is_err());
        assert!(Threshold::new(MAX_SIGNATURES as u32 + 1).is_err());
        let mut v: serde_json::Value = serde_json::from_slice(&manifest().to_json()).unwrap();
        v["threshold"] = serde_json::json!(0);
        assert!(Manifest::from_json(&serde_json::to_vec(&v).unwrap()).is_err());
    }

    #[test]
    fn a_reviewer_without_exactly_one_grant_is_refused() {
        let mut m = manifest();
        m.grants.clear();
        assert!(m.check_structure().is_err());
        let mut m = manifest();
        m.grants.push(m.grants[0].clone());
        assert!(m.check_structure().is_err());
        let mut m = manifest();
        m.grants[0].reviewer = KeyId::from_bytes([1; 16]);
        assert!(m.check_structure().is_err());
    }

    #[test]
    fn nobody_is_listed_twice_or_as_both_admin_and_reviewer() {
        let mut m = manifest();
        m.reviewers.push(person(1, "Other"));
        assert!(m.check_structure().is_err());
        let mut m = manifest();
        m.reviewers.push(person(3, "Ada"));
        assert!(m.check_structure().is_err());
    }

    #[test]
    fn unknown_fields_are_refused_without_echoing_them() {
        let mut v: serde_json::Value = serde_json::from_slice(&manifest().to_json()).unwrap();
        v["sneaky_field_xyz"] = serde_json::json!(1);
        let err = Manifest::from_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(!err.to_string().contains("sneaky"), "{err}");
    }

    #[test]
    fn a_keyring_file_needs_the_format_and_a_size_cap() {
        let f = KeyringFile::new(vec![SignedManifest {
            body: "e30".into(),
            signatures: vec![],
        }]);
        assert_eq!(KeyringFile::from_json(&f.to_json()).unwrap(), f);
        let mut wrong = f.clone();
        wrong.format = "tipseal/keyring/v0".into();
        assert!(KeyringFile::from_json(&wrong.to_json()).is_err());
        assert!(KeyringFile::from_json(&vec![b' '; MAX_KEYRING_BYTES + 1]).is_err());
        assert!(KeyringFile::from_json(&KeyringFile::new(vec![]).to_json()).is_err());
    }

    #[test]
    fn names_are_bounded_and_printable() {
        assert!(PersonName::parse("Ana María").is_ok());
        assert!(PersonName::parse(&"a".repeat(64)).is_ok());
        assert!(PersonName::parse(&"a".repeat(65)).is_err());
        assert!(PersonName::parse("").is_err());
        assert!(PersonName::parse(" ana").is_err());
        assert!(PersonName::parse("ana\n").is_err());
        assert!(PersonName::parse("ana\u{202E}moc").is_err());
    }

    #[test]
    fn a_public_key_file_carries_its_format() {
        let p = person(1, "Ada");
        let bytes = PublicKeyFile::to_json(&p);
        assert_eq!(PublicKeyFile::from_json(&bytes).unwrap(), p);
        let as_manifest_entry = serde_json::to_vec(&p).unwrap();
        assert!(PublicKeyFile::from_json(&as_manifest_entry).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(0u8.., 0..512)) {
            let _ = KeyringFile::from_json(&bytes);
            let _ = Manifest::from_json(&bytes);
            let _ = PublicKeyFile::from_json(&bytes);
        }

        #[test]
        fn parsing_arbitrary_names_never_panics(s in ".{0,80}") {
            if let Ok(n) = PersonName::parse(&s) {
                proptest::prop_assert!(n.as_str().chars().count() <= PersonName::MAX_CHARS);
            }
        }
    }
}
