//! The relay: the table's change stream, turned into events on the bus.
//!
//! The services write DynamoDB and publish nothing beside the write (a dual
//! write loses the event when the process dies between the two, or the bus is
//! down). Each change of a challenge item is instead read from the table's
//! stream, in order, and published here, at least once:
//! - [`change`]: which change is which event (pure);
//! - [`relay`]: a batch of stream records to `PutEvents`, in order, with
//!   retries until the invocation's deadline and partial batch failures.

pub mod change;
pub mod relay;
