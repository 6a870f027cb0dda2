//! The one-time code (see [`magiclink_core::code`]), and the process's
//! code key, derived from KMS on first use.

pub use magiclink_core::code::*;

use crate::derived_key::LazyKey;

/// The code key of a process (see [`LazyKey`]).
pub type LazyCodeKey = LazyKey<CodeKey>;
