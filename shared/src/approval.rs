//! The proof of an approval (see [`magiclink_core::approval`]), and its
//! signer: KMS `Sign` with a key only the approval endpoint's role may use.

pub use magiclink_core::approval::*;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::Signature;

use crate::aws::CallError;
use crate::token::signer::sign_sha256;

/// Signs approvals through KMS; held by the approval endpoint alone.
#[derive(Debug, Clone)]
pub struct ApprovalSigner {
    kms: aws_sdk_kms::Client,
    key_id: String,
}

impl ApprovalSigner {
    pub fn new(kms: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        Self {
            kms,
            key_id: key_id.into(),
        }
    }

    /// The proof of `statement`.
    pub async fn sign(&self, statement: &Statement<'_>) -> Result<Proof, CallError> {
        let output = sign_sha256(&self.kms, &self.key_id, statement.text().as_bytes())
            .await
            .map_err(|e| CallError::from_sdk("KMS Sign", &e))?;
        let signature = output
            .signature()
            .and_then(|der| Signature::from_der(der.as_ref()).ok())
            .ok_or_else(|| {
                CallError::unexpected(
                    "KMS Sign",
                    "no ECDSA P-256 signature; is the approval key ECC_NIST_P256?",
                )
            })?
            .normalize_s();
        Ok(Proof {
            key_id: self.key_id.clone(),
            signature: URL_SAFE_NO_PAD.encode(signature.to_bytes()),
        })
    }
}
