//! Helpers shared by the integration tests.
//!
//! Every test that needs AWS calls [`aws`] first. Without a running emulator it
//! fails at once with a message that says how to start one: these tests never
//! skip silently. Tests of the deployed stack read it through [`Stack`].

mod emulator;
mod events;
mod fault_proxy;
mod functions;
mod inbox;
mod logs;
mod sign_in;
mod stack;
mod world;

pub use emulator::*;
pub use events::{
    EventTap, SES_TEST_SOURCE, SesMail, dead_letters_of, mail_subject, put_ses_report,
    requested_message,
};
pub use fault_proxy::FaultProxy;
pub use functions::{FunctionEnvironment, PausedDeliveries, kill_function_processes};
pub use inbox::{Mail, captured_mail, mail_to};
pub use logs::log_lines;
pub use sign_in::{Answer, LinkIssuer, PoolClient, attribute, jwt_claims};
pub use stack::{Stack, beside_name, delete_stack, deploy_beside, magiclink_command, output_text};
pub use world::{Reply, World, new_address};
