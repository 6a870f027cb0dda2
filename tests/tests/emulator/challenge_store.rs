//! The challenge store against the emulator's DynamoDB: one-time use under
//! concurrency, the revocation rule, and idempotent bookkeeping.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use magiclink::account::{AccountRef, AccountStore, Binding};
use magiclink::approval::{ApprovalKeys, ApprovalSigner, Statement};
use magiclink::binding::{DeviceBinding, Verifier};
use magiclink::challenge::{
    Approval, ApprovalError, MAX_WRONG_CODES, MarkMailed, Proof, WrongCode,
};
use magiclink::fingerprint::Fingerprints;
use magiclink::{Challenge, ChallengeStatus, ChallengeStore, ConsumeError, EmailAddress};
use magiclink_tests::{
    FaultProxy, authority_of, aws, emulator_endpoint, fresh_signing_key, fresh_table,
};

const LIFETIME: Duration = Duration::from_secs(900);

/// The challenge store, and the account bindings a consume checks.
struct Store {
    challenges: ChallengeStore,
    accounts: AccountStore,
    table: String,
    approvals: ApprovalSigner,
}

impl std::ops::Deref for Store {
    type Target = ChallengeStore;

    fn deref(&self) -> &ChallengeStore {
        &self.challenges
    }
}

/// The Cognito user of `user` in these tests: `sub-<address>`.
fn account(user: &EmailAddress) -> AccountRef {
    AccountRef {
        sub: format!("sub-{}", user.as_str()),
        address_hash: user.fingerprint(&Fingerprints::from_key(b"test")),
    }
}

impl Store {
    /// Approves as the approval endpoint does, with a key of the test's own.
    async fn approve(
        &self,
        id: ulid::Ulid,
        user: &EmailAddress,
        number: u8,
        now: SystemTime,
    ) -> Result<Approval, ApprovalError> {
        self.challenges
            .approve(id, user, &subject(user), number, &self.approvals, now)
            .await
    }

    /// Consumes as the verifier does for `user`, whose account is bound to
    /// its address as the mailer binds it.
    async fn consume(
        &self,
        id: ulid::Ulid,
        user: &EmailAddress,
        now: SystemTime,
    ) -> Result<(), ConsumeError> {
        let account = account(user);
        assert_eq!(
            self.accounts.bind(&account, now).await.unwrap(),
            Binding::Matches
        );
        self.challenges
            .consume(id, user, &account, Proof::Link, now)
            .await
    }
}

async fn store() -> Store {
    store_with(ChallengeStore::CODE_GUESSES).await
}

/// [`store`], with `budget` as the budget of a user's wrong codes.
async fn store_with(budget: magiclink::rate_limit::Limit) -> Store {
    let config = aws().await;
    let table = fresh_table(&config).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    Store {
        challenges: ChallengeStore::new(ddb.clone(), &table).with_code_guesses(budget),
        accounts: AccountStore::new(ddb, &table),
        table,
        approvals: ApprovalSigner::new(
            aws_sdk_kms::Client::new(&config),
            fresh_signing_key(&config).await,
        ),
    }
}

fn email(raw: &str) -> EmailAddress {
    EmailAddress::parse(raw).unwrap()
}

async fn new_challenge(store: &Store, user: &EmailAddress, at: SystemTime) -> Challenge {
    let challenge = Challenge::new(
        user.clone(),
        "https://app.example/signed-in".into(),
        at,
        LIFETIME,
    );
    store.create(&challenge).await.unwrap();
    challenge
}

#[tokio::test]
async fn create_then_get_round_trips() {
    let store = store().await;
    let c = new_challenge(&store, &email("ann@example.com"), SystemTime::now()).await;
    assert_eq!(store.get(c.id).await.unwrap(), Some(c.clone()));
    assert_eq!(store.get(ulid::Ulid::generate()).await.unwrap(), None);
    assert!(
        store.create(&c).await.is_err(),
        "an id is never overwritten"
    );
}

#[tokio::test]
async fn sixteen_concurrent_consumes_give_exactly_one_success() {
    let store = Arc::new(store().await);
    let user = email("ann@example.com");
    let c = new_challenge(&store, &user, SystemTime::now()).await;
    let attempts: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            let user = user.clone();
            tokio::spawn(async move { store.consume(c.id, &user, SystemTime::now()).await })
        })
        .collect();
    let mut successes = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => successes += 1,
            Err(ConsumeError::Used) => {}
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    assert_eq!(successes, 1);
    assert_eq!(
        store.get(c.id).await.unwrap().unwrap().status,
        ChallengeStatus::Consumed
    );
}

