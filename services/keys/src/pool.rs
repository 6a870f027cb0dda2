//! An existing user pool's triggers (template parameter `UserPoolId`): on
//! create, the verifier becomes the pool's three custom-auth triggers; on
//! delete, those three are emptied again; every other trigger and setting
//! of the pool stays as it was.
//!
//! Cognito's `UpdateUserPool` resets every setting it is not given, so the
//! pool is read whole (`DescribeUserPool`) and written back whole with only
//! its `LambdaConfig` changed ([`write_back`]). A trigger that another
//! function holds is not taken: the deploy fails, naming it. Since a slot
//! is only ever taken when it was empty (or already the verifier's), a
//! delete that empties the verifier's slots puts back exactly what was
//! there.
//!
//! magiclink signs users in by address, so the pool must take one where it
//! takes a username: `email` as the username (`UsernameAttributes`) or as an
//! alias (`AliasAttributes`); a pool with neither is refused, saying so.
//! Which of the two it is goes back to the stack (`UsernameIsEmail`), for
//! the mailer's new accounts.

use aws_sdk_cognitoidentityprovider::operation::update_user_pool::builders::UpdateUserPoolFluentBuilder;
use aws_sdk_cognitoidentityprovider::types::{
    AliasAttributeType, LambdaConfigType, UserPoolType, UsernameAttributeType,
};
use aws_smithy_types::error::display::DisplayErrorContext;

/// The pool and the function that is to answer its custom-auth triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolTriggers {
    pub user_pool_id: String,
    pub function_arn: String,
}

/// The triggers magiclink needs, by their `LambdaConfig` names.
pub const TRIGGERS: [&str; 3] = [
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
];

/// The three custom-auth slots of `config`, in the order of [`TRIGGERS`].
fn slots(config: &mut LambdaConfigType) -> [&mut Option<String>; 3] {
    [
        &mut config.define_auth_challenge,
        &mut config.create_auth_challenge,
        &mut config.verify_auth_challenge_response,
    ]
}

/// `current` with `function` in each custom-auth slot; refused, naming
/// the trigger and its function, when a slot holds another function.
pub fn attached(
    current: Option<&LambdaConfigType>,
    function: &str,
) -> Result<LambdaConfigType, String> {
    let mut config = current
        .cloned()
        .unwrap_or_else(|| LambdaConfigType::builder().build());
    for (name, slot) in TRIGGERS.into_iter().zip(slots(&mut config)) {
        match slot.as_deref() {
            Some(held) if held != function => {
                return Err(format!(
                    "the user pool's {name} trigger is already set to {held}: magiclink needs \
                     DefineAuthChallenge, CreateAuthChallenge and VerifyAuthChallengeResponse; \
                     remove that trigger from the pool (or deploy without UserPoolId) and deploy again"
                ));
            }
            _ => *slot = Some(function.to_owned()),
        }
    }
    Ok(config)
}

/// `current` with `function` taken out of each custom-auth slot it holds;
/// every other trigger as it was.
pub fn detached(current: Option<&LambdaConfigType>, function: &str) -> LambdaConfigType {
    let mut config = current
        .cloned()
        .unwrap_or_else(|| LambdaConfigType::builder().build());
    for slot in slots(&mut config) {
        if slot.as_deref() == Some(function) {
            *slot = None;
        }
    }
    config
}

/// Whether `pool`'s usernames are addresses (`true`) or its users have an
/// address alias (`false`); else why magiclink cannot sign them in.
pub fn username_is_email(pool: &UserPoolType) -> Result<bool, String> {
    if pool
        .username_attributes()
        .contains(&UsernameAttributeType::Email)
    {
        Ok(true)
    } else if pool.alias_attributes().contains(&AliasAttributeType::Email) {
        Ok(false)
    } else {
        Err(format!(
            "user pool {} signs users in by username only: magiclink signs them in by address, \
             so the pool needs email as its username attribute or as an alias attribute",
            pool.id().unwrap_or("?")
        ))
    }
}

