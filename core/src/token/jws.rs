//! The JWS compact form: building the signing input, attaching a signature,
//! and parsing and verifying a received token. Pure code, no I/O.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::{Expectations, TokenClaims, TokenError};
use crate::time::unix_seconds;

/// The longest token accepted. A real one is about 450 characters; anything
/// much longer is refused before it is decoded.
pub const MAX_TOKEN_LEN: usize = 2048;

/// How far in the future `iat` may lie (clock skew between functions).
const IAT_LEEWAY: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crit: Option<serde_json::Value>,
}

/// `base64url(header) "." base64url(claims)`: the bytes a signature covers.
pub fn encode_signing_input(key_id: &str, claims: &TokenClaims) -> String {
    let header = Header {
        alg: "ES256".into(),
        typ: Some("JWT".into()),
        kid: Some(key_id.into()),
        crit: None,
    };
    // Both structs serialize to JSON without fail: strings and integers only.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    )
}

/// The whole token: the signing input and an ASN.1 DER ECDSA signature (as
/// KMS returns it) converted to the JWS form, `r || s`, 64 bytes, with `s`
/// made low. KMS returns either of the two valid forms of a signature; the
/// verifier accepts only the low-S one, so that a token has exactly one form.
pub fn join_signature(
    signing_input: &str,
    der_signature: &[u8],
) -> Result<String, p256::ecdsa::Error> {
    let signature = Signature::from_der(der_signature)?.normalize_s();
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

/// A token whose shape and header have been checked, but not its signature.
#[derive(Debug)]
pub struct UnverifiedToken<'a> {
    signing_input: &'a str,
    payload: &'a str,
    key_id: String,
    signature: Signature,
}

impl<'a> UnverifiedToken<'a> {
    /// Checks the token's size, shape and header.
    pub fn parse(token: &'a str) -> Result<Self, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed("too long"));
        }
        let (signing_input, signature) = token
            .rsplit_once('.')
            .ok_or(TokenError::Malformed("not three parts"))?;
        let (header, payload) = signing_input
            .split_once('.')
            .ok_or(TokenError::Malformed("not three parts"))?;
        if payload.contains('.') {
            return Err(TokenError::Malformed("not three parts"));
        }
        let header: Header = decode_json(
            header,
            "header is not base64url",
            "header is not the expected JSON",
        )?;
        if header.alg != "ES256" {
            return Err(TokenError::UnsupportedAlgorithm(header.alg));
        }
        if header.crit.is_some() {
            return Err(TokenError::Malformed("critical header extensions"));
        }
        let key_id = header.kid.ok_or(TokenError::Malformed("no key id"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed("signature is not base64url"))?;
        // A JWS ES256 signature is exactly r || s; zero or out-of-range values
        // are refused here by `from_slice`. Of the two valid signatures (s and
        // n - s) only the low-S one is accepted, so that nobody can make a
        // second valid form of a token from the first.
        let signature = Signature::from_slice(&signature).map_err(|_| TokenError::BadSignature)?;
        if signature.normalize_s() != signature {
            return Err(TokenError::BadSignature);
        }
        Ok(Self {
            signing_input,
            payload,
            key_id,
            signature,
        })
    }

    /// The `kid` the header names: which public key to check against.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Checks the signature with `key`, then the claims against `expect` at
    /// time `now`.
    pub fn verify(
        self,
        key: &VerifyingKey,
        expect: Expectations<'_>,
        now: SystemTime,
    ) -> Result<TokenClaims, TokenError> {
        key.verify(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: TokenClaims = decode_json(
            self.payload,
            "claims are not base64url",
            "claims are not the expected JSON",
        )?;
        if claims.iss != expect.issuer {
            return Err(TokenError::WrongIssuer);
        }
        if claims.aud != expect.audience {
            return Err(TokenError::WrongAudience);
        }
        let now_secs = unix_seconds(now);
        if now_secs >= claims.exp {
            return Err(TokenError::Expired);
        }
        if claims.iat > unix_seconds(now + IAT_LEEWAY) || claims.iat >= claims.exp {
            return Err(TokenError::NotYetValid);
        }
        if expect.subject.is_some_and(|subject| &claims.sub != subject) {
            return Err(TokenError::WrongSubject);
        }
        Ok(claims)
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(
    part: &str,
    not_base64: &'static str,
    not_json: &'static str,
) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed(not_base64))?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed(not_json))
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;
    use ulid::Ulid;

