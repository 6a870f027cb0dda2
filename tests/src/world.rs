//! The deployed stack as one test meets it: the stack's outputs, its user
//! pool, a link issuer, a tap on its bus, an HTTP client and its table, with the few
//! steps every test file takes (a new user, the user's sign-in events, an
//! HTTP answer read as JSON).
//!
//! A test file that needs steps of its own declares its own view of the
//! world with [`extend_world!`](crate::extend_world) and adds them there.

use aws_config::SdkConfig;
use magiclink::EmailAddress;
use magiclink::events::{Event, RejectionReason};
use serde_json::Value;

use crate::emulator::{aws, unique};
use crate::events::EventTap;
use crate::sign_in::{LinkIssuer, PoolClient};
use crate::stack::Stack;

/// The deployed stack and the clients a test drives it with.
#[derive(Debug)]
pub struct World {
    pub config: SdkConfig,
    pub stack: Stack,
    pub pool: PoolClient,
    pub links: LinkIssuer,
    /// Every magiclink event on the stack's bus from the world's start on.
    pub tap: EventTap,
    pub http: reqwest::Client,
    /// For what a test reads or writes in the stack's table directly.
    pub ddb: aws_sdk_dynamodb::Client,
}

impl World {
    /// The world of the deployed stack; fails the test, naming the fix, when
    /// the emulator or the stack is not there.
    pub async fn new() -> Self {
        let config = aws().await;
        let stack = Stack::load(&config).await;
        Self {
            pool: PoolClient::new(&config, &stack),
            links: LinkIssuer::new(&config, &stack),
            tap: EventTap::on(&config, stack.output("EventBusName")).await,
            http: reqwest::Client::new(),
            ddb: aws_sdk_dynamodb::Client::new(&config),
            stack,
            config,
        }
    }

    /// A new account in the stack's pool, its address named after `prefix`.
    pub async fn new_user(&self, prefix: &str) -> EmailAddress {
        let email = new_address(prefix);
        self.pool.create_user(&email).await;
        email
    }

    /// The sign-in events (succeeded or rejected) of `email`, once `count`
    /// of them have arrived; fails the test when fewer arrive.
    pub async fn sign_in_events(&mut self, email: &EmailAddress, count: usize) -> Vec<Event> {
        let subject = email.fingerprint(self.stack.fingerprints());
        self.tap.sign_ins_of(&subject, count).await
    }

    /// The reasons of `email`'s rejections, once `count` have arrived; fails
    /// the test when one of its sign-in events is no rejection.
    pub async fn rejections(&mut self, email: &EmailAddress, count: usize) -> Vec<RejectionReason> {
        self.sign_in_events(email, count)
            .await
            .iter()
            .map(|e| match e {
                Event::SignInRejected(e) => e.reason,
                other => panic!("expected rejections only, got {other:?}"),
            })
            .collect()
    }

    /// The reason of `email`'s one rejection.
    pub async fn rejection(&mut self, email: &EmailAddress) -> RejectionReason {
        match self.rejections(email, 1).await.as_slice() {
            [reason] => *reason,
            other => panic!("expected one rejection, got {other:?}"),
        }
    }
}

/// A new address, never used before, named after `prefix`.
pub fn new_address(prefix: &str) -> EmailAddress {
    let text = format!("{}@example.com", unique(prefix));
    EmailAddress::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// An HTTP answer: its status and its JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// Reads `response` whole. Fails the test when a body is there but is
    /// not JSON: every answer of the API is JSON or empty.
    pub async fn of(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("the body of a {status}: {e}"));
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {text}: {e}"))
        };
        Self { status, body }
    }

    /// The error's `code`, or `""` when the answer is no error.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

/// Declares a test file's own view of the [`World`]: a newtype `$name` that
/// dereferences to the world (so `self.stack`, `self.tap` and the world's
/// steps work through it), and `async fn world() -> $name`. The file then adds
/// its own steps in `impl $name { … }`.
#[macro_export]
macro_rules! extend_world {
    ($name:ident) => {
        struct $name($crate::World);

        impl ::std::ops::Deref for $name {
            type Target = $crate::World;
            fn deref(&self) -> &$crate::World {
                &self.0
            }
        }

        impl ::std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut $crate::World {
                &mut self.0
            }
        }

        async fn world() -> $name {
            $name($crate::World::new().await)
        }
    };
}
