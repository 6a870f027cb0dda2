//! A sign-in makes no Cognito admin call (ARCHITECTURE.md, invariant 7): the verifier
//! cannot make one, because nothing it is built from holds a Cognito client.
//! This reads the workspace's Cargo.lock and walks the verifier's whole
//! dependency closure.

use std::collections::{BTreeMap, BTreeSet};

/// Package name to the names of its dependencies, from Cargo.lock.
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let path = format!(
        "{}/../../Cargo.lock",
        std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR")
    );
    let lock = std::fs::read_to_string(path).expect("Cargo.lock is readable");
    let mut graph = BTreeMap::new();
    for block in lock.split("[[package]]").skip(1) {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .map(|n| n.trim_matches('"').to_owned())
            .expect("every package has a name");
        let deps: Vec<String> = block
            .split_once("dependencies = [")
            .map(|(_, rest)| {
                rest.split(']')
                    .next()
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| {
                        l.trim()
                            .trim_end_matches(',')
                            .trim_matches('"')
                            .split(' ')
                            .next()
                    })
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        graph.entry(name).or_insert_with(Vec::new).extend(deps);
    }
    graph
}

#[test]
fn the_verifier_is_built_without_any_cognito_client() {
    let graph = lock_graph();
    let mut seen = BTreeSet::new();
    let mut todo = vec!["magiclink-verifier".to_owned()];
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            todo.extend(graph.get(&name).cloned().unwrap_or_default());
        }
    }
    assert!(
        seen.contains("aws-sdk-dynamodb"),
        "the walk reached the verifier's real dependencies"
    );
    let cognito: Vec<&String> = seen.iter().filter(|n| n.contains("cognito")).collect();
    assert!(cognito.is_empty(), "the verifier depends on {cognito:?}");
}
