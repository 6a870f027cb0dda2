//! The verifier's Lambda entry point: configuration and clients, then the
//! runtime loop.

// The SDK's futures, nested in the store's and the runtime's, make a future
// type deeper than the default limit of clippy's layout queries (the
// compiler itself builds it at the default).
#![recursion_limit = "256"]

use std::time::SystemTime;

use lambda_runtime::{LambdaEvent, service_fn};
use magiclink::approval::ApprovalKeys;
use magiclink::aws::{CallBudget, load_config};
use magiclink::challenge::ChallengeStore;
use magiclink::code::LazyCodeKey;
use magiclink::config::Env;
use magiclink::events::EventPublisher;
use magiclink::fingerprint::FingerprintKey;
use magiclink::passkeys::PasskeyStore;
use magiclink::token::LinkVerifier;
use magiclink_verifier::answer::{AnswerChecker, Passkeys};
use magiclink_verifier::config::VerifierConfig;
use magiclink_verifier::triggers::handle;
use magiclink_webauthn::RelyingParty;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    magiclink::telemetry::init();
    let config = VerifierConfig::from_env(&Env::from_process())?;
    let aws = load_config(CallBudget::TRIGGER).await;
    let kms = aws_sdk_kms::Client::new(&aws);
    let ddb = aws_sdk_dynamodb::Client::new(&aws);
    // A link signs in with the public keys of the configuration and the
    // fingerprint its token carries: a cold start has nothing to wait for.
    // The fingerprint and code keys (for rejections' events and for codes)
    // are derived on first use.
    let checker = AnswerChecker {
        tokens: LinkVerifier::new(config.keys.keys, &config.token.issuer),
        approvals: ApprovalKeys::new(config.approvals.keys),
        store: ChallengeStore::new(ddb.clone(), &config.store.table_name)
            .with_code_guesses(config.code.guesses),
        events: EventPublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            &config.events.bus_name,
        ),
        fingerprints: FingerprintKey::new(kms.clone(), &config.events.fingerprint_key_id),
        codes: LazyCodeKey::new(kms, &config.code.key_id),
        code_digits: config.code.digits,
        passkeys: config.passkeys.as_ref().map(|rp| Passkeys {
            rp: RelyingParty::new(rp),
            store: PasskeyStore::new(ddb, &config.store.table_name),
        }),
    };
    let checker = &checker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(checker, event.payload, SystemTime::now())
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
