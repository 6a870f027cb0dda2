//! PreSignUp, for pools that also allow self sign-up: the address is proven by
//! the link itself, so the account is confirmed and the address verified at
//! once, and no admin call to update attributes is needed later.

/// `(auto_confirm_user, auto_verify_email)` for a sign-up through `SignUp`
/// or an external provider. Accounts made by `AdminCreateUser` (the mailer's)
/// are left as the call made them: it sets `email_verified` itself.
pub fn confirm(trigger_source: &str, has_email: bool) -> Option<(bool, bool)> {
    match trigger_source {
        "PreSignUp_SignUp" | "PreSignUp_ExternalProvider" => Some((true, has_email)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_sign_up_is_confirmed_and_verified() {
        assert_eq!(confirm("PreSignUp_SignUp", true), Some((true, true)));
        assert_eq!(
            confirm("PreSignUp_ExternalProvider", false),
            Some((true, false))
        );
        assert_eq!(confirm("PreSignUp_AdminCreateUser", true), None);
    }
}
