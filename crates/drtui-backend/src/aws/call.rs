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

impl AwsBackend {
    /// Sends a Route 53 request through the process's one Route 53 budget, in `lane`.
    pub(super) async fn route53_call<T, E, R>(
        &self,
        lane: super::route53_budget::Lane,
        operation: Operation,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, BackendError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        // Boxed: the budget's future stays small whatever it carries (debug builds copy
        // large futures through every frame that polls them).
        let call = Box::pin(self.call(operation, self.route53_role(), request));
        self.clients
            .route53_budget
            .send(lane, self.pair.call_timeout, call)
            .await
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

/// A request asked of `first`, and of `second` too once `first` has failed or not answered
/// within `delay`: the first success wins; when both fail, `first`'s error (the side asked
/// by choice) is the answer.
pub(super) async fn hedged<T>(
    first: impl Future<Output = Result<T, BackendError>>,
    second: impl Future<Output = Result<T, BackendError>>,
    delay: std::time::Duration,
) -> Result<T, BackendError> {
    tokio::pin!(first);
    let first_failed = tokio::select! {
        result = &mut first => match result {
            Ok(answer) => return Ok(answer),
            Err(error) => Some(error),
        },
        () = tokio::time::sleep(delay) => None,
    };
    tokio::pin!(second);
    let Some(first_error) = first_failed else {
        // Both asked: whichever answers well first.
        let mut first_error = None;
        let mut second_error = None;
        loop {
            tokio::select! {
                result = &mut first, if first_error.is_none() => match result {
                    Ok(answer) => return Ok(answer),
                    Err(error) => first_error = Some(error),
                },
                result = &mut second, if second_error.is_none() => match result {
                    Ok(answer) => return Ok(answer),
                    Err(error) => second_error = Some(error),
                },
            }
            if let (Some(error), Some(_)) = (&first_error, &second_error) {
                return Err(error.clone());
            }
        }
    };
    second.await.map_err(|_| first_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn refused(why: &str) -> BackendError {
        BackendError::Refused(why.to_owned())
    }

    #[tokio::test(start_paused = true)]
    async fn a_hedged_request_takes_the_first_good_answer_of_either_side() {
        let delay = Duration::from_secs(1);
        let never = || std::future::pending::<Result<&str, BackendError>>();
        // The first side answers: the second is never asked.
        let asked = std::sync::atomic::AtomicBool::new(false);
        let second = async {
            asked.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok("second")
        };
        assert_eq!(
            hedged(async { Ok("first") }, second, delay).await,
            Ok("first")
        );
        assert!(!asked.load(std::sync::atomic::Ordering::SeqCst));
        // The first side hangs: the second answers once the delay has passed.
        let began = tokio::time::Instant::now();
        assert_eq!(
            hedged(never(), async { Ok("second") }, delay).await,
            Ok("second")
        );
        assert_eq!(began.elapsed(), delay);
        // The first side fails: the second is asked at once.
        let began = tokio::time::Instant::now();
        let answer = hedged(
            async { Err(refused("down")) },
            async { Ok("second") },
            delay,
        )
        .await;
        assert_eq!((answer, began.elapsed()), (Ok("second"), Duration::ZERO));
        // Both fail: the first side's error.
        let slow_failure = async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Err::<&str, _>(refused("first"))
        };
        assert_eq!(
            hedged(slow_failure, async { Err(refused("second")) }, delay).await,
            Err(refused("first"))
        );
    }
}
