//! The rate limiter against the emulator's DynamoDB.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use magiclink::rate_limit::{Decision, Limit, RateLimiter};
use magiclink_tests::{aws, fresh_table, unique};

async fn limiter() -> RateLimiter {
    let config = aws().await;
    let table = fresh_table(&config).await;
    RateLimiter::new(aws_sdk_dynamodb::Client::new(&config), table)
}

#[tokio::test]
async fn the_request_after_the_limit_is_refused_until_the_next_window() {
    let limiter = limiter().await;
    let limit = Limit::new(3, Duration::from_secs(900));
    let key = unique("key");
    // The start of a window, so that all of the first four calls fall in it.
    let (index, _) = limit.window_at(SystemTime::now());
    let start = magiclink::time::from_unix_seconds(index * 900);
    for i in 0..3 {
        let at = start + Duration::from_secs(i);
        assert_eq!(
            limiter.admit("email", &key, limit, at).await.unwrap(),
            Decision::Admitted,
            "call {i}"
        );
    }
    let refused = limiter
        .admit("email", &key, limit, start + Duration::from_secs(100))
        .await
        .unwrap();
    assert_eq!(
        refused,
        Decision::Limited {
            retry_after: Duration::from_secs(800)
        }
    );
    assert_eq!(
        limiter
            .admit("email", &key, limit, start + Duration::from_secs(900))
            .await
            .unwrap(),
        Decision::Admitted,
        "a new window admits again"
    );
}

#[tokio::test]
async fn a_retried_admission_is_not_refused_by_its_own_count() {
    // The SDK retries an attempt that timed out after DynamoDB had counted
    // it: the retry carries the same admission and must not be refused.
    let limiter = limiter().await;
    let limit = Limit::new(1, Duration::from_secs(900));
    let key = unique("key");
    let now = SystemTime::now();
    let admission = ulid::Ulid::generate();
    for attempt in ["first attempt", "retry"] {
        assert_eq!(
            limiter
                .admit_once(admission, "email-burst", &key, limit, now)
                .await
                .unwrap(),
            Decision::Admitted,
            "{attempt}"
        );
    }
    assert!(
        matches!(
            limiter
                .admit_once(ulid::Ulid::generate(), "email-burst", &key, limit, now)
                .await
                .unwrap(),
            Decision::Limited { .. }
        ),
        "another admission is refused"
    );
}

#[tokio::test]
async fn keys_and_scopes_are_counted_apart() {
    let limiter = limiter().await;
    let limit = Limit::new(1, Duration::from_secs(900));
    let now = SystemTime::now();
    let (a, b) = (unique("a"), unique("b"));
    assert_eq!(
        limiter.admit("email", &a, limit, now).await.unwrap(),
        Decision::Admitted
    );
    assert_eq!(
        limiter.admit("email", &b, limit, now).await.unwrap(),
        Decision::Admitted
    );
    assert_eq!(
        limiter.admit("ip", &a, limit, now).await.unwrap(),
        Decision::Admitted
    );
    assert!(matches!(
        limiter.admit("email", &a, limit, now).await.unwrap(),
        Decision::Limited { .. }
    ));
}

#[tokio::test]
async fn concurrent_requests_never_overshoot() {
    let limiter = Arc::new(limiter().await);
    let limit = Limit::new(5, Duration::from_secs(900));
    let key = unique("burst");
    let now = SystemTime::now();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let limiter = Arc::clone(&limiter);
            let key = key.clone();
            tokio::spawn(async move { limiter.admit("ip", &key, limit, now).await.unwrap() })
        })
        .collect();
    let mut admitted = 0;
    for call in calls {
        if call.await.unwrap() == Decision::Admitted {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5);
}