#[tokio::test]
async fn a_used_link_is_refused_as_used() {
    let store = store().await;
    let user = email("ann@example.com");
    let c = new_challenge(&store, &user, SystemTime::now()).await;
    store.consume(c.id, &user, SystemTime::now()).await.unwrap();
    assert!(matches!(
        store.consume(c.id, &user, SystemTime::now()).await,
        Err(ConsumeError::Used)
    ));
}

#[tokio::test]
async fn using_the_newer_link_revokes_the_older() {
    let store = store().await;
    let user = email("ann@example.com");
    let now = SystemTime::now();
    let older = new_challenge(&store, &user, now - Duration::from_secs(60)).await;
    let newer = new_challenge(&store, &user, now).await;
    store.consume(newer.id, &user, now).await.unwrap();
    assert!(matches!(
        store.consume(older.id, &user, now).await,
        Err(ConsumeError::Revoked)
    ));
}

#[tokio::test]
async fn using_the_older_link_revokes_the_newer_too() {
    let store = store().await;
    let user = email("ann@example.com");
    let now = SystemTime::now();
    let older = new_challenge(&store, &user, now - Duration::from_secs(60)).await;
    let newer = new_challenge(&store, &user, now - Duration::from_secs(30)).await;
    store.consume(older.id, &user, now).await.unwrap();
    assert!(matches!(
        store.consume(newer.id, &user, now).await,
        Err(ConsumeError::Revoked)
    ));
    assert!(matches!(
        store.consume(older.id, &user, now).await,
        Err(ConsumeError::Used)
    ));
    assert!(store.is_revoked(&newer).await.unwrap());
}

#[tokio::test]
async fn a_link_asked_for_after_a_sign_in_works() {
    let store = store().await;
    let user = email("ann@example.com");
    let now = SystemTime::now();
    let first = new_challenge(&store, &user, now - Duration::from_secs(60)).await;
    store
        .consume(first.id, &user, now - Duration::from_secs(30))
        .await
        .unwrap();
    let later = new_challenge(&store, &user, now).await;
    assert!(!store.is_revoked(&later).await.unwrap());
    store.consume(later.id, &user, now).await.unwrap();
}

#[tokio::test]
async fn a_second_request_does_not_invalidate_the_first() {
    let store = store().await;
    let user = email("ann@example.com");
    let now = SystemTime::now();
    let first = new_challenge(&store, &user, now - Duration::from_secs(60)).await;
    new_challenge(&store, &user, now).await;
    store.consume(first.id, &user, now).await.unwrap();
}

#[tokio::test]
async fn links_of_other_users_are_independent() {
    let store = store().await;
    let (ann, bob) = (email("ann@example.com"), email("bob@example.com"));
    let now = SystemTime::now();
    let ann_link = new_challenge(&store, &ann, now - Duration::from_secs(60)).await;
    let bob_link = new_challenge(&store, &bob, now).await;
    store.consume(bob_link.id, &bob, now).await.unwrap();
    store.consume(ann_link.id, &ann, now).await.unwrap();
}

