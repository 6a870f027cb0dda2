//! Reading the accepted keys' public halves from KMS, at deploy time (the
//! `keys` custom resource): the verifier never calls this.

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_smithy_types::error::display::DisplayErrorContext;
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey;

use super::KeySetError;

/// Reads the public half of the KMS key `kid` (at deploy time: the
/// verifier never calls this). The key must be an ECC_NIST_P256
/// SIGN_VERIFY key.
pub async fn fetch_public_key(
    kms: &aws_sdk_kms::Client,
    kid: &str,
) -> Result<VerifyingKey, KeySetError> {
    let output = kms
        .get_public_key()
        .key_id(kid)
        .send()
        .await
        .map_err(|e| KeySetError::Kms {
            kid: kid.to_owned(),
            error: match e.as_service_error() {
                Some(refusal) => format!(
                    "{}: {}",
                    refusal.code().unwrap_or("refused"),
                    refusal.message().unwrap_or_default()
                ),
                None => DisplayErrorContext(&e).to_string(),
            },
        })?;
    let unusable = |why| KeySetError::Unusable {
        kid: kid.to_owned(),
        why,
    };
    if output.key_spec() != Some(&KeySpec::EccNistP256) {
        return Err(unusable("not ECC_NIST_P256"));
    }
    if output.key_usage() != Some(&KeyUsageType::SignVerify) {
        return Err(unusable("not a SIGN_VERIFY key"));
    }
    let der = output
        .public_key()
        .ok_or_else(|| unusable("no public key"))?;
    VerifyingKey::from_public_key_der(der.as_ref()).map_err(|_| unusable("unreadable public key"))
}
