//! Shared reads: the pairs of one process that sign with the same credentials in the same
//! region ask one call for all of them. A batch gathers its members' requests until every
//! member has asked (their pollers tick on the same boundaries) or a short window has passed,
//! then one call, made by the member that opened the batch, answers every member; each pair
//! cuts its own part from the answer, so a resource missing from it is that pair's error alone.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use drtui_core::ports::BackendError;
use tokio::sync::{Notify, watch};

/// How long a batch waits for members that have not asked yet: pairs whose pollers tick
/// together ask within microseconds; one that ticks alone pays at most this.
pub(crate) const GATHER_WINDOW: Duration = Duration::from_millis(150);

/// What the members of a batch are told.
#[derive(Debug)]
enum Outcome<A> {
    Pending,
    Answered(Result<Arc<A>, BackendError>),
    /// The member making the call gave up (its poll timed out, the dashboard closed): the
    /// others ask again themselves.
    Abandoned,
}

impl<A> Clone for Outcome<A> {
    fn clone(&self) -> Self {
        match self {
            Outcome::Pending => Outcome::Pending,
            Outcome::Answered(answer) => Outcome::Answered(answer.clone()),
            Outcome::Abandoned => Outcome::Abandoned,
        }
    }
}

/// One batch while it gathers and while its call is under way.
struct Gathering<Q, A> {
    /// The members' requests; taken when the batch closes.
    asks: Mutex<Vec<Q>>,
    full: Notify,
    outcome: watch::Sender<Outcome<A>>,
}

/// Batches of one kind of read, by key (one per region per kind; a metrics batch is also keyed
/// by its time window, so a member asking for another minute gets a batch of its own).
pub(crate) struct Batcher<K, Q, A> {
    /// The pairs that read through this batcher (registered by each backend it serves).
    members: AtomicUsize,
    window: Duration,
    open: Mutex<HashMap<K, Arc<Gathering<Q, A>>>>,
}

impl<K, Q, A> std::fmt::Debug for Batcher<K, Q, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("members", &self.members.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<K, Q, A> Default for Batcher<K, Q, A> {
    fn default() -> Self {
        Self {
            members: AtomicUsize::new(0),
            window: GATHER_WINDOW,
            open: Mutex::new(HashMap::new()),
        }
    }
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Says `Abandoned` and closes the batch if the member making the call is dropped before it
/// answered.
struct Leading<'b, K: Eq + Hash, Q, A> {
    batcher: &'b Batcher<K, Q, A>,
    key: K,
    gathering: Arc<Gathering<Q, A>>,
}

impl<K: Eq + Hash, Q, A> Drop for Leading<'_, K, Q, A> {
    fn drop(&mut self) {
        self.batcher.close(&self.key, &self.gathering);
        self.gathering.outcome.send_if_modified(|outcome| {
            let pending = matches!(outcome, Outcome::Pending);
            if pending {
                *outcome = Outcome::Abandoned;
            }
            pending
        });
    }
}

impl<K: Eq + Hash, Q, A> Batcher<K, Q, A> {
    /// Removes the batch from the open ones (if it is still the one under `key`).
    fn close(&self, key: &K, gathering: &Arc<Gathering<Q, A>>) {
        let mut open = locked(&self.open);
        if open
            .get(key)
            .is_some_and(|current| Arc::ptr_eq(current, gathering))
        {
            open.remove(key);
        }
    }
}

