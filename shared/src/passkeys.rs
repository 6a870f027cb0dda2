//! Passkeys in the table: each user's registered credentials, the pending
//! registration of one, and the challenges of usernameless sign-ins.
//!
//! - `passkeys#<sub>`: one item per user. Each passkey is an attribute
//!   `passkey#<ULID>` (a map: the credential's id, the WebAuthn credential
//!   as JSON, which holds the public key and the transports; its name; when it was added and last
//!   used; its signature counter), beside `passkeyCount` (at most
//!   [`MAX_PASSKEYS`]), `subjectHash` (the address's fingerprint, for the
//!   events) and `signIn`/`signInPasskey` (the last passkey sign-in, which the
//!   relay publishes as `SignInSucceeded`), and `changedFrom` (the browser
//!   and system of the last registration or removal, from a short list of
//!   known names, or [`UNKNOWN_BROWSER`]; the relay puts it in the change's
//!   event, for the notice mail). Nothing in it is secret, and it holds no address.
//! - `passkey-registration#<sub>`: the state of the registration the user
//!   started (its challenge), for a few minutes; finishing takes it.
//! - `passkey-challenge#<challenge>`: a usernameless sign-in's challenge,
//!   for a few minutes; the sign-in that uses it deletes it, in the same
//!   transaction that moves the passkey's counter, so it signs in once.
//!
//! A sign-in moves the counter under a condition: up, or `0` to `0` for an
//! authenticator that keeps none. A counter that went backwards, or stood
//! still, is refused: the passkey may have been cloned.

use std::time::SystemTime;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, TransactWriteItem, Update,
};
use ulid::Ulid;

use crate::aws::CallError;
use crate::dynamo::{Item, PK, TTL, get_n, get_s, n, s};
use crate::table::key;
use crate::table::passkeys::PASSKEY;
use crate::time::unix_seconds;

/// Passkeys one user may hold.
pub const MAX_PASSKEYS: u64 = 10;

/// The longest name a passkey may have, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// How a change's browser is named when neither it nor its system is known.
pub const UNKNOWN_BROWSER: &str = "—";

const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// The attribute of passkey `id` in its user's item.
pub fn attribute(id: Ulid) -> String {
    format!("{PASSKEY}{id}")
}

/// The form a WebAuthn credential id is kept in, and looked up by:
/// base64url without padding.
pub fn credential_key(credential_id: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(credential_id)
}

/// One registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    pub id: Ulid,
    /// The WebAuthn credential id, as [`credential_key`] writes it.
    pub credential_id: String,
    /// The WebAuthn credential (public key, id, transports, flags) as JSON.
    pub credential: String,
    pub name: String,
    pub created_at: u64,
    pub last_used_at: Option<u64>,
    pub sign_count: u32,
}

impl StoredPasskey {
    fn from_value(id: Ulid, value: &AttributeValue) -> Option<Self> {
        let entry = value.as_m().ok()?;
        Some(Self {
            id,
            credential_id: get_s(entry, "credentialId")?.to_owned(),
            credential: get_s(entry, "credential")?.to_owned(),
            name: get_s(entry, "name").unwrap_or_default().to_owned(),
            created_at: get_n(entry, "createdAt")?,
            last_used_at: get_n(entry, "lastUsedAt"),
            sign_count: u32::try_from(get_n(entry, "signCount")?).ok()?,
        })
    }
}

/// Why a new passkey was not added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    #[error("no registration is pending: start one, then finish it within its time")]
    NoRegistration,
    #[error("this account has {MAX_PASSKEYS} passkeys already")]
    TooMany,
    #[error(transparent)]
    Store(#[from] CallError),
}

/// Why a passkey sign-in was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("the passkey's counter did not move forward")]
    CounterRegressed,
    #[error("the passkey was removed")]
    Gone,
    #[error("the sign-in challenge was used or has expired")]
    ChallengeUsed,
    #[error(transparent)]
    Store(#[from] CallError),
}

/// A passkey sign-in to record.
#[derive(Debug, Clone, Copy)]
pub struct SignIn<'a> {
    pub sub: &'a str,
    pub passkey: Ulid,
    /// The counter the authenticator reported.
    pub counter: u32,
    /// This sign-in's id (the `challengeId` of its `SignInSucceeded`).
    pub id: Ulid,
    /// The usernameless challenge it answered, which it uses up.
    pub challenge: Option<&'a str>,
}

