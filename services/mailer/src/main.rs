//! The mailer service. Its handler arrives with issue #5; until then the binary
//! only exists so that the workspace and its build are whole.

fn main() {}
