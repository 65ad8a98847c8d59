//! The no-JavaScript mailbox page's session: once the receipt words open a mailbox, the
//! page carries a random handle instead of the words, so the words are never in a page
//! (where Back, the cache or a look at the source would find them) nor posted again.
//!
//! The server keeps, in memory, the handle's hash → the tip and the receipt's entropy
//! masked with a pad derived from the handle (`http::sessions`, idle for at most
//! `WITNESS_PAGE_IDLE`): the table alone opens nothing, and a restart ends every session.
//! Must never: keep the handle, the words or the unmasked entropy; log any of them.

use zeroize::Zeroizing;

use crate::crypto::auth::{SessionToken, TokenHash};
use crate::crypto::hash32;
use crate::crypto::receipt::Receipt;
use crate::domain::receipt::ENTROPY_LEN;
use crate::domain::TipId;
use crate::http::AppState;

/// Starts a page session for a mailbox the receipt opened; returns the handle for the
/// page's hidden field (and nowhere else).
pub(super) fn start(state: &AppState, tip: TipId, receipt: &Receipt) -> SessionToken {
    let (handle, hash) = SessionToken::generate();
    let masked = mask(&handle, receipt.danger_entropy());
    state.witnesses.start_page(hash, tip, *masked);
    handle
}

/// The tip and receipt of a live page session; `None` for an unknown, ended or
/// malformed handle (all alike).
pub(super) fn resume(state: &AppState, handle: &str) -> Option<(TipId, Receipt)> {
    let hash = TokenHash::of(handle)?;
    let (tip, masked) = state.witnesses.touch_page(&hash)?;
    let pad = pad(handle);
    let mut entropy = Zeroizing::new([0u8; ENTROPY_LEN]);
    for (i, e) in entropy.iter_mut().enumerate() {
        *e = masked[i] ^ pad[i];
    }
    Some((tip, Receipt::danger_from_entropy(entropy)))
}

fn mask(handle: &SessionToken, entropy: &[u8; ENTROPY_LEN]) -> Zeroizing<[u8; ENTROPY_LEN]> {
    let pad = pad(handle.expose_secret());
    let mut out = Zeroizing::new([0u8; ENTROPY_LEN]);
    for (i, o) in out.iter_mut().enumerate() {
        *o = entropy[i] ^ pad[i];
    }
    out
}

/// A one-time pad from the handle (256 random bits, one per session), in a domain apart
/// from the handle's stored hash, so the stored hash is no pad.
fn pad(handle: &str) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(hash32(b"tipseal/nojs-mailbox-pad/v1", &[handle.as_bytes()]))
}
