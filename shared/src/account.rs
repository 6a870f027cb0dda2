//! The address magiclink verified for each Cognito user.
//!
//! A user pool lets an address change behind magiclink's back: a client with
//! the user's access token (`UpdateUserAttributes`, if the app client may
//! write `email`), an administrator, another app client. If links then went
//! to the new address, whoever set it would own the account. So magiclink
//! keeps its own record, `account#<sub>` (the user's immutable Cognito `sub`)
//! holding `addressHash`, the keyed fingerprint of the address it verified:
//! - the mailer binds the address when it creates the account, or the first
//!   time it mails an account that has no binding yet (an account made before
//!   magiclink, or before this record existed), and mails nothing to an
//!   account whose address no longer matches its binding;
//! - the verifier's consume transaction requires the binding to match the
//!   address the user has now (see
//!   [`ChallengeStore::consume`](crate::challenge::ChallengeStore::consume)).
//!   For a link it takes that address's fingerprint from the token (claim
//!   `ah`, signed by the mailer, for the address the verifier has checked
//!   is the user's), so a link's sign-in needs no key; for a code it derives
//!   the fingerprint itself.
//!
//! The item holds no address, only its fingerprint.

use std::time::SystemTime;

use aws_sdk_dynamodb::error::SdkError;

use crate::aws::CallError;
use crate::dynamo::{PK, n, s};
use crate::table::key;
use crate::time::unix_seconds;

/// The table key of a user's binding.
/// A Cognito user as magiclink names it: its `sub`, and the fingerprint of
/// the address it has now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRef {
    pub sub: String,
    pub address_hash: String,
}

/// What [`AccountStore::bind`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// The account is bound to this address (now, or from before).
    Matches,
    /// The account is bound to another address: it changed behind
    /// magiclink's back.
    Changed,
}

/// The bindings, in the table the challenges live in.
#[derive(Debug, Clone)]
pub struct AccountStore {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

impl AccountStore {
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            ddb,
            table: table.into(),
        }
    }

    /// Binds `account` to its address unless it is bound already, and says
    /// whether its binding matches: one conditional write.
    pub async fn bind(&self, account: &AccountRef, now: SystemTime) -> Result<Binding, CallError> {
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::account(&account.sub)))
            .update_expression("SET addressHash = :h, boundAt = if_not_exists(boundAt, :now)")
            .condition_expression("attribute_not_exists(addressHash) OR addressHash = :h")
            .expression_attribute_values(":h", s(&account.address_hash))
            .expression_attribute_values(":now", n(unix_seconds(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Binding::Matches),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(Binding::Changed)
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }
}
