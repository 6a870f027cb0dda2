//! The user directory: does the address have an account, and, in sign-up
//! mode `open`, make one. This is the only place Cognito admin calls are made,
//! and it is off the sign-in path (the mailer runs before the link exists).

use std::future::Future;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use magiclink::aws::CallError;
use magiclink::config::SignUpMode;
use magiclink::email::EmailAddress;

/// Whether an address may receive a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Exists,
    Created,
    /// Sign-up mode `existing`, and there is no account.
    Unknown,
}

/// Accounts, by address.
pub trait Directory {
    fn resolve(
        &self,
        email: &EmailAddress,
        mode: SignUpMode,
    ) -> impl Future<Output = Result<Account, CallError>> + Send;
}

/// A Cognito user pool whose usernames are e-mail addresses.
#[derive(Debug, Clone)]
pub struct CognitoDirectory {
    pub idp: aws_sdk_cognitoidentityprovider::Client,
    pub pool_id: String,
}

impl Directory for CognitoDirectory {
    async fn resolve(&self, email: &EmailAddress, mode: SignUpMode) -> Result<Account, CallError> {
        let found = self
            .idp
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(email.as_str())
            .send()
            .await;
        match found {
            Ok(_) => return Ok(Account::Exists),
            Err(e) if e.code() == Some("UserNotFoundException") => {}
            Err(e) => return Err(CallError::from_sdk("Cognito AdminGetUser", &e)),
        }
        if mode == SignUpMode::Existing {
            return Ok(Account::Unknown);
        }
        let attribute =
            |name: &str, value: &str| AttributeType::builder().name(name).value(value).build();
        let created = self
            .idp
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(email.as_str())
            .user_attributes(
                attribute("email", email.as_str())
                    .map_err(|e| CallError::unexpected("Cognito AdminCreateUser", e.to_string()))?,
            )
            .user_attributes(
                attribute("email_verified", "true")
                    .map_err(|e| CallError::unexpected("Cognito AdminCreateUser", e.to_string()))?,
            )
            .message_action(MessageActionType::Suppress)
            .send()
            .await;
        match created {
            Ok(_) => Ok(Account::Created),
            // Another delivery of a request for the same address won the race.
            Err(e) if e.code() == Some("UsernameExistsException") => Ok(Account::Exists),
            Err(e) => Err(CallError::from_sdk("Cognito AdminCreateUser", &e)),
        }
    }
}
