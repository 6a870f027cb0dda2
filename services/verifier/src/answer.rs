//! VerifyAuthChallengeResponse: is the answer a valid, unused link of this
//! user, made for this pool and app client? It checks the token offline, then
//! consumes its challenge with the store's single conditional transaction
//! (which also requires the account to be still bound to the address
//! magiclink verified, see [`magiclink::account`]). A success is the
//! challenge's change to `consumed`, which the relay publishes from the
//! table's change stream as `SignInSucceeded`; a rejection changes nothing,
//! so it is published from here.
//!
//! A dependency failure (KMS for a first key fetch, DynamoDB) refuses the
//! answer cleanly within the trigger's budget and is logged, not reported as a
//! rejection: the link was not at fault.

use std::time::SystemTime;

use magiclink::account::AccountRef;
use magiclink::challenge::{ChallengeStore, ConsumeError};
use magiclink::email::EmailAddress;
use magiclink::events::{Event, EventPublisher, RejectionReason, SignInRejected, V1};
use magiclink::fingerprint::FingerprintKey;
use magiclink::token::{LinkVerifier, TokenError};
use ulid::Ulid;

/// The outcome of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted {
        challenge_id: Ulid,
    },
    Rejected {
        reason: RejectionReason,
        challenge_id: Option<Ulid>,
    },
    /// A dependency failed; the answer is refused, and nothing is reported.
    Unavailable,
}

impl Verdict {
    pub fn is_correct(&self) -> bool {
        matches!(self, Self::Accepted { .. })
    }

    /// How the answer ended, for the log: `accepted`, `unavailable`, or the
    /// rejection's reason.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Accepted { .. } => "accepted",
            Self::Rejected { reason, .. } => reason.as_str(),
            Self::Unavailable => "unavailable",
        }
    }
}

/// The reason a token failure is reported with: every failure is the token's.
pub fn token_rejection(error: &TokenError) -> RejectionReason {
    match error {
        TokenError::Expired => RejectionReason::Expired,
        TokenError::WrongSubject => RejectionReason::WrongUser,
        TokenError::UnsupportedAlgorithm(_) | TokenError::UnknownKey | TokenError::BadSignature => {
            RejectionReason::BadSignature
        }
        TokenError::Malformed(_)
        | TokenError::WrongIssuer
        | TokenError::WrongAudience
        | TokenError::NotYetValid => RejectionReason::Malformed,
    }
}

/// The reason a refused consume is reported with, or `None` when the store
/// failed. A validly signed token whose challenge is gone counts as revoked.
pub fn consume_rejection(error: &ConsumeError) -> Option<RejectionReason> {
    Some(match error {
        ConsumeError::Used => RejectionReason::Used,
        ConsumeError::Revoked | ConsumeError::NotFound => RejectionReason::Revoked,
        ConsumeError::Expired => RejectionReason::Expired,
        ConsumeError::WrongUser => RejectionReason::WrongUser,
        ConsumeError::AddressChanged => RejectionReason::AddressChanged,
        ConsumeError::Store(_) => return None,
    })
}

/// Who is signing in, as the trigger tells: the user's `email` and `sub`
/// attributes (`None` for an unknown user), and the pool and app client the
/// sign-in goes through (the token's expected audience).
#[derive(Debug, Clone, Copy)]
pub struct SigningIn<'a> {
    pub email: Option<&'a str>,
    pub sub: Option<&'a str>,
    pub audience: &'a str,
}

/// Checks answers and reports them.
#[derive(Debug)]
pub struct AnswerChecker {
    pub tokens: LinkVerifier,
    pub store: ChallengeStore,
    pub events: EventPublisher,
    pub fingerprints: FingerprintKey,
}

