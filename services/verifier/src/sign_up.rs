//! PreSignUp: who may get an account other than through the mailer.
//!
//! Accounts are made by the mailer (`AdminCreateUser`, sign-up mode `open`),
//! which sets `email_verified` itself because the link proves the address.
//! Self sign-up (`SignUp`) is refused outright, even if the pool is ever
//! switched to allow it: an account made that way would carry an address
//! nobody has proven. No sign-up is confirmed or verified here: a trigger
//! that auto-verified addresses would let anyone claim one.

/// Why a sign-up is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignUpRefused {
    #[error("self sign-up is not allowed: ask for a sign-in link instead")]
    SelfSignUp,
}

/// Whether a sign-up through `trigger_source` may go ahead, untouched.
pub fn admit(trigger_source: &str) -> Result<(), SignUpRefused> {
    match trigger_source {
        "PreSignUp_SignUp" => Err(SignUpRefused::SelfSignUp),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_sign_up_is_refused_and_the_rest_pass_untouched() {
        assert_eq!(admit("PreSignUp_SignUp"), Err(SignUpRefused::SelfSignUp));
        assert_eq!(admit("PreSignUp_AdminCreateUser"), Ok(()));
        assert_eq!(admit("PreSignUp_ExternalProvider"), Ok(()));
    }
}