/// The passkey items of the table.
#[derive(Debug, Clone)]
pub struct PasskeyStore {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

impl PasskeyStore {
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            ddb,
            table: table.into(),
        }
    }

    /// The user's passkeys, oldest first.
    pub async fn list(&self, sub: &str) -> Result<Vec<StoredPasskey>, CallError> {
        let output = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key(PK, s(key::passkeys(sub)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB GetItem", &e))?;
        Ok(output.item().map(passkeys_of).unwrap_or_default())
    }

    /// Keeps a registration's state for `sub` until `expires` (replacing any
    /// earlier one: the latest options are the ones the browser uses).
    pub async fn begin_registration(
        &self,
        sub: &str,
        state: &str,
        expires: SystemTime,
    ) -> Result<(), CallError> {
        self.put_expiring(key::passkey_registration(sub), state, expires)
            .await
    }

    /// The state of `sub`'s registration, if one is pending at `now`.
    pub async fn registration(
        &self,
        sub: &str,
        now: SystemTime,
    ) -> Result<Option<String>, CallError> {
        self.get_unexpired(key::passkey_registration(sub), now)
            .await
    }

    /// Adds a passkey to `sub`'s account from browser `from` and ends the
    /// registration that made it, in one transaction.
    pub async fn add(
        &self,
        sub: &str,
        subject_hash: &str,
        passkey: &StoredPasskey,
        from: &str,
        now: SystemTime,
    ) -> Result<(), AddError> {
        let now_secs = unix_seconds(now);
        let finish = Delete::builder()
            .table_name(&self.table)
            .key(PK, s(key::passkey_registration(sub)))
            .condition_expression("attribute_exists(pk) AND expiresAt > :now")
            .expression_attribute_values(":now", n(now_secs))
            .build()
            .map_err(unbuildable)?;
        let mut entry = Item::new();
        entry.insert("credentialId".into(), s(&passkey.credential_id));
        entry.insert("credential".into(), s(&passkey.credential));
        entry.insert("name".into(), s(&passkey.name));
        entry.insert("createdAt".into(), n(passkey.created_at));
        entry.insert("signCount".into(), n(u64::from(passkey.sign_count)));
        let add = Update::builder()
            .table_name(&self.table)
            .key(PK, s(key::passkeys(sub)))
            .update_expression(
                "SET #passkey = :entry, subjectHash = :hash, changedFrom = :from ADD passkeyCount :one",
            )
            .condition_expression(
                "attribute_not_exists(#passkey) AND (attribute_not_exists(passkeyCount) OR passkeyCount < :max)",
            )
            .expression_attribute_names("#passkey", attribute(passkey.id))
            .expression_attribute_values(":entry", AttributeValue::M(entry))
            .expression_attribute_values(":hash", s(subject_hash))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(MAX_PASSKEYS))
            .build()
            .map_err(unbuildable)?;
        let result = self
            .ddb
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(finish).build())
            .transact_items(TransactWriteItem::builder().update(add).build())
            .send()
            .await;
        match cancelled_at(result)? {
            None => Ok(()),
            Some(0) => Err(AddError::NoRegistration),
            Some(_) => Err(AddError::TooMany),
        }
    }

    /// Removes passkey `id` of `sub`, from browser `from`; `false` when
    /// there was none.
    pub async fn remove(&self, sub: &str, id: Ulid, from: &str) -> Result<bool, CallError> {
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::passkeys(sub)))
            .update_expression("SET changedFrom = :from REMOVE #passkey ADD passkeyCount :minus")
            .condition_expression("attribute_exists(#passkey)")
            .expression_attribute_names("#passkey", attribute(id))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":minus", AttributeValue::N("-1".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }

    /// Keeps a usernameless sign-in's challenge (and its ceremony state)
    /// until `expires`.
    pub async fn issue_challenge(
        &self,
        challenge: &str,
        state: &str,
        expires: SystemTime,
    ) -> Result<(), CallError> {
        self.put_expiring(key::passkey_challenge(challenge), state, expires)
            .await
    }

    /// The ceremony state of a usernameless challenge still open at `now`.
    pub async fn challenge(
        &self,
        challenge: &str,
        now: SystemTime,
    ) -> Result<Option<String>, CallError> {
        self.get_unexpired(key::passkey_challenge(challenge), now)
            .await
    }

    /// Records a verified sign-in: moves the passkey's counter (which must
    /// go up, or stay `0` for an authenticator that keeps none) and uses up
    /// its usernameless challenge, if it had one, in one transaction.
    pub async fn record_sign_in(
        &self,
        sign_in: SignIn<'_>,
        now: SystemTime,
    ) -> Result<(), SignInError> {
        let now_secs = unix_seconds(now);
        let counter_moves = if sign_in.counter == 0 {
            "#passkey.signCount = :counter"
        } else {
            "#passkey.signCount < :counter"
        };
        let record = Update::builder()
            .table_name(&self.table)
            .key(PK, s(key::passkeys(sign_in.sub)))
            .update_expression(
                "SET #passkey.signCount = :counter, #passkey.lastUsedAt = :now, signIn = :signIn, signInPasskey = :id",
            )
            .condition_expression(format!("attribute_exists(#passkey) AND {counter_moves}"))
            .expression_attribute_names("#passkey", attribute(sign_in.passkey))
            .expression_attribute_values(":counter", n(u64::from(sign_in.counter)))
            .expression_attribute_values(":now", n(now_secs))
            .expression_attribute_values(":signIn", s(sign_in.id.to_string()))
            .expression_attribute_values(":id", s(sign_in.passkey.to_string()))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .build()
            .map_err(unbuildable)?;
        let mut transaction = self.ddb.transact_write_items();
        if let Some(challenge) = sign_in.challenge {
            let use_up = Delete::builder()
                .table_name(&self.table)
                .key(PK, s(key::passkey_challenge(challenge)))
                .condition_expression("attribute_exists(pk) AND expiresAt > :now")
                .expression_attribute_values(":now", n(now_secs))
                .build()
                .map_err(unbuildable)?;
            transaction =
                transaction.transact_items(TransactWriteItem::builder().delete(use_up).build());
        }
        let record_at = usize::from(sign_in.challenge.is_some());
        let result = transaction
            .transact_items(TransactWriteItem::builder().update(record).build())
            .send()
            .await;
        let failed = match &result {
            Err(SdkError::ServiceError(e)) => match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons();
                    let refused = |i: usize| {
                        reasons.get(i).and_then(CancellationReason::code) == Some(CONDITION_FAILED)
                    };
                    if record_at == 1 && refused(0) {
                        return Err(SignInError::ChallengeUsed);
                    }
                    refused(record_at).then(|| {
                        let item = reasons.get(record_at).and_then(CancellationReason::item);
                        let exists =
                            item.is_some_and(|item| item.contains_key(&attribute(sign_in.passkey)));
                        if exists {
                            SignInError::CounterRegressed
                        } else {
                            SignInError::Gone
                        }
                    })
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(error) = failed {
            return Err(error);
        }
        result
            .map(|_| ())
            .map_err(|e| SignInError::Store(CallError::from_sdk("DynamoDB TransactWriteItems", &e)))
    }

    async fn put_expiring(
        &self,
        key: String,
        state: &str,
        expires: SystemTime,
    ) -> Result<(), CallError> {
        let expires = unix_seconds(expires);
        self.ddb
            .put_item()
            .table_name(&self.table)
            .item(PK, s(key))
            .item("state", s(state))
            .item("expiresAt", n(expires))
            .item(TTL, n(expires))
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB PutItem", &e))?;
        Ok(())
    }

    async fn get_unexpired(
        &self,
        key: String,
        now: SystemTime,
    ) -> Result<Option<String>, CallError> {
        let output = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key(PK, s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB GetItem", &e))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let open = get_n(item, "expiresAt").is_some_and(|at| at > unix_seconds(now));
        Ok(open
            .then(|| get_s(item, "state").map(str::to_owned))
            .flatten())
    }
}

/// The passkeys of a user's item, oldest first (ULIDs sort by time).
pub fn passkeys_of(item: &Item) -> Vec<StoredPasskey> {
    let mut passkeys: Vec<StoredPasskey> = item
        .iter()
        .filter_map(|(name, value)| {
            let id = name.strip_prefix(PASSKEY)?.parse().ok()?;
            StoredPasskey::from_value(id, value)
        })
        .collect();
    passkeys.sort_by_key(|p| p.id);
    passkeys
}

/// Which item of a cancelled transaction failed its condition, `None` when
/// the transaction went through; any other failure is the store's.
fn cancelled_at<T>(
    result: Result<T, SdkError<TransactWriteItemsError, aws_smithy_runtime_api::http::Response>>,
) -> Result<Option<usize>, CallError> {
    match result {
        Ok(_) => Ok(None),
        Err(SdkError::ServiceError(e)) => match e.err() {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => cancelled
                .cancellation_reasons()
                .iter()
                .position(|r| r.code() == Some(CONDITION_FAILED))
                .map(Some)
                .ok_or_else(|| CallError {
                    operation: "DynamoDB TransactWriteItems",
                    message: "cancelled by a conflicting transaction".into(),
                    transient: true,
                }),
            _ => Err(CallError::from_sdk(
                "DynamoDB TransactWriteItems",
                &SdkError::ServiceError(e),
            )),
        },
        Err(e) => Err(CallError::from_sdk("DynamoDB TransactWriteItems", &e)),
    }
}

fn unbuildable(e: aws_sdk_dynamodb::error::BuildError) -> CallError {
    CallError::unexpected("DynamoDB request", e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn entry(fields: &[(&str, AttributeValue)]) -> AttributeValue {
        AttributeValue::M(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn whole(name: &str) -> AttributeValue {
        entry(&[
            ("credentialId", s("Y3JlZA")),
            ("credential", s("{}")),
            ("name", s(name)),
            ("createdAt", n(1_800_000_000)),
            ("signCount", n(7)),
        ])
    }

    #[test]
    fn a_users_passkeys_are_read_oldest_first_and_nothing_else_is_taken_for_one() {
        let (older, newer) = (
            Ulid::from_parts(1_700_000_000_000, 1),
            Ulid::from_parts(1_800_000_000_000, 1),
        );
        let item = Item::from([
            (PK.to_owned(), s("passkeys#sub-1")),
            (attribute(newer), whole("Phone")),
            (attribute(older), whole("Laptop")),
            ("passkeyCount".to_owned(), n(2)),
            ("changedFrom".to_owned(), s("Firefox · Linux")),
            (format!("{PASSKEY}not-a-ulid"), whole("Stray")),
        ]);
        let passkeys = passkeys_of(&item);
        let names: Vec<&str> = passkeys.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Laptop", "Phone"]);
        assert_eq!(passkeys[0].id, older);
        assert_eq!(passkeys[0].sign_count, 7);
        assert_eq!(passkeys[0].last_used_at, None);
        assert_eq!(passkeys[0].credential_id, "Y3JlZA");
    }

    #[test]
    fn an_entry_missing_what_a_sign_in_needs_is_no_passkey() {
        let id = Ulid::from_parts(1_800_000_000_000, 1);
        for missing in ["credentialId", "credential", "createdAt", "signCount"] {
            let AttributeValue::M(mut fields) = whole("Laptop") else {
                unreachable!()
            };
            fields.remove(missing);
            assert_eq!(
                StoredPasskey::from_value(id, &AttributeValue::M(fields)),
                None,
                "{missing}"
            );
        }
        let too_big = entry(&[
            ("credentialId", s("Y3JlZA")),
            ("credential", s("{}")),
            ("createdAt", n(1)),
            ("signCount", n(u64::from(u32::MAX) + 1)),
        ]);
        assert_eq!(StoredPasskey::from_value(id, &too_big), None);
        assert_eq!(StoredPasskey::from_value(id, &s("not a map")), None);
        let nameless = entry(&[
            ("credentialId", s("Y3JlZA")),
            ("credential", s("{}")),
            ("createdAt", n(1)),
            ("signCount", n(0)),
            ("lastUsedAt", n(2)),
        ]);
        let read = StoredPasskey::from_value(id, &nameless).unwrap();
        assert_eq!((read.name.as_str(), read.last_used_at), ("", Some(2)));
    }

    #[test]
    fn a_credential_id_is_kept_as_base64url_without_padding() {
        assert_eq!(credential_key(b"cred"), "Y3JlZA");
        assert_eq!(credential_key(&[0xfb, 0xff]), "-_8");
        let id = Ulid::from_parts(1_800_000_000_000, 1);
        assert_eq!(attribute(id), format!("passkey#{id}"));
    }
}
