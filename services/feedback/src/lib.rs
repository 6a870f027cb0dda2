//! The feedback function: what SES reports of each sign-in mail, after it
//! took it.
//!
//! The mailer sends through a configuration set whose event destination is
//! the account's default EventBridge bus; a rule there sends SES's delivery,
//! bounce, complaint and reject events of that set here. Each one:
//! - [`ses`]: read from SES's event (pure): which challenge (the mail's
//!   `challenge` tag), which mail (its message id), which address, what
//!   happened;
//! - [`feedback`]: a hard bounce or a complaint suppresses the address for a
//!   while (see [`magiclink::suppression`]); the report is recorded on its
//!   challenge, whose change the relay publishes as `MagicLinkDelivered`,
//!   `MagicLinkBounced`, `MagicLinkComplained` or `MagicLinkDeliveryFailed`;
//!   a report whose challenge is gone is published from here;
//! - [`config`]: the environment, read once.

pub mod config;
pub mod feedback;
pub mod ses;
