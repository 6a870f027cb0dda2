//! The mailer's Lambda entry point: configuration and clients, then the
//! runtime loop over SQS batches.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use magiclink::account::AccountStore;
use magiclink::aws::{CallBudget, load_config};
use magiclink::challenge::ChallengeStore;
use magiclink::code::LazyCodeKey;
use magiclink::config::Env;
use magiclink::events::EventPublisher;
use magiclink::fingerprint::FingerprintKey;
use magiclink::notice::Notices;
use magiclink::rate_limit::RateLimiter;
use magiclink::send_rate::SendRate;
use magiclink::suppression::Suppressions;
use magiclink::time::instant_of;
use magiclink::token::{LinkSigner, audience};
use magiclink_mailer::config::MailerConfig;
use magiclink_mailer::directory::CognitoDirectory;
use magiclink_mailer::outbox::SesOutbox;
use magiclink_mailer::pacer::{Pacer, SES};
use magiclink_mailer::process::{Mailer, Redelivery, Settings};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    magiclink::telemetry::init();
    let config = MailerConfig::from_env(&Env::from_process())?;
    let aws = load_config(CallBudget::BACKGROUND).await;
    let (ddb, kms) = (
        aws_sdk_dynamodb::Client::new(&aws),
        aws_sdk_kms::Client::new(&aws),
    );
    let table = &config.store.table_name;
    let fingerprints = FingerprintKey::new(kms.clone(), &config.events.fingerprint_key_id);
    let codes = LazyCodeKey::new(kms.clone(), &config.code.key_id);
    tokio::join!(fingerprints.preload(), codes.preload());
    let mailer = Mailer {
        store: ChallengeStore::new(ddb.clone(), table),
        accounts: AccountStore::new(ddb.clone(), table),
        limiter: RateLimiter::new(ddb.clone(), table),
        fingerprints,
        suppressions: Suppressions::new(ddb.clone(), table),
        notices: Notices::new(ddb.clone(), table),
        codes,
        signer: LinkSigner::new(kms, &config.signing.key_id),
        events: EventPublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            &config.events.bus_name,
        ),
        directory: CognitoDirectory {
            idp: aws_sdk_cognitoidentityprovider::Client::new(&aws),
            pool_id: config.user_pool_id.clone(),
            username_is_email: config.username_is_email,
        },
        outbox: SesOutbox {
            ses: aws_sdk_sesv2::Client::new(&aws),
            from: config.from_address.clone(),
            configuration_set: config.configuration_set.clone(),
        },
        redelivery: config.queue_url.clone().map(|queue_url| Redelivery {
            sqs: aws_sdk_sqs::Client::new(&aws),
            queue_url,
            base: config.retry_base,
        }),
        pacer: Pacer::new(
            config
                .send_limit
                .map(|limit| SendRate::new(ddb.clone(), table, SES, limit)),
        ),
        settings: Settings {
            sign_up: config.sign_up,
            accounts_per_hour: config.accounts_per_hour,
            issuer: config.token.issuer.clone(),
            audience: audience(&config.user_pool_id, &config.user_pool_client_id),
            max_receives: config.max_receives,
            templates: config.templates.clone(),
            code_digits: config.code.digits,
        },
    };
    let mailer = &mailer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deadline = instant_of(event.context.deadline());
        let response = mailer.handle(event.payload, deadline).await;
        Ok::<_, lambda_runtime::Error>(response)
    }))
    .await
}
