//! The only code that talks to the world. The UI, the verdict and `status` see a backend only
//! through [`StatusBackend`], so the simulator and AWS are interchangeable.

pub mod aws;
pub mod sim;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::model::{CallCounts, Source, SourceData};

/// Route 53's control plane (and its health-check metrics) live here whatever the pair.
pub const ROUTE53_CONTROL_REGION: &str = "us-east-1";

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a fetch failed, as the backend saw it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BackendError {
    #[error("timed out after {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("{code}: {message}")]
    Service { code: String, message: String },
    #[error("cannot reach {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
}

/// The read side of a backend: one call per source.
pub trait StatusBackend: Send + Sync {
    /// Fetches one source. May never complete (a hung region); callers bound it with a timeout.
    fn fetch(&self, source: Source) -> BoxFuture<'_, Result<SourceData, BackendError>>;

    /// One line for the header: what is answering ("simulator, seed 42", "AWS ...").
    fn describe(&self) -> String;

    /// Every API call made so far, by service and operation.
    fn call_counts(&self) -> CallCounts;
}

/// A thread-safe tally of API calls, for the status JSON and the debug panel.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: std::sync::Mutex<CallCounts>,
}

impl CallCounter {
    pub fn record(&self, service: &str, operation: &str) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts
            .entry(service.to_owned())
            .or_default()
            .entry(operation.to_owned())
            .or_default() += 1;
    }

    pub fn snapshot(&self) -> CallCounts {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}