    use super::*;
    use crate::email::EmailAddress;
    use crate::time::from_unix_seconds;

    const NOW: u64 = 1_800_000_000;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn claims() -> TokenClaims {
        TokenClaims {
            iss: "magiclink".into(),
            aud: "pool/client".into(),
            sub: EmailAddress::parse("ann@example.com").unwrap(),
            jti: Ulid::from_parts(NOW * 1000, 7),
            iat: NOW,
            exp: NOW + 900,
            ah: None,
            apv: false,
        }
    }

    fn sign(key: &SigningKey, input: &str) -> String {
        let signature: Signature = key.sign(input.as_bytes());
        join_signature(input, signature.to_der().as_bytes()).unwrap()
    }

    fn token(key: &SigningKey, claims: &TokenClaims) -> String {
        sign(key, &encode_signing_input("k1", claims))
    }

    fn check(token: &str, key: &SigningKey) -> Result<TokenClaims, TokenError> {
        let subject = EmailAddress::parse("ann@example.com").unwrap();
        let expect = Expectations {
            issuer: "magiclink",
            audience: "pool/client",
            subject: Some(&subject),
        };
        UnverifiedToken::parse(token)?.verify(
            key.verifying_key(),
            expect,
            from_unix_seconds(NOW + 1),
        )
    }

