//! The only code that talks to the world. The UI, the verdict and `status` see a backend only
//! through [`StatusBackend`], so the simulator and AWS are interchangeable.

pub mod sim;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::model::{Source, SourceData};

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

    /// One line for the header: what is answering ("simulator, seed 42", "AWS as ...").
    fn describe(&self) -> String;
}
