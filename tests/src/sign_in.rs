//! Signing in through the stack's real Cognito user pool, as a client does:
//! `InitiateAuth` with `CUSTOM_AUTH`, then `RespondToAuthChallenge` with the
//! link's token. And, until a test drives the mailer, the mailer's part done
//! by hand: the account, the challenge and the signed link.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType, MessageActionType,
};
use base64::Engine;
use magiclink::account::{AccountRef, AccountStore, Binding};
use magiclink::binding::DeviceBinding;
use magiclink::challenge::{Challenge, ChallengeStore};
use magiclink::fingerprint::Fingerprints;
use magiclink::time::unix_seconds;
use magiclink::token::audience;
use magiclink::{EmailAddress, LinkSigner, TokenClaims};
use magiclink_mailer::directory::{CognitoDirectory, Directory};

use crate::stack::Stack;

/// What Cognito answered to an answer.
#[derive(Debug)]
pub enum Answer {
    /// Signed in.
    Tokens(Box<AuthenticationResultType>),
    /// Asked again: the answer was wrong, the session goes on.
    AskedAgain { session: String },
    /// The session ended without tokens.
    Refused(String),
}

impl Answer {
    pub fn tokens(self) -> AuthenticationResultType {
        match self {
            Self::Tokens(tokens) => *tokens,
            other => panic!("expected tokens, got {other:?}"),
        }
    }

    pub fn is_tokens(&self) -> bool {
        matches!(self, Self::Tokens(_))
    }
}

/// A user attribute, for Cognito calls.
pub fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("an attribute has a name")
}

/// A client of the stack's user pool.
#[derive(Debug, Clone)]
pub struct PoolClient {
    idp: aws_sdk_cognitoidentityprovider::Client,
    pool_id: String,
    client_id: String,
    accounts: AccountStore,
    fingerprints: Fingerprints,
}

impl PoolClient {
    pub fn new(config: &SdkConfig, stack: &Stack) -> Self {
        Self {
            idp: aws_sdk_cognitoidentityprovider::Client::new(config),
            pool_id: stack.output("UserPoolId").to_owned(),
            client_id: stack.output("UserPoolClientId").to_owned(),
            accounts: AccountStore::new(
                aws_sdk_dynamodb::Client::new(config),
                stack.output("TableName"),
            ),
            fingerprints: stack.fingerprints().clone(),
        }
    }

    /// The Cognito client, for calls of a test's own.
    pub fn idp(&self) -> &aws_sdk_cognitoidentityprovider::Client {
        &self.idp
    }

    /// The app client's id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Creates the account the way the mailer does in sign-up mode `open`,
    /// and binds it to its address as the mailer does.
    pub async fn create_user(&self, email: &EmailAddress) {
        self.idp
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(email.as_str())
            .user_attributes(attribute("email", email.as_str()))
            .user_attributes(attribute("email_verified", "true"))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .expect("AdminCreateUser");
        let account = AccountRef {
            sub: self.sub(email).await,
            address_hash: email.fingerprint(&self.fingerprints),
        };
        let bound = self
            .accounts
            .bind(&account, SystemTime::now())
            .await
            .expect("account bound");
        assert_eq!(bound, Binding::Matches);
    }

    /// The Cognito `sub` of the account with the sign-in address `email`,
    /// found as the mailer finds it.
    pub async fn sub(&self, email: &EmailAddress) -> String {
        let directory = CognitoDirectory {
            idp: self.idp.clone(),
            pool_id: self.pool_id.clone(),
            username_is_email: true,
        };
        directory
            .find(email)
            .await
            .expect("AdminGetUser")
            .expect("an account")
            .sub
            .0
    }

