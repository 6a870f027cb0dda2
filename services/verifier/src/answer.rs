//! VerifyAuthChallengeResponse: is the answer a valid, unused link of this
//! user, made for this pool and app client, the code of one of this user's
//! challenges, or the verifier of the browser that asked for one of them
//! after its approval from another device (see [`crate::form`])? A token is
//! checked offline; a code is compared, in constant time, with the one
//! derived from the challenge id; a verifier's hash must be the challenge's
//! binding, in the store's condition; a passkey's assertion is checked
//! against the user's stored credential and this round's (or a usernameless
//! sign-in's) WebAuthn challenge, and recorded by moving its counter (see
//! [`magiclink::passkeys`]). Otherwise the challenge is consumed with the store's single
//! conditional transaction (which also requires the account to be still
//! bound to the address magiclink verified, see [`magiclink::account`]), or,
//! for a wrong code, the code is counted on the challenge (five end its code,
//! never its link) and on the user's budget of wrong codes. A code answer
//! is checked against its challenge's owner and the budget before the code
//! is compared.
//! A success is the challenge's change to `consumed`, which the relay
//! publishes from the table's change stream as `SignInSucceeded`; a
//! rejection is published from here.
//!
//! A dependency failure (KMS for a key at a cold start, DynamoDB) refuses the
//! answer cleanly within the trigger's budget and is logged, not reported as a
//! rejection: the answer was not at fault.

use std::time::SystemTime;

use magiclink::account::AccountRef;
use magiclink::approval::{ApprovalKeys, Statement};
use magiclink::aws::CallError;
use magiclink::challenge::{ChallengeStore, ConsumeError, Proof, SignInMethod, WrongCode};
use magiclink::code::{CodeDigits, LazyCodeKey};
use magiclink::email::EmailAddress;
use magiclink::events::{Event, EventPublisher, RejectionReason, SignInRejected, V1};
use magiclink::fingerprint::FingerprintKey;
use magiclink::metrics::{Metric, Point};
use magiclink::passkeys::{PasskeyStore, SignIn, SignInError, credential_key};
use magiclink::telemetry::emit;
use magiclink::token::{LinkVerifier, TokenError};
use magiclink_webauthn::{Assertion, Refusal, RelyingParty};
use ulid::Ulid;

use crate::form::{self, AnswerForm};

/// The outcome of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted {
        challenge_id: Ulid,
        method: SignInMethod,
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

/// A key could not be derived: the answer is refused, and nothing reported.
fn unavailable(key: &str, error: &CallError) -> Verdict {
    tracing::error!(%error, key, "key unavailable");
    Verdict::Unavailable
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
        ConsumeError::TooManyAttempts => RejectionReason::TooManyAttempts,
        ConsumeError::ApprovedElsewhere => RejectionReason::ApprovedElsewhere,
        ConsumeError::NotApproved => RejectionReason::NotApproved,
        ConsumeError::WrongVerifier => RejectionReason::WrongVerifier,
        ConsumeError::Store(_) => return None,
    })
}

/// The reason a refused passkey assertion is reported with.
pub fn passkey_rejection(refusal: &Refusal) -> RejectionReason {
    match refusal {
        Refusal::WrongChallenge => RejectionReason::WrongChallenge,
        Refusal::WrongOrigin => RejectionReason::WrongOrigin,
        Refusal::WrongRpId => RejectionReason::WrongRpId,
        Refusal::UserNotVerified => RejectionReason::UserNotVerified,
        Refusal::BadSignature => RejectionReason::BadSignature,
        Refusal::CounterRegressed => RejectionReason::CounterRegressed,
        Refusal::UnsupportedKey | Refusal::Malformed(_) => RejectionReason::Malformed,
    }
}

/// Who is signing in, as the trigger tells: the user's `email` and `sub`
/// attributes (for an unknown user, the address asked for and no `sub`),
/// the pool and app client the
/// sign-in goes through (the token's expected audience), and this round's
/// passkey ceremony (its challenge and state), when passkeys are on.
#[derive(Debug, Clone, Copy)]
pub struct SigningIn<'a> {
    pub email: Option<&'a str>,
    pub sub: Option<&'a str>,
    pub audience: &'a str,
    pub passkey_round: Option<PasskeyRound<'a>>,
}

