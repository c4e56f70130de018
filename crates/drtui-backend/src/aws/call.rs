//! One way to call AWS: every call is counted (the debug view, `status`'s call counts) under
//! its declared [`Operation`], sent under the timeouts the clients were built with
//! (`clients::sdk_config`: connect, attempt and operation timeouts), and its failure mapped to
//! a [`BackendError`] of the region that answered. Pagination is written once, here.

use std::future::Future;

use aws_sdk_cloudwatch::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use drtui_core::calls::Operation;
use drtui_core::model::Role;
use drtui_core::ports::BackendError;

use super::AwsBackend;

impl AwsBackend {
    /// Sends a request, counted as `operation`; the SDK's own result, for callers that treat
    /// some service errors as answers (a state machine that does not exist).
    pub(super) async fn sent<T, E, R>(
        &self,
        operation: Operation,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, SdkError<E, R>> {
        self.calls.record(operation);
        request.await
    }

    /// Sends a request, counted as `operation`, its failure mapped against `role`'s region.
    pub(super) async fn call<T, E, R>(
        &self,
        operation: Operation,
        role: Role,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, BackendError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        self.sent(operation, request)
            .await
            .map_err(|error| self.error(role, error))
    }
}

/// Every page of a paginated call: `page(token)` fetches one page and says what it holds and
/// the next token (none, or empty, on the last).
pub(super) async fn all_pages<T, Page>(
    mut page: impl FnMut(Option<String>) -> Page,
) -> Result<Vec<T>, BackendError>
where
    Page: Future<Output = Result<(Vec<T>, Option<String>), BackendError>>,
{
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let (mut found, next) = page(token.take()).await?;
        items.append(&mut found);
        match next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(items),
        }
    }
}
