//! Small helpers for DynamoDB items and errors, shared by the stores.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) use crate::table::{PK, TTL};

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

pub(crate) fn get_n(item: &Item, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// The item that made a conditional update fail, when the update asked for
/// it (`ReturnValuesOnConditionCheckFailure::AllOld`) and there was one.
pub(crate) fn item_found(error: &UpdateItemError) -> Option<&Item> {
    match error {
        UpdateItemError::ConditionalCheckFailedException(refused) => refused.item(),
        _ => None,
    }
}
