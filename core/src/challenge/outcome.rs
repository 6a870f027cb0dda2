//! What became of a challenge: what SES reported of its mail, or why the
//! mailer did not send it, and how it was answered. Facts of the domain,
//! kept on the challenge item and told by the events (see
//! [`crate::events`]), which depend on them, never the reverse.

use serde::{Deserialize, Serialize};

/// What became of a challenge's mail after SES took it, as SES reported it
/// (see the feedback service), or why the mailer did not send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The recipient's mail server accepted it.
    Delivered,
    /// The recipient's mail server refused it (or SES gave up on a soft
    /// bounce).
    Bounced,
    /// SES refused it after accepting it (a virus, say).
    Rejected,
    /// The recipient marked it as spam.
    Complained,
    /// Not sent: the address bounced or complained recently.
    Suppressed,
    /// Not sent, for a reason that depends on the address's account or its
    /// history (no account in sign-up mode `existing`, the hour's new
    /// accounts spent, an address changed outside magiclink, a held request
    /// of an address that has not signed in lately). The asking browser is
    /// told `sent`, as for any mailed challenge: that is the only answer that
    /// tells it nothing about who has an account.
    Withheld,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Bounced => "bounced",
            Self::Rejected => "rejected",
            Self::Complained => "complained",
            Self::Suppressed => "suppressed",
            Self::Withheld => "withheld",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Delivered,
            Self::Bounced,
            Self::Rejected,
            Self::Complained,
            Self::Suppressed,
            Self::Withheld,
        ]
        .into_iter()
        .find(|d| d.as_str() == raw)
    }

    /// The reports a later report of this kind replaces: SES may report a
    /// delivery, then a bounce from further down the line, then a complaint;
    /// never the other way round, so a late or repeated report never undoes
    /// a worse one.
    pub fn replaces(self) -> &'static [Delivery] {
        match self {
            Self::Delivered | Self::Suppressed | Self::Withheld => &[],
            Self::Bounced | Self::Rejected => &[Self::Delivered],
            Self::Complained => &[Self::Delivered, Self::Bounced, Self::Rejected],
        }
    }
}

/// How SES classified a bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceType {
    /// A hard bounce: the address does not take mail; it is suppressed.
    Permanent,
    /// SES gave up after retrying (a full mailbox, say).
    Transient,
    Undetermined,
}

impl BounceType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permanent => "permanent",
            Self::Transient => "transient",
            Self::Undetermined => "undetermined",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Permanent, Self::Transient, Self::Undetermined]
            .into_iter()
            .find(|t| t.as_str() == raw)
    }
}

/// Why no mail was sent for a challenge, by design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// Sign-up mode `existing`, and the address has no account.
    UnknownUser,
    /// The account's address is not the one magiclink verified for it: it
    /// was changed outside magiclink (see `magiclink::account`).
    AddressChanged,
    /// Sign-up mode `open`, and the hour's allowance of new accounts is spent.
    SignUpCapReached,
    /// A mail to the address bounced for good recently.
    Bounced,
    /// The address's owner marked a mail as spam recently.
    Complained,
    /// Asked for while the mailbox's allowance was spent (a flood of `+tag`
    /// spellings, say), and the address has not signed in lately.
    MailboxLimit,
}

impl SuppressionReason {
    /// The reason as the events spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownUser => "unknown_user",
            Self::AddressChanged => "address_changed",
            Self::SignUpCapReached => "sign_up_cap_reached",
            Self::Bounced => "bounced",
            Self::Complained => "complained",
            Self::MailboxLimit => "mailbox_limit",
        }
    }

    /// Whether the reason depends on the address's account or its history,
    /// which the asking browser must not learn: its challenge is then told
    /// as mailed (see [`Delivery::Withheld`]).
    pub fn tells_of_the_account(self) -> bool {
        match self {
            Self::UnknownUser
            | Self::AddressChanged
            | Self::SignUpCapReached
            | Self::MailboxLimit => true,
            Self::Bounced | Self::Complained => false,
        }
    }
}

/// How a challenge was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// The link's token.
    Link,
    /// The one-time code from the same mail.
    Code,
    /// The asking browser's verifier, after the link's holder approved it.
    Approval,
    /// A passkey's assertion.
    Passkey,
}

impl SignInMethod {
    /// The method as the events and the table spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Code => "code",
            Self::Approval => "approval",
            Self::Passkey => "passkey",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "link" => Some(Self::Link),
            "code" => Some(Self::Code),
            "approval" => Some(Self::Approval),
            "passkey" => Some(Self::Passkey),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn a_suppression_reason_is_spelt_as_its_events_spell_it() {
        use SuppressionReason::*;
        for reason in [
            UnknownUser,
            AddressChanged,
            SignUpCapReached,
            Bounced,
            Complained,
            MailboxLimit,
        ] {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
    }
}
