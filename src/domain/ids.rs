//! Identifiers: tip ids, key ids, key epochs, idempotency keys, received days.
//!
//! Each is parsed once at the edge and is valid by construction afterwards. None of them
//! may carry anything that identifies a witness: tip ids are random but for the day the
//! tip was received, days are UTC days.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DomainError;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// Length of the raw id in bytes.
            pub const LEN: usize = 16;

            /// Wraps 16 raw bytes.
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Parses 32 lowercase or uppercase hex characters.
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                let mut out = [0u8; 16];
                if s.len() != 32 || hex::decode_to_slice(s, &mut out).is_err() {
                    return Err(DomainError::InvalidId($what));
                }
                Ok(Self(out))
            }

            /// Parses raw bytes of exactly 16 bytes.
            pub fn try_from_slice(b: &[u8]) -> Result<Self, DomainError> {
                <[u8; 16]>::try_from(b).map(Self).map_err(|_| DomainError::InvalidId($what))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_id!(
    /// A tip's id: 16 bytes chosen by the server — 12 random bytes, then the day it was
    /// received (u32 days since 1970, big-endian; `crypto::new_tip_id`) — shown as 32 hex
    /// characters. Read back, any 16 bytes are an id (ids before schema 4 are all random).
    TipId,
    "tip id"
);

impl TipId {
    /// The tip's place in the reviewers' listing and the server's index: the last four
    /// bytes (the received day of every id since schema 4) first, then the rest. Pages
    /// come in this order and a listing cursor moves forward in it, not in the id's own
    /// byte order (which puts the random bytes first).
    pub fn listing_order(&self) -> [u8; 16] {
        let mut k = *self.as_bytes();
        k.rotate_right(4);
        k
    }
}

hex_id!(
    /// A person's key id: derived from their public keys (see `crypto::identity`).
    KeyId,
    "key id"
);
hex_id!(
    /// A resumable upload's id: 16 random bytes, an unguessable capability.
    UploadId,
    "upload id"
);

/// A key epoch of the keyring. Epochs start at 1 and grow by one with every keyring change.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Epoch(u32);

impl Epoch {
    /// The genesis epoch.
    pub const FIRST: Epoch = Epoch(1);

    /// Parses a raw epoch number; 0 is not an epoch.
    pub fn new(n: u32) -> Result<Self, DomainError> {
        if n == 0 {
            return Err(DomainError::InvalidEpoch);
        }
        Ok(Self(n))
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The epoch after this one.
    pub fn next(self) -> Result<Self, DomainError> {
        self.0
            .checked_add(1)
            .map(Self)
            .ok_or(DomainError::InvalidEpoch)
    }
}

impl TryFrom<u32> for Epoch {
    type Error = DomainError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Self::new(n)
    }
}

impl From<Epoch> for u32 {
    fn from(e: Epoch) -> u32 {
        e.0
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A client-chosen key that makes a retried submission idempotent.
///
/// 16 to 128 characters of `[A-Za-z0-9_-]`. Storage keeps only a keyed hash of it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Shortest accepted key: enough room for 96 random bits in base64.
    pub const MIN_LEN: usize = 16;
    /// Longest accepted key.
    pub const MAX_LEN: usize = 128;

    /// Parses a header value.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let ok_len = (Self::MIN_LEN..=Self::MAX_LEN).contains(&s.len());
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok_len && ok_chars {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::InvalidIdempotencyKey)
        }
    }

    /// The key's bytes (to be hashed before storage).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdempotencyKey(..)")
    }
}

/// A UTC calendar day, the finest time tipseal ever records about a tip.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Day(i64);

impl Day {
    /// Today in UTC.
    pub fn today() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Self(secs.div_euclid(86_400))
    }

    /// Days since 1970-01-01.
    pub const fn from_days(days: i64) -> Self {
        Self(days)
    }

    /// Days since 1970-01-01.
    pub const fn days(self) -> i64 {
        self.0
    }

    /// The day as tip ids and stored records carry it: u32 days since 1970, big-endian.
    /// Days before 1970 or past u32 do not occur; they clamp rather than wrap.
    pub fn to_be_bytes(self) -> [u8; 4] {
        u32::try_from(self.0.max(0))
            .unwrap_or(u32::MAX)
            .to_be_bytes()
    }

    /// The day `n` days later.
    pub const fn plus_days(self, n: i64) -> Self {
        Self(self.0 + n)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DomainError::InvalidDay);
        }
        let (y, m, d) = match (num(0..4), num(5..7), num(8..10)) {
            (Some(y), Some(m), Some(d)) => (y, m, d),
            _ => return Err(DomainError::InvalidDay),
        };
        let day = Self(days_from_civil(y, m, d));
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || day.to_string() != s {
            return Err(DomainError::InvalidDay);
        }
        Ok(day)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

// Howard Hinnant's civil calendar algorithms (public domain), proleptic Gregorian.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_tip_id_round_trips_through_hex() {
        let id = TipId::from_bytes([0xab; 16]);
        assert_eq!(TipId::parse(&id.to_string()).unwrap(), id);
    }

    #[test]
    fn a_short_or_non_hex_id_is_refused() {
        assert!(TipId::parse("abc").is_err());
        assert!(KeyId::parse(&"zz".repeat(16)).is_err());
    }

    #[test]
    fn epoch_zero_is_not_an_epoch() {
        assert!(Epoch::new(0).is_err());
        assert_eq!(Epoch::FIRST.next().unwrap().get(), 2);
    }

    #[test]
    fn idempotency_keys_are_bounded_and_url_safe() {
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse("abcdefghijklmnop").is_ok());
        assert!(IdempotencyKey::parse("abcdefghijklmno/").is_err());
        assert!(IdempotencyKey::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn days_print_and_parse_as_iso_dates() {
        assert_eq!(Day::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Day::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert!(Day::parse("2023-02-29").is_err());
        assert!(Day::parse("2023-13-01").is_err());
        assert!(Day::parse("20230101").is_err());
    }

    proptest! {
        #[test]
        fn every_day_between_years_1_and_9999_round_trips(n in -719_162i64..2_932_896) {
            let day = Day::from_days(n);
            prop_assert_eq!(Day::parse(&day.to_string()).unwrap(), day);
        }

        #[test]
        fn parsing_arbitrary_text_as_ids_never_panics(s in ".{0,80}") {
            let _ = TipId::parse(&s);
            let _ = IdempotencyKey::parse(&s);
            let _ = Day::parse(&s);
        }
    }
}