    /// `InitiateAuth` with `CUSTOM_AUTH`: the session of the challenge.
    pub async fn start(&self, email: &str) -> String {
        let started = self
            .idp
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::CustomAuth)
            .auth_parameters("USERNAME", email)
            .send()
            .await
            .expect("InitiateAuth");
        assert_eq!(
            started.challenge_name(),
            Some(&ChallengeNameType::CustomChallenge)
        );
        started.session().expect("a session").to_owned()
    }

    /// `RespondToAuthChallenge` with `answer`.
    pub async fn answer(&self, email: &str, session: &str, answer: &str) -> Answer {
        let result = self
            .idp
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::CustomChallenge)
            .session(session)
            .challenge_responses("USERNAME", email)
            .challenge_responses("ANSWER", answer)
            .send()
            .await;
        match result {
            Ok(output) => match (output.authentication_result, output.session) {
                (Some(tokens), _) => Answer::Tokens(Box::new(tokens)),
                (None, Some(session)) => Answer::AskedAgain { session },
                (None, None) => Answer::Refused("neither tokens nor a session".into()),
            },
            Err(e) => Answer::Refused(
                aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
            ),
        }
    }

    /// A whole sign-in with a fresh session: start, then answer once.
    pub async fn sign_in(&self, email: &str, token: &str) -> Answer {
        let session = self.start(email).await;
        self.answer(email, &session, token).await
    }
}

/// The mailer's part, by hand: a challenge in the stack's table and its link
/// token signed with the stack's key.
#[derive(Debug, Clone)]
pub struct LinkIssuer {
    store: ChallengeStore,
    signer: LinkSigner,
    issuer: String,
    audience: String,
    fingerprints: Fingerprints,
}

impl LinkIssuer {
    pub fn new(config: &SdkConfig, stack: &Stack) -> Self {
        Self {
            store: ChallengeStore::new(
                aws_sdk_dynamodb::Client::new(config),
                stack.output("TableName"),
            ),
            signer: LinkSigner::new(
                aws_sdk_kms::Client::new(config),
                stack.output("SigningKeyId"),
            ),
            issuer: stack.issuer(),
            audience: audience(stack.output("UserPoolId"), stack.output("UserPoolClientId")),
            fingerprints: stack.fingerprints().clone(),
        }
    }

    /// A challenge for `email` created at `at`, living `lifetime`, and its token.
    pub async fn issue(
        &self,
        email: &EmailAddress,
        at: SystemTime,
        lifetime: Duration,
    ) -> (Challenge, String) {
        self.issue_for(email, at, lifetime, &self.audience).await
    }

    /// [`Self::issue`] with the token's `aud` set to `audience`.
    pub async fn issue_for(
        &self,
        email: &EmailAddress,
        at: SystemTime,
        lifetime: Duration,
        audience: &str,
    ) -> (Challenge, String) {
        self.make(email, at, lifetime, audience, None).await
    }

    /// [`Self::issue`] for a challenge asked for with `binding` (see
    /// [`magiclink::binding`]).
    pub async fn issue_bound(
        &self,
        email: &EmailAddress,
        at: SystemTime,
        lifetime: Duration,
        binding: Option<DeviceBinding>,
    ) -> (Challenge, String) {
        self.make(email, at, lifetime, &self.audience, binding)
            .await
    }

    async fn make(
        &self,
        email: &EmailAddress,
        at: SystemTime,
        lifetime: Duration,
        audience: &str,
        binding: Option<DeviceBinding>,
    ) -> (Challenge, String) {
        let challenge =
            Challenge::new(email.clone(), "http://localhost:8000/".into(), at, lifetime)
                .with_binding(binding);
        self.store
            .create(&challenge)
            .await
            .expect("challenge recorded");
        let claims = TokenClaims {
            iss: self.issuer.clone(),
            aud: audience.to_owned(),
            sub: email.clone(),
            jti: challenge.id,
            iat: unix_seconds(at),
            exp: challenge.expires_at,
            ah: Some(email.fingerprint(&self.fingerprints)),
            apv: binding.is_some(),
        };
        let token = self.signer.sign(&claims).await.expect("token signed");
        (challenge, token)
    }

    /// A fresh link, valid for fifteen minutes.
    pub async fn link(&self, email: &EmailAddress) -> (Challenge, String) {
        self.issue(email, SystemTime::now(), Duration::from_secs(900))
            .await
    }
}

/// The claims of a JWT (not verified: Cognito's own tokens, read in tests).
pub fn jwt_claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("the payload is base64url");
    serde_json::from_slice(&bytes).expect("the payload is JSON")
}