    fn b64_json(value: serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&value).unwrap())
    }

    #[test]
    fn round_trip() {
        let k = key(1);
        let t = token(&k, &claims());
        assert_eq!(UnverifiedToken::parse(&t).unwrap().key_id(), "k1");
        assert_eq!(check(&t, &k), Ok(claims()));
    }

    #[test]
    fn header_says_es256_jwt_and_kid() {
        let input = encode_signing_input("k1", &claims());
        let header = URL_SAFE_NO_PAD
            .decode(input.split('.').next().unwrap())
            .unwrap();
        let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": "k1"})
        );
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let k = key(1);
        let t = token(&k, &claims());
        for i in 0..t.len() {
            for replacement in ['A', 'g', '_', '.'] {
                let mut bytes = t.clone().into_bytes();
                if bytes[i] == replacement as u8 {
                    continue;
                }
                bytes[i] = replacement as u8;
                let tampered = String::from_utf8(bytes).unwrap();
                assert!(
                    check(&tampered, &k).is_err(),
                    "position {i} -> {replacement}"
                );
            }
        }
    }

    #[test]
    fn claims_changed_under_the_same_signature_are_refused() {
        let k = key(1);
        let t = token(&k, &claims());
        let (header, rest) = t.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let mut longer = claims();
        longer.exp += 3600;
        let forged_payload = encode_signing_input("k1", &longer);
        let forged_payload = forged_payload.split('.').nth(1).unwrap();
        let forged = format!("{header}.{forged_payload}.{signature}");
        assert_eq!(check(&forged, &k), Err(TokenError::BadSignature));
    }

    #[test]
    fn another_key_is_refused() {
        let t = token(&key(2), &claims());
        assert_eq!(check(&t, &key(1)), Err(TokenError::BadSignature));
    }

    #[test]
    fn algorithm_none_and_hmac_are_refused() {
        let payload = encode_signing_input("k1", &claims());
        let payload = payload.split('.').nth(1).unwrap().to_owned();
        let none = format!(
            "{}.{payload}.",
            b64_json(serde_json::json!({"alg": "none", "kid": "k1"}))
        );
        assert_eq!(
            check(&none, &key(1)),
            Err(TokenError::UnsupportedAlgorithm("none".into()))
        );
        let hs = format!(
            "{}.{payload}.AAAA",
            b64_json(serde_json::json!({"alg": "HS256", "kid": "k1"}))
        );
        assert_eq!(
            check(&hs, &key(1)),
            Err(TokenError::UnsupportedAlgorithm("HS256".into()))
        );
    }

    #[test]
    fn expiry_issue_time_issuer_and_subject_are_checked() {
        let k = key(1);
        let mut c = claims();
        c.exp = NOW;
        assert_eq!(check(&token(&k, &c), &k), Err(TokenError::Expired));
        let mut c = claims();
        c.iat = NOW + 600;
        assert_eq!(check(&token(&k, &c), &k), Err(TokenError::NotYetValid));
        let mut c = claims();
        c.iss = "someone-else".into();
        assert_eq!(check(&token(&k, &c), &k), Err(TokenError::WrongIssuer));
        for other in ["pool/other-client", "other-pool/client", "", "pool/client/"] {
            let mut c = claims();
            c.aud = other.into();
            assert_eq!(
                check(&token(&k, &c), &k),
                Err(TokenError::WrongAudience),
                "{other}"
            );
        }
        let mut c = claims();
        c.sub = EmailAddress::parse("bob@example.com").unwrap();
        assert_eq!(check(&token(&k, &c), &k), Err(TokenError::WrongSubject));
    }

    #[test]
    fn malformed_shapes_are_named() {
        let k = key(1);
        let t = token(&k, &claims());
        let cases = [
            ("", TokenError::Malformed("not three parts")),
            ("abc", TokenError::Malformed("not three parts")),
            ("a.b", TokenError::Malformed("not three parts")),
            ("a.b.c.d", TokenError::Malformed("not three parts")),
            ("!!.b.c", TokenError::Malformed("header is not base64url")),
            (
                &"a".repeat(MAX_TOKEN_LEN + 1),
                TokenError::Malformed("too long"),
            ),
            (
                &format!("{t}="),
                TokenError::Malformed("signature is not base64url"),
            ),
        ];
        for (input, error) in cases {
            assert_eq!(check(input, &k), Err(error), "{input:?}");
        }
        let crit = format!(
            "{}.{}",
            b64_json(serde_json::json!({"alg": "ES256", "kid": "k1", "crit": ["exp"]})),
            t.split_once('.').unwrap().1
        );
        assert_eq!(
            check(&crit, &k),
            Err(TokenError::Malformed("critical header extensions"))
        );
        let no_kid = format!(
            "{}.{}",
            b64_json(serde_json::json!({"alg": "ES256"})),
            t.split_once('.').unwrap().1
        );
        assert_eq!(check(&no_kid, &k), Err(TokenError::Malformed("no key id")));
    }

    fn high_s_twin(low: &Signature) -> Signature {
        let (r, s) = low.split_scalars();
        Signature::from_scalars(r, -*s).unwrap()
    }

    #[test]
    fn the_high_s_twin_of_a_valid_token_is_refused() {
        let k = key(1);
        let t = token(&k, &claims());
        assert_eq!(check(&t, &k), Ok(claims()));
        let (input, signature) = t.rsplit_once('.').unwrap();
        let low = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
        let high = high_s_twin(&low);
        // The twin is a valid ECDSA signature of the same input...
        assert!(k.verifying_key().verify(input.as_bytes(), &high).is_ok());
        // ...but not a valid token.
        let twin = format!("{input}.{}", URL_SAFE_NO_PAD.encode(high.to_bytes()));
        assert_eq!(check(&twin, &k), Err(TokenError::BadSignature));
    }

    #[test]
    fn a_high_s_signature_from_kms_is_joined_in_its_low_form() {
        // KMS does not normalize s: either form may come back.
        let k = key(1);
        let input = encode_signing_input("k1", &claims());
        let low: Signature = k.sign(input.as_bytes());
        let high = high_s_twin(&low);
        let from_high = join_signature(&input, high.to_der().as_bytes()).unwrap();
        let from_low = join_signature(&input, low.to_der().as_bytes()).unwrap();
        assert_eq!(from_high, from_low);
        assert_eq!(check(&from_high, &k), Ok(claims()));
    }
}
