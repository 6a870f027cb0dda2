//! The user directory: the account of an address, and, in sign-up mode
//! `open`, a new one; and the address of an account, for its notices. This
//! is the only place Cognito admin calls are made, and it is off the
//! sign-in path (the mailer runs before the link exists, or after a passkey
//! changed).

use std::future::Future;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use magiclink::aws::CallError;
use magiclink::email::EmailAddress;
use magiclink::locale::Locale;

/// A Cognito user, named by its immutable `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSub(pub String);

/// An existing account: its `sub`, and its `locale` attribute when that is
/// a well-formed language tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub sub: UserSub,
    pub locale: Option<Locale>,
}

/// Where an account's notices go: its address and its `locale` attribute
/// when that is a well-formed language tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub email: EmailAddress,
    pub locale: Option<Locale>,
}

/// Accounts, by address and by `sub`.
pub trait Directory {
    /// The account whose sign-in address is `email`, if there is one.
    fn find(
        &self,
        email: &EmailAddress,
    ) -> impl Future<Output = Result<Option<Account>, CallError>> + Send;

    /// A new account for `email`, its address verified (the link proves it);
    /// the existing one if another delivery made it first.
    fn create(
        &self,
        email: &EmailAddress,
    ) -> impl Future<Output = Result<UserSub, CallError>> + Send;

    /// The address of account `sub`, if there is such an account and its
    /// `email` is a usable address.
    fn addressee(
        &self,
        sub: &UserSub,
    ) -> impl Future<Output = Result<Option<Addressee>, CallError>> + Send;
}

/// A Cognito user pool whose users sign in by address: the address is
/// their username (the stack's own pool) or an alias of it (an existing
/// pool with `AliasAttributes: [email]`). `AdminGetUser` finds a user by
/// either.
#[derive(Debug, Clone)]
pub struct CognitoDirectory {
    pub idp: aws_sdk_cognitoidentityprovider::Client,
    pub pool_id: String,
    /// Whether a new account's username is its address; if not, it gets a
    /// username of its own (a ULID: a pool with an address alias refuses a
    /// username that looks like an address).
    pub username_is_email: bool,
}

fn attribute<'a>(attributes: &'a [AttributeType], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| a.name() == name)
        .and_then(AttributeType::value)
}

fn sub_of(attributes: &[AttributeType]) -> Option<UserSub> {
    attribute(attributes, "sub").map(|sub| UserSub(sub.to_owned()))
}

impl CognitoDirectory {
    /// The attributes of the user `username` names (an address, or a
    /// `sub`: Cognito takes a user's `sub` wherever it takes a username);
    /// `None` when there is no such user.
    async fn attributes_of(&self, username: &str) -> Result<Option<Vec<AttributeType>>, CallError> {
        let found = self
            .idp
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await;
        match found {
            Ok(user) => Ok(Some(user.user_attributes().to_vec())),
            Err(e) if e.code() == Some("UserNotFoundException") => Ok(None),
            Err(e) => Err(CallError::from_sdk("Cognito AdminGetUser", &e)),
        }
    }
}

impl Directory for CognitoDirectory {
    async fn find(&self, email: &EmailAddress) -> Result<Option<Account>, CallError> {
        let Some(attributes) = self.attributes_of(email.as_str()).await? else {
            return Ok(None);
        };
        let sub = sub_of(&attributes)
            .ok_or_else(|| CallError::unexpected("Cognito AdminGetUser", "a user without sub"))?;
        let locale = attribute(&attributes, "locale").and_then(Locale::parse);
        Ok(Some(Account { sub, locale }))
    }

    async fn addressee(&self, sub: &UserSub) -> Result<Option<Addressee>, CallError> {
        let Some(attributes) = self.attributes_of(&sub.0).await? else {
            return Ok(None);
        };
        let email = attribute(&attributes, "email").and_then(|e| EmailAddress::parse(e).ok());
        Ok(email.map(|email| Addressee {
            email,
            locale: attribute(&attributes, "locale").and_then(Locale::parse),
        }))
    }

    async fn create(&self, email: &EmailAddress) -> Result<UserSub, CallError> {
        let attribute = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(|e| CallError::unexpected("Cognito AdminCreateUser", e.to_string()))
        };
        let username = if self.username_is_email {
            email.as_str().to_owned()
        } else {
            ulid::Ulid::from_datetime(std::time::SystemTime::now())
                .to_string()
                .to_lowercase()
        };
        let created = self
            .idp
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .user_attributes(attribute("email", email.as_str())?)
            .user_attributes(attribute("email_verified", "true")?)
            .message_action(MessageActionType::Suppress)
            .send()
            .await;
        let created = match created {
            Ok(created) => created,
            // Another delivery of a request for the same address won the
            // race (as the username, or as the verified alias).
            Err(e)
                if matches!(
                    e.code(),
                    Some("UsernameExistsException" | "AliasExistsException")
                ) =>
            {
                return self.find(email).await?.map(|a| a.sub).ok_or_else(|| {
                    CallError::unexpected("Cognito AdminCreateUser", "exists, yet not found")
                });
            }
            Err(e) => return Err(CallError::from_sdk("Cognito AdminCreateUser", &e)),
        };
        match created.user().and_then(|user| sub_of(user.attributes())) {
            Some(sub) => Ok(sub),
            None => self.find(email).await?.map(|a| a.sub).ok_or_else(|| {
                CallError::unexpected("Cognito AdminCreateUser", "created, yet not found")
            }),
        }
    }
}
