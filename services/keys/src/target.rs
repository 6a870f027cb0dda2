//! Where a response may be put. CloudFormation hands the function a
//! pre-signed `ResponseURL` on its region's S3 host; whoever can invoke the
//! function could hand it any other URL, and the function would put the
//! stack's keys there, or make requests on the caller's behalf from inside
//! the account. So a response goes only to an `https` URL on an S3 host of
//! the function's own region, or, on the local emulator, to the emulator's
//! own endpoint (`RESPONSE_URL_ORIGIN`, which the template sets there only).

use reqwest::Url;

/// The hosts a response may go to; read once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTargets {
    /// `AWS_REGION`: the function's region.
    region: String,
    /// `RESPONSE_URL_ORIGIN`, when set (the emulator): its origin is
    /// allowed too.
    endpoint: Option<Url>,
}

impl ResponseTargets {
    pub fn new(region: &str, endpoint: Option<&str>) -> Self {
        Self {
            region: region.to_ascii_lowercase(),
            endpoint: endpoint.and_then(|raw| Url::parse(raw).ok()),
        }
    }

    /// The environment's targets.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self::new(
            &var("AWS_REGION").unwrap_or_default(),
            var("RESPONSE_URL_ORIGIN").as_deref(),
        )
    }

    /// `raw` as a URL a response may be put to, or why not (the reason
    /// names no part of the URL, which carries a signature).
    pub fn check(&self, raw: &str) -> Result<Url, &'static str> {
        let url = Url::parse(raw).map_err(|_| "the ResponseURL is not a URL")?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("the ResponseURL carries credentials");
        }
        if let Some(endpoint) = &self.endpoint
            && same_endpoint(&url, endpoint)
        {
            return Ok(url);
        }
        if url.scheme() != "https" || url.port().is_some() {
            return Err("the ResponseURL is not https on the default port");
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let Some(name) = host
            .strip_suffix(".amazonaws.com")
            .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
        else {
            return Err("the ResponseURL is not on an AWS host");
        };
        let labels: Vec<&str> = name.split('.').collect();
        let on_s3 = labels
            .iter()
            .any(|label| *label == "s3" || label.starts_with("s3-"));
        let compact_region = self.region.replace('-', "");
        let in_region = !self.region.is_empty()
            && (labels.contains(&self.region.as_str())
                || labels.iter().any(|label| {
                    label.starts_with("cloudformation-custom-resource-response-")
                        && label.ends_with(compact_region.as_str())
                }));
        match (on_s3, in_region) {
            (true, true) => Ok(url),
            (false, _) => Err("the ResponseURL is not on an S3 host"),
            (true, false) => Err("the ResponseURL is not in the function's region"),
        }
    }
}

/// Whether `url` is on `endpoint`: the same origin, where a loopback host
/// is any loopback host (the emulator names itself `localhost` in its
/// response URLs and is reached as `127.0.0.1`).
fn same_endpoint(url: &Url, endpoint: &Url) -> bool {
    let loopback = |url: &Url| match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    url.origin() == endpoint.origin()
        || (loopback(url)
            && loopback(endpoint)
            && url.scheme() == endpoint.scheme()
            && url.port_or_known_default() == endpoint.port_or_known_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudformations_response_urls_are_allowed() {
        let targets = ResponseTargets::new("eu-west-1", None);
        for url in [
            "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/arn%3A/signed?X-Amz-Signature=a",
            "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x",
            "https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/x",
        ] {
            assert!(targets.check(url).is_ok(), "{url}");
        }
        let east = ResponseTargets::new("us-east-1", None);
        assert!(
            east.check(
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x"
            )
            .is_ok()
        );
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        let targets = ResponseTargets::new("eu-west-1", None);
        for (url, reason) in [
            (
                "http://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x",
                "https",
            ),
            (
                "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com:8443/x",
                "https",
            ),
            ("https://attacker.example/x", "AWS host"),
            (
                "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com.attacker.example/x",
                "AWS host",
            ),
            ("https://169.254.169.254/latest/meta-data", "AWS host"),
            ("https://lambda.eu-west-1.amazonaws.com/x", "S3 host"),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
                "region",
            ),
            ("https://bucket.s3.us-east-1.amazonaws.com/x", "region"),
            (
                "https://user:pw@cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x",
                "credentials",
            ),
            ("not a url", "not a URL"),
            ("", "not a URL"),
        ] {
            let refused = targets.check(url).expect_err(url);
            assert!(refused.contains(reason), "{url}: {refused}");
            assert!(!refused.contains("attacker"), "{refused}");
        }
    }

    #[test]
    fn on_the_emulator_its_own_endpoint_is_allowed_and_nothing_else_more() {
        let targets = ResponseTargets::new("us-east-1", Some("http://127.0.0.1:4566"));
        for url in [
            "http://127.0.0.1:4566/_ministack/cfn-response/t",
            "http://localhost:4566/_ministack/cfn-response/t",
        ] {
            assert!(targets.check(url).is_ok(), "{url}");
        }
        for url in [
            "http://127.0.0.1:4567/_ministack/cfn-response/t",
            "http://localhost:80/x",
            "http://192.0.2.1:4566/x",
            "https://127.0.0.1:4566/x",
        ] {
            assert!(targets.check(url).is_err(), "{url}");
        }
    }
}
