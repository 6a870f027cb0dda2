//! The deployed functions as things a fault test can change: an environment
//! that differs for the length of a test, a queue's delivery paused, and the
//! host processes the emulator runs them in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_lambda::types::{Environment, LastUpdateStatus};

/// A function's environment with some variables changed; put back by
/// [`Self::restore`], or on drop when a test fails before it gets there, so
/// that a failed test does not leave the stack broken for the next one.
#[derive(Debug)]
pub struct FunctionEnvironment {
    lambda: aws_sdk_lambda::Client,
    name: String,
    original: HashMap<String, String>,
    restored: bool,
}

impl FunctionEnvironment {
    /// Sets `changes` in the environment of the function `name`, and waits
    /// until the emulator runs it with them (it recycles the function's
    /// processes on such an update, as Lambda does).
    pub async fn set(config: &SdkConfig, name: &str, changes: &[(&str, String)]) -> Self {
        let lambda = aws_sdk_lambda::Client::new(config);
        let current = lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("function {name}: {e:?}"));
        let original = current
            .environment()
            .and_then(|e| e.variables())
            .cloned()
            .unwrap_or_default();
        let mut changed = original.clone();
        for (key, value) in changes {
            changed.insert((*key).to_owned(), value.clone());
        }
        update(&lambda, name, changed).await;
        Self {
            lambda,
            name: name.to_owned(),
            original,
            restored: false,
        }
    }

    /// Puts the original environment back.
    pub async fn restore(mut self) {
        update(&self.lambda, &self.name, self.original.clone()).await;
        self.restored = true;
    }
}

impl Drop for FunctionEnvironment {
    fn drop(&mut self) {
        if self.restored {
            return;
        }
        let (lambda, name, original) = (
            self.lambda.clone(),
            self.name.clone(),
            self.original.clone(),
        );
        finish_from_drop(async move { update(&lambda, &name, original).await });
    }
}

/// Runs `work` to its end from a `drop`, which cannot await and may run
/// inside a runtime: on a thread of its own, with a runtime of its own.
fn finish_from_drop(work: impl Future<Output = ()> + Send + 'static) {
    let finishing = std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(work);
        }
    });
    let _ = finishing.join();
}

async fn update(lambda: &aws_sdk_lambda::Client, name: &str, variables: HashMap<String, String>) {
    lambda
        .update_function_configuration()
        .function_name(name)
        .environment(
            Environment::builder()
                .set_variables(Some(variables))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("updating {name}: {e:?}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let status = lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .ok()
            .and_then(|c| c.last_update_status().cloned());
        if status == Some(LastUpdateStatus::Successful) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("function {name} did not finish its update within 30 s");
}

/// A function's queue deliveries, paused (its event source mappings
/// disabled) until [`Self::resume`], or until drop if a test fails first: the
/// way to let a backlog build up.
#[derive(Debug)]
pub struct PausedDeliveries {
    lambda: aws_sdk_lambda::Client,
    mappings: Vec<String>,
    resumed: bool,
}

impl PausedDeliveries {
    /// Disables every event source mapping of the function `name`.
    pub async fn pause(config: &SdkConfig, name: &str) -> Self {
        let lambda = aws_sdk_lambda::Client::new(config);
        let listed = lambda
            .list_event_source_mappings()
            .function_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("event source mappings of {name}: {e:?}"));
        let mappings: Vec<String> = listed
            .event_source_mappings()
            .iter()
            .filter_map(|m| m.uuid().map(str::to_owned))
            .collect();
        assert!(!mappings.is_empty(), "{name} has no event source mapping");
        set_enabled(&lambda, &mappings, false).await;
        Self {
            lambda,
            mappings,
            resumed: false,
        }
    }

    /// Enables the mappings again.
    pub async fn resume(mut self) {
        set_enabled(&self.lambda, &self.mappings, true).await;
        self.resumed = true;
    }
}

impl Drop for PausedDeliveries {
    fn drop(&mut self) {
        if self.resumed {
            return;
        }
        let (lambda, mappings) = (self.lambda.clone(), self.mappings.clone());
        finish_from_drop(async move { set_enabled(&lambda, &mappings, true).await });
    }
}

async fn set_enabled(lambda: &aws_sdk_lambda::Client, mappings: &[String], enabled: bool) {
    for uuid in mappings {
        lambda
            .update_event_source_mapping()
            .uuid(uuid)
            .enabled(enabled)
            .send()
            .await
            .unwrap_or_else(|e| panic!("event source mapping {uuid}: {e:?}"));
    }
}

/// Kills (SIGKILL) every host process the emulator runs the function `name`
/// in, as a crash or an out-of-memory kill would; the number killed.
pub fn kill_function_processes(name: &str) -> usize {
    crate::emulator::emulator_endpoint("killing a function's processes");
    let wanted = format!("AWS_LAMBDA_FUNCTION_NAME={name}");
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut killed = 0;
    for entry in processes.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes())
            && std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .is_ok_and(|s| s.success())
        {
            killed += 1;
        }
    }
    killed
}