impl AnswerChecker {
    /// Checks `answer` for the user `who`; publishes a rejection (a success is
    /// published by the relay, from the consume's change).
    pub async fn check(
        &self,
        who: SigningIn<'_>,
        answer: Option<&str>,
        now: SystemTime,
    ) -> Verdict {
        let fingerprints = match self.fingerprints.get().await {
            Ok(fingerprints) => fingerprints,
            Err(e) => {
                tracing::error!(error = %e, "fingerprint key unavailable");
                return Verdict::Unavailable;
            }
        };
        let user = who.email.and_then(|raw| EmailAddress::parse(raw).ok());
        let subject_hash = match (&user, who.email) {
            (Some(user), _) => user.fingerprint(fingerprints),
            (None, raw) => fingerprints.of(raw.unwrap_or("")),
        };
        let verdict = self
            .decide(user.as_ref(), &subject_hash, who, answer, now)
            .await;
        tracing::info!(subject = %subject_hash, outcome = verdict.outcome(), "answer checked");
        let Verdict::Rejected {
            reason,
            challenge_id,
        } = &verdict
        else {
            return verdict;
        };
        let event = Event::SignInRejected(SignInRejected {
            version: V1,
            challenge_id: *challenge_id,
            subject_hash,
            reason: *reason,
        });
        if let Err(e) = self.events.publish(&event).await {
            tracing::error!(error = %e, "sign-in event not published");
        }
        verdict
    }

    async fn decide(
        &self,
        user: Option<&EmailAddress>,
        subject_hash: &str,
        who: SigningIn<'_>,
        answer: Option<&str>,
        now: SystemTime,
    ) -> Verdict {
        let rejected = |reason| Verdict::Rejected {
            reason,
            challenge_id: None,
        };
        let (Some(user), Some(sub)) = (user, who.sub) else {
            return rejected(RejectionReason::WrongUser);
        };
        let Some(answer) = answer else {
            return rejected(RejectionReason::Malformed);
        };
        let claims = match self.tokens.verify(answer.trim(), user, who.audience, now) {
            Ok(claims) => claims,
            Err(error) => return rejected(token_rejection(&error)),
        };
        let account = AccountRef {
            sub: sub.to_owned(),
            address_hash: subject_hash.to_owned(),
        };
        match self.store.consume(claims.jti, user, &account, now).await {
            Ok(()) => Verdict::Accepted {
                challenge_id: claims.jti,
            },
            Err(error) => match consume_rejection(&error) {
                Some(reason) => Verdict::Rejected {
                    reason,
                    challenge_id: Some(claims.jti),
                },
                None => {
                    tracing::error!(error = %error, challenge = %claims.jti, "challenge could not be consumed");
                    Verdict::Unavailable
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use magiclink::aws::CallError;

    use super::*;

    #[test]
    fn token_failures_map_to_the_contract_reasons() {
        use RejectionReason::*;
        let cases = [
            (TokenError::Expired, Expired),
            (TokenError::WrongSubject, WrongUser),
            (TokenError::BadSignature, BadSignature),
            (TokenError::UnknownKey, BadSignature),
            (
                TokenError::UnsupportedAlgorithm("none".into()),
                BadSignature,
            ),
            (TokenError::Malformed("x"), Malformed),
            (TokenError::WrongIssuer, Malformed),
            (TokenError::WrongAudience, Malformed),
            (TokenError::NotYetValid, Malformed),
        ];
        for (error, reason) in cases {
            assert_eq!(token_rejection(&error), reason, "{error:?}");
        }
    }

    #[test]
    fn consume_failures_map_to_the_contract_reasons() {
        use RejectionReason::*;
        assert_eq!(consume_rejection(&ConsumeError::Used), Some(Used));
        assert_eq!(consume_rejection(&ConsumeError::Revoked), Some(Revoked));
        assert_eq!(consume_rejection(&ConsumeError::NotFound), Some(Revoked));
        assert_eq!(consume_rejection(&ConsumeError::Expired), Some(Expired));
        assert_eq!(consume_rejection(&ConsumeError::WrongUser), Some(WrongUser));
        assert_eq!(
            consume_rejection(&ConsumeError::AddressChanged),
            Some(AddressChanged)
        );
        let outage = ConsumeError::Store(CallError::unexpected("DynamoDB", "down"));
        assert_eq!(consume_rejection(&outage), None);
    }
}