/// `update` carrying the whole of `pool`'s configuration, as
/// `DescribeUserPool` read it, with `lambda` as its triggers: what
/// `UpdateUserPool` needs so that it changes nothing else.
pub fn write_back(
    update: UpdateUserPoolFluentBuilder,
    pool: &UserPoolType,
    lambda: LambdaConfigType,
) -> UpdateUserPoolFluentBuilder {
    // `UnusedAccountValidityDays` is the deprecated twin of the password
    // policy's `TemporaryPasswordValidityDays`, which DescribeUserPool
    // returns too; Cognito refuses an update that sets both.
    let admin_create_user = pool.admin_create_user_config().cloned().map(|mut config| {
        config.unused_account_validity_days = 0;
        config
    });
    update
        .set_user_pool_id(pool.id().map(str::to_owned))
        .set_lambda_config(Some(lambda))
        .set_policies(pool.policies().cloned())
        .set_deletion_protection(pool.deletion_protection().cloned())
        .set_auto_verified_attributes(Some(pool.auto_verified_attributes().to_vec()))
        .set_sms_verification_message(pool.sms_verification_message().map(str::to_owned))
        .set_email_verification_message(pool.email_verification_message().map(str::to_owned))
        .set_email_verification_subject(pool.email_verification_subject().map(str::to_owned))
        .set_verification_message_template(pool.verification_message_template().cloned())
        .set_sms_authentication_message(pool.sms_authentication_message().map(str::to_owned))
        .set_user_attribute_update_settings(pool.user_attribute_update_settings().cloned())
        .set_mfa_configuration(pool.mfa_configuration().cloned())
        .set_device_configuration(pool.device_configuration().cloned())
        .set_email_configuration(pool.email_configuration().cloned())
        .set_sms_configuration(pool.sms_configuration().cloned())
        .set_user_pool_tags(pool.user_pool_tags().cloned())
        .set_admin_create_user_config(admin_create_user)
        .set_user_pool_add_ons(pool.user_pool_add_ons().cloned())
        .set_account_recovery_setting(pool.account_recovery_setting().cloned())
        .set_pool_name(pool.name().map(str::to_owned))
        .set_user_pool_tier(pool.user_pool_tier().cloned())
}

/// Pool `id` as `DescribeUserPool` reads it; `None` when there is no such
/// pool. An error is the reason to fail the deploy.
async fn describe(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    id: &str,
) -> Result<Option<UserPoolType>, String> {
    match idp.describe_user_pool().user_pool_id(id).send().await {
        Ok(described) => described
            .user_pool
            .map(Some)
            .ok_or_else(|| format!("user pool {id} was not described")),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(format!(
            "cannot read user pool {id}: {}",
            DisplayErrorContext(&e)
        )),
    }
}

/// Writes `pool` back whole with `lambda` as its triggers.
async fn rewrite(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    pool: &UserPoolType,
    lambda: LambdaConfigType,
) -> Result<(), String> {
    write_back(idp.update_user_pool(), pool, lambda)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "cannot update user pool {}: {}",
                pool.id().unwrap_or("?"),
                DisplayErrorContext(&e)
            )
        })
}

/// Makes `triggers.function_arn` the pool's custom-auth triggers; whether
/// its usernames are addresses (see [`username_is_email`]).
pub async fn attach(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    triggers: &PoolTriggers,
) -> Result<bool, String> {
    let id = &triggers.user_pool_id;
    let pool = describe(idp, id)
        .await?
        .ok_or_else(|| format!("user pool {id} does not exist"))?;
    let by_email = username_is_email(&pool)?;
    let lambda = attached(pool.lambda_config(), &triggers.function_arn)?;
    rewrite(idp, &pool, lambda).await?;
    Ok(by_email)
}

