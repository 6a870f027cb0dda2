//! Secrets derived from KMS HMAC keys (the derivation itself is
//! `magiclink::derived_key`'s): the MAC of a fixed label under a key
//! that never leaves KMS, computed once per process (`GenerateMac`) and kept
//! in memory only. So the secret never sits in a template, an environment
//! variable or a table, and who may derive it is what the KMS key's policy
//! says.

/// A secret made from a KMS key's MAC of [`Derived::LABEL`].
pub trait Derived: Sized {
    /// The message whose MAC is the secret's key material.
    const LABEL: &'static [u8];
    /// What the secret is, for logs.
    const NAME: &'static str;
    fn from_key(key: &[u8]) -> Self;
}