/// The passkey ceremony of a round, from its private parameters.
#[derive(Debug, Clone, Copy)]
pub struct PasskeyRound<'a> {
    pub challenge: &'a str,
    pub state: &'a str,
}

/// Passkey sign-in: the relying party and the users' passkeys.
#[derive(Debug)]
pub struct Passkeys {
    pub rp: RelyingParty,
    pub store: PasskeyStore,
}

/// Checks answers and reports them.
#[derive(Debug)]
pub struct AnswerChecker {
    pub tokens: LinkVerifier,
    /// The keys whose signatures prove approvals (see [`magiclink::approval`]).
    pub approvals: ApprovalKeys,
    pub store: ChallengeStore,
    pub events: EventPublisher,
    pub fingerprints: FingerprintKey,
    /// The key of the mails' one-time codes (see [`magiclink::code`]).
    pub codes: LazyCodeKey,
    pub code_digits: CodeDigits,
    /// `None` when passkeys are off: a passkey answer is then malformed.
    pub passkeys: Option<Passkeys>,
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
        let user = who.email.and_then(|raw| EmailAddress::parse(raw).ok());
        let verdict = match self.decide(user.as_ref(), who, answer, now).await {
            Verdict::Accepted { challenge_id, .. } if who.sub.is_none() => Verdict::Rejected {
                reason: RejectionReason::WrongUser,
                challenge_id: Some(challenge_id),
            },
            verdict => verdict,
        };
        emit(match &verdict {
            Verdict::Accepted { method, .. } => Point::count_by(Metric::SignIns, method.as_str()),
            Verdict::Rejected { reason, .. } => {
                Point::count_by(Metric::SignInsRefused, reason.as_str())
            }
            Verdict::Unavailable => Point::count_by(Metric::SignInsRefused, "unavailable"),
        });
        let Verdict::Rejected {
            reason,
            challenge_id,
        } = &verdict
        else {
            let challenge = match &verdict {
                Verdict::Accepted { challenge_id, .. } => Some(challenge_id.to_string()),
                _ => None,
            };
            tracing::info!(challenge, outcome = verdict.outcome(), "answer checked");
            return verdict;
        };
        // Only a rejection needs the fingerprint key here (its event names
        // the user); a process derives it at its first.
        let fingerprints = match self.fingerprints.get().await {
            Ok(fingerprints) => fingerprints,
            Err(e) => {
                tracing::error!(error = %e, outcome = verdict.outcome(), "rejection not published: fingerprint key unavailable");
                return verdict;
            }
        };
        let subject_hash = match (&user, who.email) {
            (Some(user), _) => user.fingerprint(fingerprints),
            (None, raw) => fingerprints.of(raw.unwrap_or("")),
        };
        tracing::info!(subject = %subject_hash, outcome = verdict.outcome(), "answer checked");
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
        who: SigningIn<'_>,
        answer: Option<&str>,
        now: SystemTime,
    ) -> Verdict {
        let rejected = |reason| Verdict::Rejected {
            reason,
            challenge_id: None,
        };
        let Some(user) = user else {
            return rejected(RejectionReason::WrongUser);
        };
        // An unknown user takes the same path as a known one, so that the
        // work done tells nothing of who has an account: as the empty sub,
        // which no account has (and [`Self::check`] accepts nothing of it).
        let sub = who.sub.unwrap_or("");
        let Some(answer) = answer else {
            return rejected(RejectionReason::Malformed);
        };
        // The account binding is checked against the fingerprint of the
        // user's address: a link's token carries it (the mailer signed it), so
        // a link needs no key; a code needs the fingerprint and code keys, an
        // approval the fingerprint key, derived through KMS at a cold start.
        let (challenge_id, proof, address_hash) = match form::parse(answer, self.code_digits) {
            Err(error) => {
                tracing::info!(%error, "answer unreadable");
                return rejected(RejectionReason::Malformed);
            }
            Ok(AnswerForm::Link(token)) => {
                let claims = match self.tokens.verify(token, user, who.audience, now) {
                    Ok(claims) => claims,
                    Err(error) => return rejected(token_rejection(&error)),
                };
                let address_hash = match claims.ah {
                    Some(hash) => hash,
                    None => match self.fingerprints.get().await {
                        Ok(fingerprints) => user.fingerprint(fingerprints),
                        Err(e) => return unavailable("fingerprint key", &e),
                    },
                };
                (claims.jti, Proof::Link, address_hash)
            }
            Ok(AnswerForm::Code { challenge_id, code }) => {
                // A process derives both keys at its first code.
                let codes = match self.codes.get().await {
                    Ok(codes) => codes,
                    Err(e) => return unavailable("code key", &e),
                };
                let fingerprints = match self.fingerprints.get().await {
                    Ok(fingerprints) => fingerprints,
                    Err(e) => return unavailable("fingerprint key", &e),
                };
                let subject = user.fingerprint(fingerprints);
                // Whose challenge, and whether any code may still sign in,
                // is settled before the code is compared: another user's
                // challenge tells nothing of its code, in answer or in time.
                if let Err(refused) = self
                    .store
                    .open_for_code(challenge_id, user, &subject, now)
                    .await
                {
                    return self.verdict(challenge_id, Err(refused));
                }
                if !codes.matches(challenge_id, self.code_digits, &code) {
                    return self.wrong_code(challenge_id, user, &subject, now).await;
                }
                (challenge_id, Proof::Code, subject)
            }
            Ok(AnswerForm::Passkey(assertion)) => {
                return self.passkey(sub, &assertion, who.passkey_round, now).await;
            }
            Ok(AnswerForm::Approval {
                challenge_id,
                verifier,
            }) => {
                let fingerprints = match self.fingerprints.get().await {
                    Ok(fingerprints) => fingerprints,
                    Err(e) => return unavailable("fingerprint key", &e),
                };
                let (binding, subject) = (verifier.binding(), user.fingerprint(fingerprints));
                // An approval counts only with the approval endpoint's proof:
                // an item marked approved by any other writer of the table
                // signs nobody in.
                let approved = match self
                    .store
                    .open_for_approval(challenge_id, user, binding, now)
                    .await
                {
                    Ok(approved) => approved,
                    Err(refused) => return self.verdict(challenge_id, Err(refused)),
                };
                let statement = Statement {
                    challenge: challenge_id,
                    binding: &binding,
                    subject: &subject,
                    expires_at: approved.expires_at,
                };
                if !approved
                    .proof
                    .is_some_and(|proof| self.approvals.proves(&statement, &proof))
                {
                    tracing::warn!(challenge = %challenge_id, "approval without a valid proof");
                    return self.verdict(challenge_id, Ok(RejectionReason::UnprovenApproval));
                }
                (challenge_id, Proof::Approval(binding), subject)
            }
        };
        let account = AccountRef {
            sub: sub.to_owned(),
            address_hash,
        };
        match self
            .store
            .consume(challenge_id, user, &account, proof, now)
            .await
        {
            Ok(()) => Verdict::Accepted {
                challenge_id,
                method: proof.method(),
            },
            Err(refused) => self.verdict(challenge_id, Err(refused)),
        }
    }

    /// Checks a passkey's assertion for the user `sub` and records the
    /// sign-in. It answers this round's challenge, or a usernameless one that
    /// is still open (which the sign-in then uses up).
    async fn passkey(
        &self,
        sub: &str,
        assertion: &Assertion,
        round: Option<PasskeyRound<'_>>,
        now: SystemTime,
    ) -> Verdict {
        let rejected = |reason| Verdict::Rejected {
            reason,
            challenge_id: None,
        };
        let Some(passkeys) = &self.passkeys else {
            tracing::info!("passkey answer while passkeys are off");
            return rejected(RejectionReason::Malformed);
        };
        if assertion
            .user_handle()
            .is_some_and(|handle| handle != sub.as_bytes())
        {
            return rejected(RejectionReason::WrongUser);
        }
        let (state, usernameless) = match round {
            Some(round) if constant_time_eq(round.challenge, assertion.challenge()) => {
                (round.state.to_owned(), None)
            }
            _ => match passkeys.store.challenge(assertion.challenge(), now).await {
                Ok(Some(state)) => (state, Some(assertion.challenge())),
                Ok(None) => return rejected(RejectionReason::WrongChallenge),
                Err(error) => {
                    tracing::error!(%error, "passkey challenge unreadable");
                    return Verdict::Unavailable;
                }
            },
        };
        let held = match passkeys.store.list(sub).await {
            Ok(held) => held,
            Err(error) => {
                tracing::error!(%error, "passkeys unreadable");
                return Verdict::Unavailable;
            }
        };
        let credential_id = credential_key(assertion.credential_id());
        let Some(passkey) = held.iter().find(|p| p.credential_id == credential_id) else {
            return rejected(RejectionReason::UnknownPasskey);
        };
        let asserted =
            match passkeys
                .rp
                .check(assertion, &state, &passkey.credential, passkey.sign_count)
            {
                Ok(asserted) => asserted,
                Err(refusal) => {
                    tracing::info!(%refusal, passkey = %passkey.id, "passkey refused");
                    return rejected(passkey_rejection(&refusal));
                }
            };
        let sign_in = SignIn {
            sub,
            passkey: passkey.id,
            counter: asserted.counter,
            id: Ulid::from_datetime(now),
            challenge: usernameless,
        };
        match passkeys.store.record_sign_in(sign_in, now).await {
            Ok(()) => Verdict::Accepted {
                challenge_id: sign_in.id,
                method: SignInMethod::Passkey,
            },
            Err(SignInError::CounterRegressed) => rejected(RejectionReason::CounterRegressed),
            Err(SignInError::Gone) => rejected(RejectionReason::UnknownPasskey),
            Err(SignInError::ChallengeUsed) => rejected(RejectionReason::Used),
            Err(SignInError::Store(error)) => {
                tracing::error!(%error, "passkey sign-in not recorded");
                Verdict::Unavailable
            }
        }
    }

    /// Counts a wrong code on its challenge (if the challenge is the user's
    /// and still usable) and on the user's budget (`subject` is the user's
    /// fingerprint), then refuses it.
    async fn wrong_code(
        &self,
        challenge_id: Ulid,
        user: &EmailAddress,
        subject: &str,
        now: SystemTime,
    ) -> Verdict {
        let counted = self
            .store
            .count_wrong_code(challenge_id, user, subject, now)
            .await;
        self.verdict(
            challenge_id,
            counted.map(|counted| match counted {
                WrongCode::Counted { .. } => RejectionReason::WrongCode,
                WrongCode::Spent => RejectionReason::TooManyAttempts,
            }),
        )
    }

    /// The refusal of `challenge_id` by a store call that answered with a
    /// reason, or failed.
    fn verdict(
        &self,
        challenge_id: Ulid,
        result: Result<RejectionReason, ConsumeError>,
    ) -> Verdict {
        let reason = match result {
            Ok(reason) => reason,
            Err(error) => match consume_rejection(&error) {
                Some(reason) => reason,
                None => {
                    tracing::error!(error = %error, challenge = %challenge_id, "the challenge could not be used");
                    return Verdict::Unavailable;
                }
            },
        };
        Verdict::Rejected {
            reason,
            challenge_id: Some(challenge_id),
        }
    }
}