#[tokio::test]
async fn an_expired_link_is_refused_as_expired() {
    let store = store().await;
    let user = email("ann@example.com");
    let created = SystemTime::now();
    let c = new_challenge(&store, &user, created).await;
    assert!(matches!(
        store.consume(c.id, &user, created + LIFETIME).await,
        Err(ConsumeError::Expired)
    ));
    store
        .consume(c.id, &user, created + LIFETIME - Duration::from_secs(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn another_users_challenge_is_refused_and_left_usable() {
    let store = store().await;
    let (ann, bob) = (email("ann@example.com"), email("bob@example.com"));
    let c = new_challenge(&store, &ann, SystemTime::now()).await;
    assert!(matches!(
        store.consume(c.id, &bob, SystemTime::now()).await,
        Err(ConsumeError::WrongUser)
    ));
    store.consume(c.id, &ann, SystemTime::now()).await.unwrap();
}

#[tokio::test]
async fn an_unknown_challenge_is_refused_as_not_found() {
    let store = store().await;
    assert!(matches!(
        store
            .consume(
                ulid::Ulid::generate(),
                &email("ann@example.com"),
                SystemTime::now()
            )
            .await,
        Err(ConsumeError::NotFound)
    ));
}

#[tokio::test]
async fn marking_mailed_is_idempotent() {
    let store = store().await;
    let user = email("ann@example.com");
    let c = new_challenge(&store, &user, SystemTime::now()).await;
    assert_eq!(
        store
            .mark_mailed(c.id, "ses-1", SystemTime::now())
            .await
            .unwrap(),
        MarkMailed::Marked
    );
    assert_eq!(
        store
            .mark_mailed(c.id, "ses-2", SystemTime::now())
            .await
            .unwrap(),
        MarkMailed::Unchanged(Some(ChallengeStatus::Mailed))
    );
    let stored = store.get(c.id).await.unwrap().unwrap();
    assert_eq!(stored.status, ChallengeStatus::Mailed);
    assert_eq!(stored.ses_message_id.as_deref(), Some("ses-1"));
    store.consume(c.id, &user, SystemTime::now()).await.unwrap();
    assert_eq!(
        store
            .mark_mailed(c.id, "ses-3", SystemTime::now())
            .await
            .unwrap(),
        MarkMailed::Unchanged(Some(ChallengeStatus::Consumed))
    );
    assert_eq!(
        store
            .mark_mailed(ulid::Ulid::generate(), "ses-4", SystemTime::now())
            .await
            .unwrap(),
        MarkMailed::Unchanged(None)
    );
}

#[tokio::test]
async fn one_mailing_lease_at_a_time_until_it_ends_or_the_mail_is_recorded() {
    use magiclink::challenge::MailingClaim;
    let store = store().await;
    let c = new_challenge(&store, &email("ann@example.com"), SystemTime::now()).await;
    let now = SystemTime::now();
    let lease = Duration::from_secs(60);
    assert_eq!(
        store.claim_for_mailing(c.id, now, lease).await.unwrap(),
        MailingClaim::Claimed
    );
    assert_eq!(
        store.claim_for_mailing(c.id, now, lease).await.unwrap(),
        MailingClaim::Busy
    );
    assert_eq!(
        store
            .claim_for_mailing(c.id, now + lease, lease)
            .await
            .unwrap(),
        MailingClaim::Claimed,
        "an abandoned lease can be taken again"
    );
    store.mark_mailed(c.id, "ses-1", now).await.unwrap();
    assert_eq!(
        store
            .claim_for_mailing(c.id, now + lease * 3, lease)
            .await
            .unwrap(),
        MailingClaim::Done(Some(ChallengeStatus::Mailed))
    );
    assert_eq!(
        store
            .claim_for_mailing(ulid::Ulid::generate(), now, lease)
            .await
            .unwrap(),
        MailingClaim::Done(None)
    );
}

#[tokio::test]
async fn a_released_mailing_lease_can_be_taken_at_once() {
    use magiclink::challenge::MailingClaim;
    let store = store().await;
    let c = new_challenge(&store, &email("ann@example.com"), SystemTime::now()).await;
    let (now, lease) = (SystemTime::now(), Duration::from_secs(60));
    assert_eq!(
        store.claim_for_mailing(c.id, now, lease).await.unwrap(),
        MailingClaim::Claimed
    );
    store.release_mailing(c.id).await.unwrap();
    assert_eq!(
        store.claim_for_mailing(c.id, now, lease).await.unwrap(),
        MailingClaim::Claimed
    );
}

#[tokio::test]
async fn an_account_whose_address_changed_behind_magiclink_is_refused() {
    let store = store().await;
    let ann = email("ann@example.com");
    let now = SystemTime::now();
    let c = new_challenge(&store, &ann, now).await;
    // Ann's account is bound to her address; then someone sets another.
    let bound = account(&ann);
    assert_eq!(
        store.accounts.bind(&bound, now).await.unwrap(),
        Binding::Matches
    );
    let changed = AccountRef {
        sub: bound.sub.clone(),
        address_hash: email("eve@example.com").fingerprint(&Fingerprints::from_key(b"test")),
    };
    assert_eq!(
        store.accounts.bind(&changed, now).await.unwrap(),
        Binding::Changed
    );
    assert!(matches!(
        store
            .challenges
            .consume(c.id, &ann, &changed, Proof::Link, now)
            .await,
        Err(ConsumeError::AddressChanged)
    ));
    // An account that was never bound cannot sign in either.
    let unbound = account(&email("nobody@example.com"));
    assert!(matches!(
        store
            .challenges
            .consume(c.id, &ann, &unbound, Proof::Link, now)
            .await,
        Err(ConsumeError::AddressChanged)
    ));
    // Nothing was spent: the link still works for the bound account.
    store
        .challenges
        .consume(c.id, &ann, &bound, Proof::Link, now)
        .await
        .unwrap();
}

/// The fingerprint a user's budget of wrong codes is kept under.
fn subject(user: &EmailAddress) -> String {
    account(user).address_hash
}

#[tokio::test]
async fn five_wrong_codes_end_a_challenges_code_but_not_its_link() {
    let store = store().await;
    let ann = email("ann@example.com");
    let now = SystemTime::now();
    let c = new_challenge(&store, &ann, now).await;
    let ann_subject = subject(&ann);
    let wrong = || store.count_wrong_code(c.id, &ann, &ann_subject, now);
    for left in (1..MAX_WRONG_CODES).rev() {
        assert_eq!(wrong().await.unwrap(), WrongCode::Counted { left });
    }
    assert_eq!(wrong().await.unwrap(), WrongCode::Spent);
    assert!(matches!(wrong().await, Err(ConsumeError::TooManyAttempts)));
    assert!(matches!(
        store.open_for_code(c.id, &ann, &subject(&ann), now).await,
        Err(ConsumeError::TooManyAttempts)
    ));
    let account = account(&ann);
    store.accounts.bind(&account, now).await.unwrap();
    assert!(matches!(
        store
            .challenges
            .consume(c.id, &ann, &account, Proof::Code, now)
            .await,
        Err(ConsumeError::TooManyAttempts)
    ));
    // The link, which only the mailbox holds, still signs in.
    store.consume(c.id, &ann, now).await.unwrap();
}

#[tokio::test]
async fn a_spent_budget_of_wrong_codes_refuses_every_code_of_the_user_until_its_window_passes() {
    let store = store_with(magiclink::rate_limit::Limit::new(
        3,
        Duration::from_secs(60),
    ))
    .await;
    let (ann, bob) = (email("ann@example.com"), email("bob@example.com"));
    let now = SystemTime::now();
    let (first, second) = (
        new_challenge(&store, &ann, now).await,
        new_challenge(&store, &ann, now).await,
    );
    let ann_subject = subject(&ann);
    let wrong = |id| store.count_wrong_code(id, &ann, &ann_subject, now);
    assert_eq!(
        wrong(first.id).await.unwrap(),
        WrongCode::Counted { left: 2 }
    );
    assert_eq!(
        wrong(second.id).await.unwrap(),
        WrongCode::Counted { left: 1 }
    );
    assert_eq!(wrong(first.id).await.unwrap(), WrongCode::Spent);
    for c in [&first, &second] {
        assert!(matches!(
            store.open_for_code(c.id, &ann, &subject(&ann), now).await,
            Err(ConsumeError::TooManyAttempts)
        ));
    }
    // The budget is checked in the consume itself too, so that a right code
    // racing the last wrong one cannot slip through.
    let account = account(&ann);
    store.accounts.bind(&account, now).await.unwrap();
    assert!(matches!(
        store
            .challenges
            .consume(second.id, &ann, &account, Proof::Code, now)
            .await,
        Err(ConsumeError::TooManyAttempts)
    ));
    // Another user's budget is their own.
    let bobs = new_challenge(&store, &bob, now).await;
    store
        .open_for_code(bobs.id, &bob, &subject(&bob), now)
        .await
        .unwrap();
    // The next window opens the codes again; the link never closed.
    let later = now + Duration::from_secs(60);
    store
        .open_for_code(second.id, &ann, &subject(&ann), later)
        .await
        .unwrap();
    store.consume(first.id, &ann, now).await.unwrap();
}

#[tokio::test]
async fn a_code_for_another_users_challenge_is_refused_before_it_is_compared() {
    let store = store().await;
    let (ann, bob) = (email("ann@example.com"), email("bob@example.com"));
    let now = SystemTime::now();
    let c = new_challenge(&store, &ann, now).await;
    for _ in 0..3 {
        assert!(matches!(
            store.open_for_code(c.id, &bob, &subject(&bob), now).await,
            Err(ConsumeError::WrongUser)
        ));
    }
    assert!(matches!(
        store
            .open_for_code(ulid::Ulid::generate(), &ann, &subject(&ann), now)
            .await,
        Err(ConsumeError::NotFound)
    ));
    store
        .open_for_code(c.id, &ann, &subject(&ann), now)
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_codes_count_only_on_the_users_own_usable_challenge() {
    let store = store().await;
    let (ann, bob) = (email("ann@example.com"), email("bob@example.com"));
    let now = SystemTime::now();
    let c = new_challenge(&store, &ann, now).await;
    // Bob cannot end Ann's code, however often he tries.
    for _ in 0..MAX_WRONG_CODES + 1 {
        assert!(matches!(
            store
                .count_wrong_code(c.id, &bob, &subject(&bob), now)
                .await,
            Err(ConsumeError::WrongUser)
        ));
    }
    assert!(matches!(
        store
            .count_wrong_code(ulid::Ulid::generate(), &ann, &subject(&ann), now)
            .await,
        Err(ConsumeError::NotFound)
    ));
    assert!(matches!(
        store
            .count_wrong_code(c.id, &ann, &subject(&ann), now + Duration::from_secs(3600))
            .await,
        Err(ConsumeError::Expired)
    ));
    // Ann's challenge took no wrong code: it signs in, with its code.
    let account = account(&ann);
    store.accounts.bind(&account, now).await.unwrap();
    store
        .challenges
        .consume(c.id, &ann, &account, Proof::Code, now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .count_wrong_code(c.id, &ann, &subject(&ann), now)
            .await,
        Err(ConsumeError::Used)
    ));
}

/// A challenge of `user` asked for with the binding of `verifier`.
async fn bound_challenge(
    store: &Store,
    user: &EmailAddress,
    verifier: &str,
) -> (Challenge, DeviceBinding) {
    let binding = Verifier::parse(verifier).unwrap().binding();
    let challenge = Challenge::new(user.clone(), String::new(), SystemTime::now(), LIFETIME)
        .with_binding(Some(binding));
    store.create(&challenge).await.unwrap();
    (challenge, binding)
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

#[tokio::test]
async fn of_eight_concurrent_approvals_one_approves_and_only_the_verifier_signs_in() {
    let store = Arc::new(store().await);
    let ann = email("ann@example.com");
    let (c, binding) = bound_challenge(&store, &ann, VERIFIER).await;
    assert_eq!(
        store.get(c.id).await.unwrap().unwrap().binding,
        Some(binding)
    );
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            let ann = ann.clone();
            let number = binding.number();
            tokio::spawn(async move { store.approve(c.id, &ann, number, SystemTime::now()).await })
        })
        .collect();
    let mut approved = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(Approval::Approved) => approved += 1,
            Err(ApprovalError::AlreadyApproved) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(approved, 1);
    assert_eq!(
        store.get(c.id).await.unwrap().unwrap().status,
        ChallengeStatus::Approved
    );

    let now = SystemTime::now();
    let account = account(&ann);
    store.accounts.bind(&account, now).await.unwrap();
    for proof in [Proof::Link, Proof::Code] {
        assert!(matches!(
            store
                .challenges
                .consume(c.id, &ann, &account, proof, now)
                .await,
            Err(ConsumeError::ApprovedElsewhere)
        ));
    }
    let other = Verifier::parse(&VERIFIER.replace('d', "e"))
        .unwrap()
        .binding();
    assert!(matches!(
        store
            .challenges
            .consume(c.id, &ann, &account, Proof::Approval(other), now)
            .await,
        Err(ConsumeError::WrongVerifier)
    ));
    let bob = email("bob@example.com");
    assert!(matches!(
        store
            .challenges
            .consume(c.id, &bob, &account, Proof::Approval(binding), now)
            .await,
        Err(ConsumeError::WrongUser)
    ));
    store
        .challenges
        .consume(c.id, &ann, &account, Proof::Approval(binding), now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .challenges
            .consume(c.id, &ann, &account, Proof::Approval(binding), now)
            .await,
        Err(ConsumeError::Used)
    ));
}

#[tokio::test]
async fn an_approval_needs_a_binding_an_unrevoked_challenge_and_the_right_user() {
    let store = store().await;
    let ann = email("ann@example.com");
    let now = SystemTime::now();
    let unbound = new_challenge(&store, &ann, now).await;
    assert!(matches!(
        store.approve(unbound.id, &ann, 1, now).await,
        Err(ApprovalError::NotApprovable)
    ));
    let (c, binding) = bound_challenge(&store, &ann, VERIFIER).await;
    assert!(matches!(
        store
            .approve(c.id, &email("bob@example.com"), binding.number(), now)
            .await,
        Err(ApprovalError::WrongUser)
    ));
    assert!(matches!(
        store
            .approve(ulid::Ulid::generate(), &ann, binding.number(), now)
            .await,
        Err(ApprovalError::NotFound)
    ));
    // An unapproved challenge does not sign in with its verifier.
    let account = account(&ann);
    store.accounts.bind(&account, now).await.unwrap();
    assert!(matches!(
        store
            .challenges
            .consume(c.id, &ann, &account, Proof::Approval(binding), now)
            .await,
        Err(ConsumeError::NotApproved)
    ));
    // A sign-in with a later link revokes it: it can no longer be approved.
    store
        .consume(unbound.id, &ann, SystemTime::now())
        .await
        .unwrap();
    assert!(matches!(
        store
            .approve(c.id, &ann, binding.number(), SystemTime::now())
            .await,
        Err(ApprovalError::Revoked)
    ));
    assert!(store.is_revoked(&c).await.unwrap());
}

#[tokio::test]
async fn a_consume_whose_answer_was_lost_after_it_committed_signs_in_and_a_replay_does_not() {
    let store = store().await;
    let ann = email("ann@example.com");
    let now = SystemTime::now();
    let c = new_challenge(&store, &ann, now).await;
    let account = account(&ann);
    store.accounts.bind(&account, now).await.unwrap();
    // A client whose DynamoDB answers pass through a proxy that loses one,
    // with no retry of its own: the consume commits, its caller hears a
    // broken connection.
    let endpoint = emulator_endpoint("losing a DynamoDB answer");
    let proxy = FaultProxy::start(authority_of(&endpoint)).await;
    let config = aws().await;
    // A new client each time, so that its first call opens the connection
    // whose answer the proxy loses.
    let lossy = || {
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&config)
                .endpoint_url(proxy.url())
                .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                .build(),
        );
        ChallengeStore::new(client, &store.table)
    };
    proxy.lose_next_answer();
    lossy()
        .consume(c.id, &ann, &account, Proof::Link, now)
        .await
        .expect("the consume committed, and the store finds that it was its own");
    assert_eq!(
        store.get(c.id).await.unwrap().unwrap().status,
        ChallengeStatus::Consumed
    );
    // The same answer again is a replay of a used link, whether its answer
    // comes back or is lost too.
    assert!(matches!(
        lossy()
            .consume(c.id, &ann, &account, Proof::Link, now)
            .await,
        Err(ConsumeError::Used)
    ));
    proxy.lose_next_answer();
    assert!(matches!(
        lossy()
            .consume(c.id, &ann, &account, Proof::Link, now)
            .await,
        Err(ConsumeError::Store(_))
    ));
}

