//! `magiclink doctor` against stacks on the emulator, run as an operator
//! runs it (the `magiclink` binary, `--stack`), with the DMARC records
//! served by a DNS server of the test's own on loopback (`--dns-server`).
//! The development stack `magiclink` passes with the warnings a
//! development stack deserves; a second stack set up badly on purpose (its
//! sender unverified, its event destination deleted, an `http` redirect, a
//! key disabled, a domain that rejects unaligned mail) fails, each check
//! saying what to fix. A binary of its own: it deploys and deletes a stack.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::process::Output;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use magiclink_tests::{
    aws, beside_name, delete_stack, deploy_beside, magiclink_command, output_text,
};
use serde_json::Value;

/// A DNS server on loopback that answers TXT queries for the names in
/// `records` (without the final dot) and NXDOMAIN for every other name.
fn dns_server(records: &[(&str, &str)]) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = socket.local_addr().unwrap();
    let records: BTreeMap<String, String> = records
        .iter()
        .map(|(name, text)| (name.to_ascii_lowercase(), (*text).to_owned()))
        .collect();
    std::thread::spawn(move || {
        let mut buffer = [0_u8; 1500];
        while let Ok((len, peer)) = socket.recv_from(&mut buffer) {
            let Ok(query) = Message::from_vec(&buffer[..len]) else {
                continue;
            };
            let mut answer = Message::response(query.metadata.id, query.metadata.op_code);
            answer.metadata.recursion_desired = query.metadata.recursion_desired;
            answer.metadata.recursion_available = true;
            answer.add_queries(query.queries.iter().cloned());
            for question in &query.queries {
                let name = question.name().to_ascii().to_ascii_lowercase();
                let found = records.get(name.trim_end_matches('.'));
                match found {
                    Some(text) if question.query_type() == RecordType::TXT => {
                        let data = RData::TXT(TXT::new(vec![text.clone()]));
                        answer.add_answer(Record::from_rdata(question.name().clone(), 60, data));
                    }
                    Some(_) => {}
                    None => answer.metadata.response_code = ResponseCode::NXDomain,
                }
            }
            let _ = socket.send_to(&answer.to_vec().unwrap(), peer);
        }
    });
    address
}

/// `magiclink doctor --stack stack --dns-server dns` with `args`.
fn doctor(stack: &str, dns: SocketAddr, args: &[&str]) -> Output {
    magiclink_command()
        .args(["doctor", "--stack", stack, "--dns-server", &dns.to_string()])
        .args(args)
        .output()
        .unwrap()
}