/// Whether two public challenges are equal, compared in constant time all
/// the same (the habit of every comparison on the sign-in path).
fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
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
        let cases = [
            (ConsumeError::Used, Used),
            (ConsumeError::Revoked, Revoked),
            (ConsumeError::NotFound, Revoked),
            (ConsumeError::Expired, Expired),
            (ConsumeError::WrongUser, WrongUser),
            (ConsumeError::AddressChanged, AddressChanged),
            (ConsumeError::TooManyAttempts, TooManyAttempts),
            (ConsumeError::ApprovedElsewhere, ApprovedElsewhere),
            (ConsumeError::NotApproved, NotApproved),
            (ConsumeError::WrongVerifier, WrongVerifier),
        ];
        for (error, reason) in cases {
            assert_eq!(consume_rejection(&error), Some(reason), "{error:?}");
        }
        let outage = ConsumeError::Store(CallError::unexpected("DynamoDB", "down"));
        assert_eq!(consume_rejection(&outage), None);
    }

    #[test]
    fn passkey_refusals_map_to_the_contract_reasons() {
        use RejectionReason::*;
        let cases = [
            (Refusal::WrongChallenge, WrongChallenge),
            (Refusal::WrongOrigin, WrongOrigin),
            (Refusal::WrongRpId, WrongRpId),
            (Refusal::UserNotVerified, UserNotVerified),
            (Refusal::BadSignature, BadSignature),
            (Refusal::CounterRegressed, CounterRegressed),
            (Refusal::UnsupportedKey, Malformed),
            (Refusal::Malformed("x".into()), Malformed),
        ];
        for (refusal, reason) in cases {
            assert_eq!(passkey_rejection(&refusal), reason, "{refusal:?}");
        }
    }
}