#[tokio::test]
async fn an_approval_carries_a_proof_of_what_was_approved_that_its_key_alone_makes() {
    let store = store().await;
    let ann = email("ann@example.com");
    let (c, binding) = bound_challenge(&store, &ann, VERIFIER).await;
    let now = SystemTime::now();
    // Before the approval, the verifier's browser has nothing to sign in with.
    assert!(matches!(
        store.open_for_approval(c.id, &ann, binding, now).await,
        Err(ConsumeError::NotApproved)
    ));
    assert_eq!(
        store
            .approve(c.id, &ann, binding.number(), now)
            .await
            .unwrap(),
        Approval::Approved
    );
    let approved = store
        .open_for_approval(c.id, &ann, binding, now)
        .await
        .unwrap();
    assert_eq!(approved.expires_at, c.expires_at);
    let proof = approved.proof.expect("the approval carries its proof");
    // Its public half, as the keys resource reads it at deploy time.
    let kms = aws_sdk_kms::Client::new(&aws().await);
    let mut keys = magiclink::token::PublicKeys::default();
    let key = magiclink::token::fetch_public_key(&kms, &proof.key_id)
        .await
        .unwrap();
    keys.insert(proof.key_id.clone(), key).unwrap();
    let keys = ApprovalKeys::new(keys);
    let statement = Statement {
        challenge: c.id,
        binding: &binding,
        subject: &subject(&ann),
        expires_at: c.expires_at,
    };
    assert!(keys.proves(&statement, &proof));
    // The proof is of this user only.
    let bob = email("bob@example.com");
    assert!(!keys.proves(
        &Statement {
            subject: &subject(&bob),
            ..statement
        },
        &proof
    ));
    assert!(matches!(
        store.open_for_approval(c.id, &bob, binding, now).await,
        Err(ConsumeError::WrongUser)
    ));
}