/// Each check's finding in the JSON report, by check name.
fn findings(output: &Output) -> BTreeMap<String, Value> {
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", output_text(output)));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["check"].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

/// The status of each check, by check name.
fn statuses(findings: &BTreeMap<String, Value>) -> BTreeMap<&str, &str> {
    findings
        .iter()
        .map(|(check, f)| (check.as_str(), f["status"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn the_development_stack_passes_with_a_development_stacks_warnings() {
    aws().await;
    let dns = dns_server(&[(
        "_dmarc.magiclink.test",
        "v=DMARC1; p=none; rua=mailto:dmarc@magiclink.test",
    )]);
    let output = doctor("magiclink", dns, &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let findings = findings(&output);
    let expected = BTreeMap::from([
        ("ses-sandbox", "pass"),
        // The stack sends 50/s (make up); the emulator's SES says 14/s.
        ("ses-send-rate", "warn"),
        ("from-identity", "pass"),
        // The emulator's sender is an address identity: no DKIM, no MAIL FROM.
        ("dkim", "warn"),
        ("mail-from", "warn"),
        ("dmarc", "pass"),
        ("ses-events", "pass"),
        // http://localhost:8000/, the demo page's.
        ("redirects", "warn"),
        ("kms-keys", "pass"),
        ("pool-triggers", "pass"),
        ("log-retention", "pass"),
        ("alarm-topic", "warn"),
    ]);
    assert_eq!(statuses(&findings), expected, "{}", output_text(&output));
    assert!(
        findings["ses-send-rate"]["detail"]
            .as_str()
            .unwrap()
            .contains("50/s")
    );
    assert!(
        findings["dmarc"]["detail"]
            .as_str()
            .unwrap()
            .contains("p=none")
    );
    assert!(
        findings["kms-keys"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("4 keys")
    );
    assert!(
        findings["pool-triggers"]["detail"]
            .as_str()
            .unwrap()
            .contains("magiclink-verifier")
    );
    for (check, finding) in &findings {
        let has_fix = !finding["fix"].is_null();
        assert_eq!(has_fix, finding["status"] != "pass", "{check}: {finding}");
    }

    // As a person reads it: one line a check, each fix under its check.
    let output = doctor("magiclink", dns, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("magiclink doctor: stack magiclink\n"),
        "{text}"
    );
    assert!(text.contains("\nWARN  redirects "), "{text}");
    assert!(
        text.contains("fix: deploy with AllowedRedirectUris"),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("0 failed, 5 to improve, 7 passed"),
        "{text}"
    );
}

#[tokio::test]
async fn no_stack_is_a_clear_error() {
    aws().await;
    let dns = dns_server(&[]);
    let output = doctor("no-such-stack", dns, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(output.stdout.is_empty());
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(
        error.starts_with("magiclink: stack no-such-stack: "),
        "{error}"
    );

    let output = magiclink_command()
        .args([
            "doctor",
            "--stack",
            "magiclink",
            "--dns-server",
            "nameserver",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
    assert!(
        output_text(&output).contains("--dns-server"),
        "{}",
        output_text(&output)
    );
    let output = magiclink_command().args(["doctor"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        output_text(&output).contains("--stack"),
        "{}",
        output_text(&output)
    );
}

#[tokio::test]
async fn a_stack_set_up_badly_fails_each_check_with_its_fix() {
    let config = aws().await;
    let name = beside_name("ml-doctor");
    let sender = format!("no-reply@{name}.test");
    let deployed = deploy_beside(
        &config,
        &name,
        &[
            &format!("FromAddress={sender}"),
            "AllowedRedirectUris=https://app.example.com/,http://app.example.com/",
            "DefaultRedirectUri=https://app.example.com/",
        ],
    )
    .await;
    assert!(deployed.status.success(), "{}", output_text(&deployed));

    // What an adopter may get wrong: the sender not verified, the event
    // destination gone, a key disabled.
    let ses = aws_sdk_sesv2::Client::new(&config);
    ses.delete_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .unwrap();
    ses.delete_configuration_set_event_destination()
        .configuration_set_name(format!("{name}-mail"))
        .event_destination_name("magiclink-feedback")
        .send()
        .await
        .unwrap();
    let code_key = aws_sdk_cloudformation::Client::new(&config)
        .describe_stack_resource()
        .stack_name(&name)
        .logical_resource_id("CodeKey")
        .send()
        .await
        .unwrap()
        .stack_resource_detail()
        .and_then(|r| r.physical_resource_id())
        .unwrap()
        .to_owned();
    aws_sdk_kms::Client::new(&config)
        .disable_key()
        .key_id(&code_key)
        .send()
        .await
        .unwrap();
    // The domain rejects mail that does not align with it.
    let dns = dns_server(&[(&format!("_dmarc.{name}.test"), "v=DMARC1; p=reject")]);

    let output = doctor(&name, dns, &["--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    let findings = findings(&output);
    let statuses = statuses(&findings);
    for check in [
        "from-identity",
        "dmarc",
        "ses-events",
        "redirects",
        "kms-keys",
    ] {
        assert_eq!(statuses[check], "fail", "{check}: {}", findings[check]);
        assert!(findings[check]["fix"].is_string(), "{}", findings[check]);
    }
    for check in ["ses-sandbox", "pool-triggers", "log-retention"] {
        assert_eq!(statuses[check], "pass", "{check}: {}", findings[check]);
    }
    let detail = |check: &str| findings[check]["detail"].as_str().unwrap().to_owned();
    let fix = |check: &str| findings[check]["fix"].as_str().unwrap().to_owned();
    assert!(fix("from-identity").contains(&format!("{name}.test")));
    assert!(detail("dmarc").contains("p=reject"), "{}", detail("dmarc"));
    assert!(detail("ses-events").contains(&format!("{name}-mail")));
    assert!(
        detail("redirects").contains("http://app.example.com/"),
        "{}",
        detail("redirects")
    );
    assert!(
        detail("kms-keys").contains("CodeKey is Disabled"),
        "{}",
        detail("kms-keys")
    );

    let output = doctor(&name, dns, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("\nFAIL  ses-events "), "{text}");
    assert!(
        text.trim_end()
            .ends_with("5 failed, 2 to improve, 3 passed"),
        "{text}"
    );

    delete_stack(&config, &name).await;
}
