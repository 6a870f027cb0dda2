//! Signing link tokens through KMS: the private key never leaves KMS.

use aws_sdk_kms::error::SdkError;
use aws_sdk_kms::operation::sign::SignError as KmsSignError;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use sha2::{Digest, Sha256};

use super::{TokenClaims, encode_signing_input, join_signature};

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The KMS call failed; the error says whether it may be retried.
    #[error("KMS Sign failed")]
    Kms(#[source] Box<SdkError<KmsSignError>>),
    /// KMS answered without a signature, or with one that is not an ECDSA
    /// P-256 DER signature (the key is of the wrong kind).
    #[error("KMS returned no usable ECDSA P-256 signature; is the key ECC_NIST_P256?")]
    UnusableSignature,
}

/// Signs [`TokenClaims`] with an asymmetric KMS key (`ECC_NIST_P256`,
/// `SIGN_VERIFY`). KMS receives only the SHA-256 digest of the signing input,
/// never the claims.
#[derive(Debug, Clone)]
pub struct LinkSigner {
    kms: aws_sdk_kms::Client,
    key_id: String,
}

impl LinkSigner {
    /// `key_id` is the KMS key id, ARN or alias; it is also the token's `kid`.
    pub fn new(kms: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        Self {
            kms,
            key_id: key_id.into(),
        }
    }

    /// The `kid` this signer writes.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The compact JWS for `claims`.
    pub async fn sign(&self, claims: &TokenClaims) -> Result<String, SignError> {
        let signing_input = encode_signing_input(&self.key_id, claims);
        let output = sign_sha256(&self.kms, &self.key_id, signing_input.as_bytes())
            .await
            .map_err(|e| SignError::Kms(Box::new(e)))?;
        let der = output.signature().ok_or(SignError::UnusableSignature)?;
        join_signature(&signing_input, der.as_ref()).map_err(|_| SignError::UnusableSignature)
    }
}

/// ECDSA with SHA-256 over `message` by the KMS key `key_id`: KMS receives
/// the digest only. Its answer holds the signature in ASN.1 DER.
pub(crate) async fn sign_sha256(
    kms: &aws_sdk_kms::Client,
    key_id: &str,
    message: &[u8],
) -> Result<aws_sdk_kms::operation::sign::SignOutput, SdkError<KmsSignError>> {
    kms.sign()
        .key_id(key_id)
        .message(Blob::new(Sha256::digest(message).to_vec()))
        .message_type(MessageType::Digest)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
}
