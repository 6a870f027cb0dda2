//! The log lines a deployed function wrote, read back through CloudWatch Logs
//! (the emulator keeps them too).

use aws_config::SdkConfig;

/// Every log line of the Lambda function `function` (its deployed name)
/// since `since_ms` (milliseconds since the epoch).
pub async fn log_lines(config: &SdkConfig, function: &str, since_ms: i64) -> Vec<String> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let mut lines = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = logs
            .filter_log_events()
            .log_group_name(format!("/aws/lambda/{function}"))
            .start_time(since_ms)
            .set_next_token(next.clone())
            .send()
            .await
            .expect("the function's log lines");
        lines.extend(
            page.events()
                .iter()
                .filter_map(|e| e.message().map(str::to_owned)),
        );
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            return lines;
        }
    }
}
