//! The link token (see [`magiclink_core::token`]): its signer, through KMS
//! `Sign`, and the reading of the accepted public keys from KMS.

pub use magiclink_core::token::*;

mod keys;
pub(crate) mod signer;

pub use keys::fetch_public_key;
pub use signer::{LinkSigner, SignError};
