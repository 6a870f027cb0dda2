//! One-time sign-in challenges (the model is [`magiclink_core::challenge`]'s)
//! and their DynamoDB store.
//!
//! **A link is usable while its challenge is unexpired, not yet consumed, and
//! was created after the user's last sign-in.** Using a link thus revokes
//! every other link of that user issued until then, older or newer (ARCHITECTURE.md,
//! invariant 1 asks for the older ones; the newer ones go too, so that after a
//! sign-in no earlier link is left alive in a mailbox). A second request
//! leaves the first link alone until one of them is used (invariant 2), and a
//! link asked for after a sign-in works as usual.
//!
//! The store keeps, per user, a watermark: the id up to which challenges are
//! revoked (`revokedThrough`, the largest ULID of the moment of the last
//! sign-in). Consuming is one DynamoDB transaction that moves the challenge to
//! `consumed` and raises the watermark, each under a condition, so of any
//! number of concurrent attempts exactly one succeeds.
//!
//! Around the item: its codec (`item`), the pure refusal rules (`rules`) and
//! the write conditions (`conditions`), each tested on item fixtures; the
//! calls (`store`) and what they take and answer (`answers`); an operator's
//! and a user's revocations (`revocation`).

pub use magiclink_core::challenge::*;

mod answers;
mod conditions;
mod item;
mod revocation;
mod rules;
mod store;

pub use answers::{
    Approval, ApprovalError, Approved, ConsumeError, MailingClaim, MarkMailed, Proof, Recorded,
    UserState, WrongCode,
};
pub(crate) use item::challenge_item;
pub use revocation::{InvitationRevocation, UserRevocation};
pub use rules::{MAX_WRONG_CODES, MAX_WRONG_NUMBERS};
pub use store::ChallengeStore;
