//! The request service. Its handler arrives with issue #4; until then the binary
//! only exists so that the workspace and its build are whole.

fn main() {}
