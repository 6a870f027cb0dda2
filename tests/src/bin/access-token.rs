//! Prints the access token of a new user of the deployed stack, signed in
//! by a link as a browser would be: for tools that test the signed-in
//! endpoints from outside (schemathesis in `make soak`).

#![allow(
    clippy::print_stdout,
    reason = "the token on standard output is what this program is for"
)]

use magiclink::EmailAddress;
use magiclink_tests::{LinkIssuer, PoolClient, Stack, aws, unique};

#[tokio::main]
async fn main() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let pool = PoolClient::new(&config, &stack);
    let email =
        EmailAddress::parse(&format!("{}@example.com", unique("fuzzed"))).expect("a valid address");
    pool.create_user(&email).await;
    let (_, token) = LinkIssuer::new(&config, &stack).link(&email).await;
    let tokens = pool.sign_in(email.as_str(), &token).await.tokens();
    println!(
        "{}",
        tokens
            .access_token()
            .expect("a sign-in gives an access token")
    );
}
