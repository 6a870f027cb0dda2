//! A software authenticator for tests: one P-256 (ES256) discoverable
//! credential, made and used as a platform authenticator would, with knobs
//! to make it misbehave (another origin or RP id, no user verification, a
//! counter set by hand, a forged signature). It writes the browser's
//! `toJSON()` forms, CBOR and COSE included; the relying party reads them
//! with `webauthn-rs-core`, not with this code.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// A software authenticator holding one credential.
#[derive(Debug, Clone)]
pub struct SoftAuthenticator {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
    pub rp_id: String,
    pub origin: String,
    pub counter: u32,
    /// Whether it says it verified the user (PIN, biometrics).
    pub verifies_user: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The CBOR header of a major type with `len`.
fn cbor_head(major: u8, len: usize) -> Vec<u8> {
    let major = major << 5;
    match len {
        0..=23 => vec![major | len as u8],
        24..=255 => vec![major | 24, len as u8],
        _ => {
            let mut head = vec![major | 25];
            head.extend_from_slice(&(len as u16).to_be_bytes());
            head
        }
    }
}

fn cbor_text(text: &str) -> Vec<u8> {
    let mut out = cbor_head(3, text.len());
    out.extend_from_slice(text.as_bytes());
    out
}

fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = cbor_head(2, bytes.len());
    out.extend_from_slice(bytes);
    out
}

impl SoftAuthenticator {
    /// An authenticator whose key comes from `seed`, for `rp_id` on pages of
    /// `origin`, holding a credential for the user `user_handle`.
    pub fn new(seed: u8, rp_id: &str, origin: &str, user_handle: &[u8]) -> Self {
        let key = SigningKey::from_slice(&[seed.max(1); 32])
            .expect("a scalar of 32 equal bytes is below the curve's order");
        Self {
            key,
            credential_id: Sha256::digest([seed, 0x5a]).to_vec(),
            user_handle: user_handle.to_vec(),
            rp_id: rp_id.to_owned(),
            origin: origin.to_owned(),
            counter: 0,
            verifies_user: true,
        }
    }

    fn flags(&self) -> u8 {
        if self.verifies_user { UP | UV } else { UP }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// The authenticator data's fixed head: RP id hash, flags, counter.
    fn auth_data(&self, flags: u8, counter: u32) -> Vec<u8> {
        let mut out = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        out.push(flags);
        out.extend_from_slice(&counter.to_be_bytes());
        out
    }

    /// A `PublicKeyCredential` of this credential with `response`.
    fn credential(&self, response: Value) -> Value {
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
        })
    }

    /// The COSE form of the public key.
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        let (x, y) = (&bytes[1..33], &bytes[33..65]);
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        out.extend(cbor_bytes(x));
        out.push(0x22);
        out.extend(cbor_bytes(y));
        out
    }

    /// Answers registration `options` (the `publicKey` member, as the
    /// relying party sent it) as `navigator.credentials.create()` would.
    pub fn register(&self, options: &Value) -> Value {
        let challenge = options["challenge"].as_str().unwrap_or_default();
        let client_data = self.client_data("webauthn.create", challenge);
        let mut auth_data = self.auth_data(self.flags() | AT, self.counter);
        auth_data.extend_from_slice(&[0; 16]);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(&auth_data));
        self.credential(json!({
            "clientDataJSON": b64(&client_data),
            "attestationObject": b64(&attestation),
            "transports": ["internal"],
        }))
    }

    /// Signs `challenge` (base64url) as `navigator.credentials.get()` would,
    /// after moving its counter on if it keeps one.
    pub fn assert(&mut self, challenge: &str) -> Value {
        if self.counter > 0 {
            self.counter += 1;
        }
        self.assertion(challenge, self.counter)
    }

    /// An assertion of `challenge` with the counter `counter`.
    pub fn assertion(&self, challenge: &str, counter: u32) -> Value {
        let client_data = self.client_data("webauthn.get", challenge);
        let auth_data = self.auth_data(self.flags(), counter);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        self.credential(json!({
            "clientDataJSON": b64(&client_data),
            "authenticatorData": b64(&auth_data),
            "signature": b64(signature.to_der().as_bytes()),
            "userHandle": b64(&self.user_handle),
        }))
    }
}