impl<K: Eq + Hash + Clone, Q: Clone, A> Batcher<K, Q, A> {
    /// One more pair reads through this batcher; a batch waits for every member.
    pub(crate) fn join(&self) {
        self.members.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn leave(&self) {
        let _ = self
            .members
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    fn members(&self) -> usize {
        self.members.load(Ordering::Relaxed).max(1)
    }

    /// Joins the open batch under `key` with `request`, or opens one; the member that opens a
    /// batch waits for the others (at most the window), then makes `call` with every request
    /// and shares its answer.
    pub(crate) async fn ask<F, Fut>(
        &self,
        key: K,
        request: Q,
        call: F,
    ) -> Result<Arc<A>, BackendError>
    where
        F: Fn(Vec<Q>) -> Fut,
        Fut: Future<Output = Result<A, BackendError>>,
    {
        loop {
            let (gathering, leads) = {
                let mut open = locked(&self.open);
                match open.get(&key) {
                    Some(gathering) => {
                        let mut asks = locked(&gathering.asks);
                        asks.push(request.clone());
                        if asks.len() >= self.members() {
                            gathering.full.notify_one();
                        }
                        (Arc::clone(gathering), false)
                    }
                    None => {
                        let gathering = Arc::new(Gathering {
                            asks: Mutex::new(vec![request.clone()]),
                            full: Notify::new(),
                            outcome: watch::channel(Outcome::Pending).0,
                        });
                        open.insert(key.clone(), Arc::clone(&gathering));
                        (gathering, true)
                    }
                }
            };
            if leads {
                return self.lead(key, gathering, &call).await;
            }
            let mut told = gathering.outcome.subscribe();
            let outcome = told
                .wait_for(|outcome| !matches!(outcome, Outcome::Pending))
                .await
                .map(|outcome| outcome.clone());
            if let Ok(Outcome::Answered(answer)) = outcome {
                return answer;
            }
            // The caller gave up: ask again (this member may open the next batch itself).
        }
    }

    async fn lead<F, Fut>(
        &self,
        key: K,
        gathering: Arc<Gathering<Q, A>>,
        call: &F,
    ) -> Result<Arc<A>, BackendError>
    where
        F: Fn(Vec<Q>) -> Fut,
        Fut: Future<Output = Result<A, BackendError>>,
    {
        let leading = Leading {
            batcher: self,
            key,
            gathering,
        };
        let gathered = locked(&leading.gathering.asks).len() >= self.members();
        if !gathered {
            let _ = tokio::time::timeout(self.window, leading.gathering.full.notified()).await;
        }
        self.close(&leading.key, &leading.gathering);
        let asks = std::mem::take(&mut *locked(&leading.gathering.asks));
        // Boxed, like every shared call: a batch's future stays small whatever the call is.
        let answer = Box::pin(call(asks)).await.map(Arc::new);
        leading
            .gathering
            .outcome
            .send_replace(Outcome::Answered(answer.clone()));
        answer
    }
}

/// Batchers made per key on first use (a state machine's executions, a hosted zone's records):
/// their members are the pairs that name that key.
pub(crate) struct Keyed<K, Q, A> {
    batchers: Mutex<HashMap<K, Shared<Q, A>>>,
}

type Shared<Q, A> = Arc<Batcher<(), Q, A>>;

impl<K, Q, A> Default for Keyed<K, Q, A> {
    fn default() -> Self {
        Self {
            batchers: Mutex::new(HashMap::new()),
        }
    }
}

impl<K, Q, A> std::fmt::Debug for Keyed<K, Q, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyed").finish_non_exhaustive()
    }
}

impl<K: Eq + Hash + Clone, Q, A> Keyed<K, Q, A> {
    pub(crate) fn of(&self, key: &K) -> Shared<Q, A> {
        Arc::clone(locked(&self.batchers).entry(key.clone()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A call that answers with every request it was given, sorted, after 10 ms.
    async fn union(calls: &AtomicUsize, asks: Vec<u32>) -> Result<Vec<u32>, BackendError> {
        calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let mut asks = asks;
        asks.sort_unstable();
        Ok(asks)
    }

    #[tokio::test(start_paused = true)]
    async fn members_asking_together_share_one_call_without_waiting_the_window() {
        let batcher: Batcher<(), u32, Vec<u32>> = Batcher::default();
        for _ in 0..5 {
            batcher.join();
        }
        let calls = AtomicUsize::new(0);
        let began = tokio::time::Instant::now();
        let answers = futures::future::join_all(
            (0..5).map(|n| batcher.ask((), n, |asks| union(&calls, asks))),
        )
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        for answer in answers {
            assert_eq!(*answer.expect("answered"), vec![0, 1, 2, 3, 4]);
        }
        assert_eq!(
            began.elapsed(),
            Duration::from_millis(10),
            "no gathering wait"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_asker_waits_the_window_at_most_then_calls_alone() {
        let batcher: Batcher<(), u32, Vec<u32>> = Batcher::default();
        batcher.join();
        batcher.join();
        let calls = AtomicUsize::new(0);
        let began = tokio::time::Instant::now();
        let answer = batcher.ask((), 7, |asks| union(&calls, asks)).await;
        assert_eq!(*answer.expect("answered"), vec![7]);
        assert_eq!(began.elapsed(), GATHER_WINDOW + Duration::from_millis(10));
        // A single member never waits.
        let alone: Batcher<(), u32, Vec<u32>> = Batcher::default();
        alone.join();
        let began = tokio::time::Instant::now();
        alone
            .ask((), 1, |asks| union(&calls, asks))
            .await
            .expect("answered");
        assert_eq!(began.elapsed(), Duration::from_millis(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_call_is_every_members_error_and_an_abandoned_one_is_asked_again() {
        let batcher: Batcher<(), u32, Vec<u32>> = Batcher::default();
        batcher.join();
        batcher.join();
        let failing = |_asks: Vec<u32>| async {
            Err::<Vec<u32>, _>(BackendError::Refused("AccessDenied".into()))
        };
        let (a, b) = tokio::join!(batcher.ask((), 1, failing), batcher.ask((), 2, failing));
        assert!(a.is_err() && b.is_err());
        // The member making the call is dropped mid-call: the other asks again and is answered.
        let calls = AtomicUsize::new(0);
        let hung = |_asks: Vec<u32>| std::future::pending::<Result<Vec<u32>, BackendError>>();
        let leader = tokio::time::timeout(Duration::from_secs(1), batcher.ask((), 1, hung));
        let follower = async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            batcher.ask((), 2, |asks| union(&calls, asks)).await
        };
        let (gave_up, answered) = tokio::join!(leader, follower);
        assert!(gave_up.is_err(), "the leader timed out");
        assert_eq!(*answered.expect("asked again"), vec![2]);
    }
}
