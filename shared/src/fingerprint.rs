//! Keyed fingerprints (see [`magiclink_core::fingerprint`]), and the
//! process's fingerprint key, derived from KMS on first use.

pub use magiclink_core::fingerprint::*;

use crate::derived_key::LazyKey;

/// The fingerprint key of a process (see [`LazyKey`]).
pub type FingerprintKey = LazyKey<Fingerprints>;
