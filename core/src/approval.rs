//! The proof of an approval: a signature that only the approval endpoint can
//! make, over what was approved.
//!
//! An approved challenge lets the browser that asked sign in with its
//! verifier (see [`crate::binding`]). The challenge item alone cannot be the
//! proof: several roles may write the table (the mailer, the feedback
//! function, …), and an item `status=approved` with a victim's address and a
//! binding of the writer's choice would sign the writer in as the victim.
//! So the approval endpoint signs, through KMS `Sign` with a key that only
//! its role may use, the statement "challenge `id`, asked with `binding`,
//! of the user whose address has the fingerprint `subject`, until
//! `expires_at`", and stores the signature beside the approval. The verifier
//! checks it offline with the key's public half, which reaches it through
//! its configuration (`APPROVAL_PUBLIC_KEYS`, read from KMS at deploy time
//! like the link's keys): no KMS call on the sign-in path.
//!
//! The signature is ECDSA P-256 over SHA-256 of the statement's canonical
//! text, kept low-S in its 64-byte `r || s` form, base64url.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Verifier;
use ulid::Ulid;

use crate::binding::DeviceBinding;
use crate::token::PublicKeys;

/// What an approval says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement<'a> {
    pub challenge: Ulid,
    pub binding: &'a DeviceBinding,
    /// The fingerprint of the user's address (see [`crate::fingerprint`]).
    pub subject: &'a str,
    /// The challenge's expiry, seconds since the epoch.
    pub expires_at: u64,
}

impl Statement<'_> {
    /// The canonical text signed: one field a line, after a line that
    /// names what it is, so that no other signed text of the key's can be
    /// taken for it.
    pub fn text(&self) -> String {
        format!(
            "magiclink approval v1\n{}\n{}\n{}\n{}",
            self.challenge,
            self.binding.encoded(),
            self.subject,
            self.expires_at
        )
    }
}

/// An approval's proof, as stored on the challenge: the signing key's id and
/// the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub key_id: String,
    pub signature: String,
}

/// Checks approvals' proofs with the public keys of the configuration.
#[derive(Debug, Clone)]
pub struct ApprovalKeys {
    keys: PublicKeys,
}

impl ApprovalKeys {
    pub fn new(keys: PublicKeys) -> Self {
        Self { keys }
    }

    /// Whether `proof` is a signature of `statement` by an accepted key.
    pub fn proves(&self, statement: &Statement<'_>, proof: &Proof) -> bool {
        let Ok(key) = self.keys.get(&proof.key_id) else {
            return false;
        };
        let Some(signature) = URL_SAFE_NO_PAD
            .decode(&proof.signature)
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .filter(|signature| signature.normalize_s() == *signature)
        else {
            return false;
        };
        key.verify(statement.text().as_bytes(), &signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: a panic is how a test reports failure"
    )]

    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;

    use super::*;
    use crate::binding::Verifier as BrowserVerifier;

    fn key() -> SigningKey {
        SigningKey::from_slice(&[9; 32]).unwrap()
    }

    fn keys() -> ApprovalKeys {
        let mut keys = PublicKeys::default();
        keys.insert("approval-key".into(), *key().verifying_key())
            .unwrap();
        ApprovalKeys::new(keys)
    }

    /// A proof as KMS would make it with [`key`].
    fn sign(statement: &Statement<'_>) -> Proof {
        let signature: Signature = key().sign(statement.text().as_bytes());
        Proof {
            key_id: "approval-key".into(),
            signature: URL_SAFE_NO_PAD.encode(signature.normalize_s().to_bytes()),
        }
    }

    fn binding(verifier: &str) -> DeviceBinding {
        BrowserVerifier::parse(verifier).unwrap().binding()
    }

    #[test]
    fn a_proof_proves_exactly_its_statement() {
        let (ours, theirs) = (binding(&"a".repeat(43)), binding(&"b".repeat(43)));
        let statement = Statement {
            challenge: Ulid::from_parts(1, 1),
            binding: &ours,
            subject: "0123456789abcdef0123456789abcdef",
            expires_at: 1_800_000_900,
        };
        let proof = sign(&statement);
        assert!(keys().proves(&statement, &proof));
        let others = [
            Statement {
                challenge: Ulid::from_parts(1, 2),
                ..statement
            },
            Statement {
                binding: &theirs,
                ..statement
            },
            Statement {
                subject: "ffffffffffffffffffffffffffffffff",
                ..statement
            },
            Statement {
                expires_at: 1_800_000_901,
                ..statement
            },
        ];
        for other in others {
            assert!(!keys().proves(&other, &proof), "{other:?}");
        }
    }

    #[test]
    fn forged_and_malformed_proofs_prove_nothing() {
        let ours = binding(&"a".repeat(43));
        let statement = Statement {
            challenge: Ulid::from_parts(1, 1),
            binding: &ours,
            subject: "0123456789abcdef0123456789abcdef",
            expires_at: 1_800_000_900,
        };
        let proof = sign(&statement);
        let other_key = SigningKey::from_slice(&[7; 32]).unwrap();
        let forged: Signature = other_key.sign(statement.text().as_bytes());
        let high_s = {
            let signature =
                Signature::from_slice(&URL_SAFE_NO_PAD.decode(&proof.signature).unwrap()).unwrap();
            let (r, s) = signature.split_scalars();
            Signature::from_scalars(r, -*s).unwrap()
        };
        for bad in [
            Proof {
                signature: URL_SAFE_NO_PAD.encode(forged.normalize_s().to_bytes()),
                ..proof.clone()
            },
            Proof {
                signature: URL_SAFE_NO_PAD.encode(high_s.to_bytes()),
                ..proof.clone()
            },
            Proof {
                key_id: "another-key".into(),
                ..proof.clone()
            },
            Proof {
                signature: String::new(),
                ..proof.clone()
            },
            Proof {
                signature: "not base64 !".into(),
                ..proof.clone()
            },
            Proof {
                signature: URL_SAFE_NO_PAD.encode([0u8; 64]),
                ..proof.clone()
            },
        ] {
            assert!(!keys().proves(&statement, &bad), "{bad:?}");
        }
    }
}
