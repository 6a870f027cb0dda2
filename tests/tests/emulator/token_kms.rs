//! Link tokens signed through the emulator's KMS and verified offline with the
//! public key from `GetPublicKey` (as the deploy-time `keys` resource reads
//! it); and every way a forged or stale token is refused, each with its own
//! error.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use magiclink::time::unix_seconds;
use magiclink::token::{PublicKeys, fetch_public_key};
use magiclink::{EmailAddress, LinkSigner, LinkVerifier, TokenClaims, TokenError};
use magiclink_tests::{aws, fresh_signing_key};
use sha2::{Digest, Sha256};

struct Keys {
    config: SdkConfig,
    signer: LinkSigner,
    verifier: LinkVerifier,
}

async fn keys() -> Keys {
    let config = aws().await;
    let key_id = fresh_signing_key(&config).await;
    let kms = aws_sdk_kms::Client::new(&config);
    let mut accepted = PublicKeys::default();
    accepted
        .insert(
            key_id.clone(),
            fetch_public_key(&kms, &key_id).await.unwrap(),
        )
        .unwrap();
    Keys {
        signer: LinkSigner::new(kms, key_id),
        verifier: LinkVerifier::new(accepted, "magiclink"),
        config,
    }
}

fn ann() -> EmailAddress {
    EmailAddress::parse("ann@example.com").unwrap()
}

const AUDIENCE: &str = "pool/client";

fn claims(now: SystemTime) -> TokenClaims {
    let iat = unix_seconds(now);
    TokenClaims {
        iss: "magiclink".into(),
        aud: AUDIENCE.into(),
        sub: ann(),
        jti: ulid::Ulid::generate(),
        iat,
        exp: iat + 900,
        ah: None,
        apv: false,
    }
}

fn parts(token: &str) -> [String; 3] {
    let v: Vec<&str> = token.split('.').collect();
    [v[0].into(), v[1].into(), v[2].into()]
}

fn decode_json(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn encode_json(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// Flips one bit of the decoded part and encodes it again.
fn flip_bit(part: &str, byte: usize) -> String {
    let mut bytes = URL_SAFE_NO_PAD.decode(part).unwrap();
    bytes[byte] ^= 0x01;
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner_pad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer_pad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer_pad)
        .chain_update(inner)
        .finalize()
        .to_vec()
}

#[tokio::test]
async fn a_kms_signed_token_verifies_offline() {
    let keys = keys().await;
    let now = SystemTime::now();
    let c = claims(now);
    let token = keys.signer.sign(&c).await.unwrap();
    let [header, _, signature] = parts(&token);
    assert_eq!(decode_json(&header)["kid"], keys.signer.key_id());
    assert_eq!(decode_json(&header)["alg"], "ES256");
    assert_eq!(URL_SAFE_NO_PAD.decode(signature).unwrap().len(), 64);
    assert_eq!(keys.verifier.verify(&token, &ann(), AUDIENCE, now), Ok(c));
}

#[tokio::test]
async fn flipped_bits_anywhere_are_refused() {
    let keys = keys().await;
    let now = SystemTime::now();
    let token = keys.signer.sign(&claims(now)).await.unwrap();
    let [header, payload, signature] = parts(&token);
    // A bit inside the header's "typ" value, a digit of the payload's "exp",
    // and the first byte of s: each still decodes, only the signature fails.
    let typ = URL_SAFE_NO_PAD.decode(&header).unwrap();
    let typ_at = typ.windows(5).position(|w| w == b"\"JWT\"").unwrap() + 1;
    let exp = URL_SAFE_NO_PAD.decode(&payload).unwrap();
    let exp_at = exp.windows(6).position(|w| w == b"\"exp\":").unwrap() + 6;
    let cases = [
        format!("{}.{payload}.{signature}", flip_bit(&header, typ_at)),
        format!("{header}.{}.{signature}", flip_bit(&payload, exp_at)),
        format!("{header}.{payload}.{}", flip_bit(&signature, 32)),
    ];
    for tampered in cases {
        assert_eq!(
            keys.verifier.verify(&tampered, &ann(), AUDIENCE, now),
            Err(TokenError::BadSignature),
            "{tampered}"
        );
    }
}

#[tokio::test]
async fn a_token_from_another_key_is_refused() {
    let keys = keys().await;
    let now = SystemTime::now();
    let other_key = fresh_signing_key(&keys.config).await;
    let other = LinkSigner::new(aws_sdk_kms::Client::new(&keys.config), other_key);
    // Signed by an unlisted key and naming it.
    let token = other.sign(&claims(now)).await.unwrap();
    assert_eq!(
        keys.verifier.verify(&token, &ann(), AUDIENCE, now),
        Err(TokenError::UnknownKey)
    );
    // Signed by the other key but naming the accepted one.
    let [_, payload, signature] = parts(&token);
    let [header, _, _] = parts(&keys.signer.sign(&claims(now)).await.unwrap());
    let mislabelled = format!("{header}.{payload}.{signature}");
    assert_eq!(
        keys.verifier.verify(&mislabelled, &ann(), AUDIENCE, now),
        Err(TokenError::BadSignature)
    );
}

#[tokio::test]
async fn alg_none_is_refused() {
    let keys = keys().await;
    let now = SystemTime::now();
    let [header, payload, _] = parts(&keys.signer.sign(&claims(now)).await.unwrap());
    let mut h = decode_json(&header);
    h["alg"] = "none".into();
    let token = format!("{}.{payload}.", encode_json(&h));
    assert_eq!(
        keys.verifier.verify(&token, &ann(), AUDIENCE, now),
        Err(TokenError::UnsupportedAlgorithm("none".into()))
    );
}

#[tokio::test]
async fn hs256_keyed_with_the_public_key_is_refused() {
    let keys = keys().await;
    let now = SystemTime::now();
    let public_key = aws_sdk_kms::Client::new(&keys.config)
        .get_public_key()
        .key_id(keys.signer.key_id())
        .send()
        .await
        .unwrap()
        .public_key()
        .unwrap()
        .as_ref()
        .to_vec();
    let [header, payload, _] = parts(&keys.signer.sign(&claims(now)).await.unwrap());
    let mut h = decode_json(&header);
    h["alg"] = "HS256".into();
    let signing_input = format!("{}.{payload}", encode_json(&h));
    let mac = hmac_sha256(&public_key, signing_input.as_bytes());
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac));
    assert_eq!(
        keys.verifier.verify(&token, &ann(), AUDIENCE, now),
        Err(TokenError::UnsupportedAlgorithm("HS256".into()))
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let keys = keys().await;
    let issued = SystemTime::now() - Duration::from_secs(3600);
    let token = keys.signer.sign(&claims(issued)).await.unwrap();
    assert_eq!(
        keys.verifier
            .verify(&token, &ann(), AUDIENCE, SystemTime::now()),
        Err(TokenError::Expired)
    );
}

#[tokio::test]
async fn another_users_token_is_refused() {
    let keys = keys().await;
    let now = SystemTime::now();
    let token = keys.signer.sign(&claims(now)).await.unwrap();
    let bob = EmailAddress::parse("bob@example.com").unwrap();
    assert_eq!(
        keys.verifier.verify(&token, &bob, AUDIENCE, now),
        Err(TokenError::WrongSubject)
    );
}
