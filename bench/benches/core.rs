//! What the in-process parts of a sign-in cost, measured with criterion:
//! building a token's signing input (the mailer, before KMS signs), verifying
//! a token with a cached public key (the verifier, per answer), parsing an
//! address (the request service, per request) and rendering the mail.

#![allow(
    clippy::unwrap_used,
    reason = "benchmark set-up: a panic is the failure report"
)]

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use magiclink_core::token::{Expectations, UnverifiedToken, encode_signing_input, join_signature};
use magiclink_core::{EmailAddress, TokenClaims};
use magiclink_mailer::template::{MailTemplates, MailValues};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

fn claims() -> TokenClaims {
    TokenClaims {
        iss: "magiclink/magiclink".into(),
        aud: "us-east-1_pool/client".into(),
        sub: EmailAddress::parse("ann.lee+news@example.com").unwrap(),
        jti: ulid::Ulid::from_parts(1_800_000_000_000, 42),
        iat: 1_800_000_000,
        exp: 1_800_000_900,
        ah: None,
        apv: false,
    }
}

fn token_benches(c: &mut Criterion) {
    let claims = claims();
    let key_id = "53fa4a96-c3ff-46d3-897f-854398cec8f9";
    c.bench_function("token/signing_input", |b| {
        b.iter(|| encode_signing_input(black_box(key_id), black_box(&claims)))
    });

    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let input = encode_signing_input(key_id, &claims);
    let signature: Signature = key.sign(input.as_bytes());
    let token = join_signature(&input, signature.to_der().as_bytes()).unwrap();
    let subject = claims.sub.clone();
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_001);
    c.bench_function("token/verify_with_cached_key", |b| {
        b.iter(|| {
            let expect = Expectations {
                issuer: "magiclink/magiclink",
                audience: "us-east-1_pool/client",
                subject: Some(&subject),
            };
            UnverifiedToken::parse(black_box(&token))
                .unwrap()
                .verify(key.verifying_key(), expect, now)
                .unwrap()
        })
    });
    c.bench_function("token/refuse_garbage", |b| {
        b.iter(|| UnverifiedToken::parse(black_box("eyJhbGciOiJub25lIn0.e30.")).is_err())
    });
}

fn email_benches(c: &mut Criterion) {
    c.bench_function("email/parse_valid", |b| {
        b.iter(|| EmailAddress::parse(black_box("  Ann.Lee+news@Mail.Example.COM ")).unwrap())
    });
    let hostile = format!("{}@example.com\r\nBcc: all@example.com", "a".repeat(300));
    c.bench_function("email/refuse_hostile", |b| {
        b.iter(|| EmailAddress::parse(black_box(&hostile)).is_err())
    });
}

fn template_benches(c: &mut Criterion) {
    let templates = MailTemplates::built_in("en").unwrap();
    let (_, template) = templates.choose(&[]);
    let link = format!(
        "https://app.example.com/auth/callback?next=%2F&x=1#{}",
        "t".repeat(450)
    );
    let values = MailValues {
        email: "o'brien&co@example.com",
        link: &link,
        code: "01234567",
        expires_at: 1_800_000_900,
        lifetime_secs: 900,
        invited_by: None,
    };
    c.bench_function("mail/render", |b| {
        b.iter(|| template.render(black_box(&values)))
    });
}

criterion_group!(benches, token_benches, email_benches, template_benches);
criterion_main!(benches);