/// Takes `triggers.function_arn` out of the pool's triggers. A pool that
/// is gone has nothing to take back.
pub async fn detach(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    triggers: &PoolTriggers,
) -> Result<(), String> {
    match describe(idp, &triggers.user_pool_id).await? {
        None => Ok(()),
        Some(pool) => {
            let lambda = detached(pool.lambda_config(), &triggers.function_arn);
            rewrite(idp, &pool, lambda).await
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use aws_sdk_cognitoidentityprovider::types::{
        AccountRecoverySettingType, AdminCreateUserConfigType, DeletionProtectionType,
        MessageTemplateType, PasswordPolicyType, RecoveryOptionNameType, RecoveryOptionType,
        UserPoolMfaType, UserPoolPolicyType, VerifiedAttributeType,
    };

    use super::*;

    const VERIFIER: &str = "arn:aws:lambda:eu-west-1:1:function:magiclink-verifier";
    const THEIRS: &str = "arn:aws:lambda:eu-west-1:1:function:their-post-confirmation";

    fn theirs() -> LambdaConfigType {
        LambdaConfigType::builder()
            .post_confirmation(THEIRS)
            .pre_sign_up(THEIRS)
            .build()
    }

    #[test]
    fn attaching_fills_the_three_slots_and_keeps_the_others() {
        let config = attached(Some(&theirs()), VERIFIER).unwrap();
        assert_eq!(config.define_auth_challenge.as_deref(), Some(VERIFIER));
        assert_eq!(config.create_auth_challenge.as_deref(), Some(VERIFIER));
        assert_eq!(
            config.verify_auth_challenge_response.as_deref(),
            Some(VERIFIER)
        );
        assert_eq!(config.post_confirmation.as_deref(), Some(THEIRS));
        assert_eq!(config.pre_sign_up.as_deref(), Some(THEIRS));
        assert_eq!(
            attached(Some(&config), VERIFIER).unwrap(),
            config,
            "again: the same"
        );
        assert_eq!(
            detached(Some(&config), VERIFIER),
            theirs(),
            "detached: as it was"
        );
        let empty = attached(None, VERIFIER).unwrap();
        assert_eq!(
            detached(Some(&empty), VERIFIER),
            LambdaConfigType::builder().build()
        );
    }

    #[test]
    fn a_pool_must_sign_in_by_address() {
        let by = |pool: aws_sdk_cognitoidentityprovider::types::builders::UserPoolTypeBuilder| {
            username_is_email(&pool.id("eu-west-1_abc").build())
        };
        assert_eq!(
            by(UserPoolType::builder().username_attributes(UsernameAttributeType::Email)),
            Ok(true)
        );
        assert_eq!(
            by(UserPoolType::builder()
                .alias_attributes(AliasAttributeType::PreferredUsername)
                .alias_attributes(AliasAttributeType::Email)),
            Ok(false)
        );
        let refused =
            by(UserPoolType::builder().username_attributes(UsernameAttributeType::PhoneNumber))
                .unwrap_err();
        assert!(
            refused.contains("eu-west-1_abc") && refused.contains("alias"),
            "{refused}"
        );
        assert!(by(UserPoolType::builder()).is_err());
    }

    #[test]
    fn a_slot_held_by_another_function_is_refused_by_name() {
        let taken = LambdaConfigType::builder()
            .define_auth_challenge(THEIRS)
            .build();
        let reason = attached(Some(&taken), VERIFIER).unwrap_err();
        assert!(
            reason.contains("DefineAuthChallenge trigger is already set to"),
            "{reason}"
        );
        assert!(reason.contains(THEIRS), "{reason}");
        // Detaching never takes another function's trigger.
        assert_eq!(detached(Some(&taken), VERIFIER), taken);
    }

    #[test]
    fn the_whole_pool_is_written_back_with_only_its_triggers_changed() {
        let pool = UserPoolType::builder()
            .id("eu-west-1_abc")
            .name("customers")
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(12)
                            .temporary_password_validity_days(7)
                            .build(),
                    )
                    .build(),
            )
            .deletion_protection(DeletionProtectionType::Active)
            .lambda_config(theirs())
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .mfa_configuration(UserPoolMfaType::Optional)
            .email_verification_subject("Verify")
            .admin_create_user_config(
                AdminCreateUserConfigType::builder()
                    .allow_admin_create_user_only(true)
                    .unused_account_validity_days(7)
                    .invite_message_template(
                        MessageTemplateType::builder()
                            .email_subject("Welcome")
                            .build(),
                    )
                    .build(),
            )
            .account_recovery_setting(
                AccountRecoverySettingType::builder()
                    .recovery_mechanisms(
                        RecoveryOptionType::builder()
                            .name(RecoveryOptionNameType::VerifiedEmail)
                            .priority(1)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .user_pool_tags("team", "identity")
            .build();
        let client = aws_sdk_cognitoidentityprovider::Client::from_conf(
            aws_sdk_cognitoidentityprovider::Config::builder()
                .behavior_version(
                    aws_sdk_cognitoidentityprovider::config::BehaviorVersion::latest(),
                )
                .build(),
        );
        let lambda = attached(pool.lambda_config(), VERIFIER).unwrap();
        let update = write_back(client.update_user_pool(), &pool, lambda.clone());
        let input = update.as_input();
        assert_eq!(input.get_user_pool_id().as_deref(), Some("eu-west-1_abc"));
        assert_eq!(input.get_lambda_config().as_ref(), Some(&lambda));
        assert_eq!(input.get_policies().as_ref(), pool.policies());
        assert_eq!(
            input.get_deletion_protection().as_ref(),
            pool.deletion_protection()
        );
        assert_eq!(
            input.get_auto_verified_attributes().as_deref(),
            Some(pool.auto_verified_attributes())
        );
        assert_eq!(
            input.get_mfa_configuration().as_ref(),
            pool.mfa_configuration()
        );
        assert_eq!(
            input.get_email_verification_subject().as_deref(),
            Some("Verify")
        );
        assert_eq!(
            input.get_account_recovery_setting().as_ref(),
            pool.account_recovery_setting()
        );
        assert_eq!(input.get_user_pool_tags().as_ref(), pool.user_pool_tags());
        assert_eq!(input.get_pool_name().as_deref(), Some("customers"));
        let admin = input.get_admin_create_user_config().as_ref().unwrap();
        assert!(admin.allow_admin_create_user_only);
        assert_eq!(
            admin.unused_account_validity_days, 0,
            "the deprecated twin is dropped"
        );
        assert_eq!(
            admin.invite_message_template(),
            pool.admin_create_user_config()
                .unwrap()
                .invite_message_template()
        );
    }
}
