//! Replying to a witness: the reply is signed with the reviewer's key and sealed twice,
//! part by part — to the witness's reply key (their copy, opened with their receipt) and
//! to the current epoch (the team's copy) — in one bundle of pairs (`docs/followup.md`).
//!
//! Must never: seal to a key the tip did not name as its reply address, or leave an
//! unsigned reply in the bundle.

use zeroize::Zeroizing;

use crate::crypto::bundle_seal::{self, Attachment};
use crate::crypto::envelope::seal;
use crate::crypto::identity::Identity;
use crate::crypto::intake::IntakePublicKey;
use crate::crypto::keyring::VerifiedKeyring;
use crate::crypto::receipt::reply_public_key;
use crate::domain::bundle;
use crate::domain::envelope::{Flags, Kind};
use crate::domain::tip::conversation::Reply;
use crate::domain::tip::LongText;
use crate::domain::Epoch;

use super::open::OpenedTip;
use super::Error;

/// Where a tip's witness can be answered: the reply key their receipt derives.
pub struct ReplyAddress {
    /// Base64url of the key, as the tip names it (and the reply repeats it).
    box_pk: String,
    /// The key itself.
    key: IntakePublicKey,
}

/// The reply address the witness left with `tip`; refused when they left no receipt.
pub fn reply_address(tip: &OpenedTip) -> Result<ReplyAddress, Error> {
    let to = tip.received.reply_to.as_ref().ok_or_else(|| {
        Error::Refused("the witness left no receipt with this tip: there is no way to reply".into())
    })?;
    let key = reply_public_key(&to.box_pk)
        .ok_or_else(|| Error::Refused("the tip's reply address is malformed".into()))?;
    Ok(ReplyAddress {
        box_pk: to.box_pk.clone(),
        key,
    })
}

/// Writes, signs with `me` and seals a reply with `files` to `to` and to the keyring's
/// current epoch; the bundle to post.
pub fn seal_reply(
    me: &Identity,
    keyring: &VerifiedKeyring,
    to: &ReplyAddress,
    message: LongText,
    files: &[Attachment<'_>],
) -> Result<Vec<u8>, Error> {
    let mut reply = Reply::unsigned(
        message,
        me.key_id(),
        to.box_pk.clone(),
        bundle_seal::attachment_metas(files),
    )?;
    crate::crypto::reply::sign(me, &mut reply);
    seal_reply_pairs(
        keyring.epoch(),
        &keyring.intake_public_key(),
        &to.key,
        &reply,
        files,
    )
}

/// Seals a signed reply as the reply bundle of pairs: each part sealed to the witness's
/// reply key, then to the current epoch (the reviewers' copy).
pub fn seal_reply_pairs(
    epoch: Epoch,
    intake: &IntakePublicKey,
    witness: &IntakePublicKey,
    reply: &Reply,
    files: &[Attachment<'_>],
) -> Result<Vec<u8>, Error> {
    let json = Zeroizing::new(reply.to_json());
    let mut envelopes = Vec::with_capacity(2 + 2 * files.len());
    for key in [witness, intake] {
        envelopes.push(seal(&json, Kind::Reply, Flags::NONE, epoch, key)?);
    }
    for f in files {
        for key in [witness, intake] {
            envelopes.push(seal(f.bytes, Kind::Attachment, Flags::NONE, epoch, key)?);
        }
    }
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    Ok(bundle::encode(&refs))
}
