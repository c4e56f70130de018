//! Fetching: every source of both regions concurrently, each bounded by a timeout, results
//! streamed over a channel so one hung region costs one timeout and never the screen.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use drtui_core::clock::Clock;
use drtui_core::model::{Pace, Source, SourceUpdate};
use drtui_core::ports::{BackendError, StatusBackend};

/// Retries of a throttled read within one fetch.
const THROTTLE_RETRIES: usize = 2;

/// One bounded fetch of one source, stamped with the time it finished.
pub async fn fetch_one(
    backend: &dyn StatusBackend,
    clock: &dyn Clock,
    source: Source,
    timeout: Duration,
) -> SourceUpdate {
    let began = std::time::Instant::now();
    // A throttled read is tried again after a short pause, within the same timeout: one lost
    // call should not leave a source without a fresh value for a whole poll.
    let attempts = async {
        // Pauses of a tenth, then a fifth of the timeout: the retries fit inside it.
        let mut pause = timeout / 10;
        for _ in 0..THROTTLE_RETRIES {
            match backend.fetch(source).await {
                Err(error) if error.is_throttling() => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return other,
            }
        }
        backend.fetch(source).await
    };
    let result = match tokio::time::timeout(timeout, attempts).await {
        Ok(result) => result,
        Err(_) => Err(BackendError::Timeout(timeout)),
    };
    tracing::debug!(
        source = ?source,
        elapsed_ms = began.elapsed().as_secs_f64() * 1000.0,
        ok = result.is_ok(),
        "fetched"
    );
    SourceUpdate {
        source,
        at: clock.now(),
        result,
    }
}

/// Fetches a source that rides on others' calls (health checks in us-east-1's
/// `GetMetricData`): it waits for the others' round to finish, at most a third of the timeout,
/// then asks within what is left, so waiting and asking together cost one timeout whatever
/// hangs.
async fn fetch_riding(
    backend: &dyn StatusBackend,
    clock: &dyn Clock,
    source: Source,
    timeout: Duration,
    mut leaders_done: tokio::sync::watch::Receiver<usize>,
    leaders: usize,
) -> SourceUpdate {
    let began = tokio::time::Instant::now();
    let _ = tokio::time::timeout(timeout / 3, leaders_done.wait_for(|done| *done >= leaders)).await;
    let mut update = fetch_one(
        backend,
        clock,
        source,
        timeout.saturating_sub(began.elapsed()),
    )
    .await;
    if let Err(BackendError::Timeout(_)) = update.result {
        // Said as the one bound the source had, not what was left of it.
        update.result = Err(BackendError::Timeout(timeout));
    }
    update
}

/// Fetches every source once, concurrently; returns when all have answered or timed out, at
/// most one timeout after it began. Sources whose data rides in other calls wait for those
/// (see [`fetch_riding`]), so a one-shot snapshot reads them from this poll rather than from
/// a call of their own.
pub async fn poll_once(
    backend: &dyn StatusBackend,
    clock: &dyn Clock,
    timeout: Duration,
) -> Vec<SourceUpdate> {
    let (riders, leaders): (Vec<Source>, Vec<Source>) = Source::all()
        .into_iter()
        .partition(|source| source.rides_on_others());
    let (done, leaders_done) = tokio::sync::watch::channel(0_usize);
    let count = leaders.len();
    let leading = futures::future::join_all(leaders.into_iter().map(|source| {
        let done = &done;
        async move {
            let update = fetch_one(backend, clock, source, timeout).await;
            done.send_modify(|finished| *finished += 1);
            update
        }
    }));
    let riding =
        futures::future::join_all(riders.into_iter().map(|source| {
            fetch_riding(backend, clock, source, timeout, leaders_done.clone(), count)
        }));
    let (mut updates, ridden) = tokio::join!(leading, riding);
    updates.extend(ridden);
    updates
}

/// How often each kind of source is fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cadence {
    /// Free, fast-changing sources (RDS, Route 53, Step Functions, CloudFormation, alarms).
    pub poll: Duration,
    /// CloudWatch metrics (billed per metric requested, one-minute resolution).
    pub metrics: Duration,
    /// The replicas' statuses (slow to change; Secrets Manager bills per call).
    pub replicas: Duration,
    /// Parity between the regions and the caller's permissions (slow to change).
    pub parity: Duration,
}

impl Cadence {
    pub fn of(pair: &drtui_core::config::RegionPair) -> Self {
        Self {
            poll: pair.poll_interval,
            metrics: pair.metrics_interval,
            replicas: pair.replicas_interval,
            parity: pair.parity_interval,
        }
    }

    fn interval(self, source: Source) -> Duration {
        match source.pace() {
            Pace::Poll => self.poll,
            Pace::Metrics => self.metrics,
            Pace::Replicas => self.replicas,
            Pace::Parity => self.parity,
        }
    }
}

/// How long after `now` the next multiple of `interval` (in epoch time) falls, plus a few
/// seconds so the period that just closed has been published: each minute's datapoint is
/// fetched once, when it is complete.
pub fn until_aligned(now: drtui_core::clock::Timestamp, interval: Duration) -> Duration {
    let interval_ms = interval.as_millis().max(1);
    let now_ms = u128::try_from(now.timestamp_millis()).unwrap_or(0);
    let into = now_ms % interval_ms;
    let settle = (interval / 12).min(Duration::from_secs(5));
    Duration::from_millis(u64::try_from(interval_ms - into).unwrap_or(0)) + settle
}

/// How often the Route 53 weights and the failover state machine's executions are read while
/// the estate is settled (steady or failed over, no run moving it): Route 53's control plane
/// is five requests a second per account, kept for the failover's own change, and a fleet has
/// one state machine per pair; while anything moves they are read every poll. (A move shows
/// first in the global cluster, read every poll.)
pub const SETTLED_WEIGHTS_INTERVAL: Duration = Duration::from_secs(30);

/// What the dashboard tells its pollers: read the slow sources (parity, permissions) again now
/// (the "check again" key), and whether the estate is settled (the weights' pace).
#[derive(Clone, Debug, Default)]
pub struct PollControl {
    recheck: Arc<tokio::sync::Notify>,
    settled: Arc<std::sync::atomic::AtomicBool>,
    sharing: Arc<std::sync::Mutex<crate::share::Sharing>>,
}

impl PollControl {
    /// Where the pollers' data comes from, on a shared pair.
    pub fn sharing(&self) -> crate::share::Sharing {
        self.sharing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub(crate) fn set_sharing(&self, sharing: crate::share::Sharing) {
        *self
            .sharing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = sharing;
    }

    pub fn recheck_now(&self) {
        self.recheck.notify_waiters();
    }

    /// Settled (phase steady or failed over, no run under way): the weights and executions
    /// are read every [`SETTLED_WEIGHTS_INTERVAL`]; otherwise (the default) every poll.
    pub fn set_settled(&self, settled: bool) {
        self.settled
            .store(settled, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a weights read due at a tick can wait: the estate is settled and the last read
    /// was asked less than [`SETTLED_WEIGHTS_INTERVAL`] ago (in the clock's own time; a second
    /// of slack so a tick's own jitter does not stretch 30 s to a whole poll more).
    fn can_wait(
        &self,
        last_read: Option<drtui_core::clock::Timestamp>,
        now: drtui_core::clock::Timestamp,
    ) -> bool {
        let since_last = last_read.map(|at| drtui_core::clock::elapsed(at, now));
        let slack = Duration::from_secs(1);
        self.settled.load(std::sync::atomic::Ordering::Relaxed)
            && since_last.is_some_and(|since| since + slack < SETTLED_WEIGHTS_INTERVAL)
    }
}

/// Starts one polling task per source, each at its own cadence; each sends its updates until
/// `cancel` fires or the receiver is gone. Every source is fetched at once on start (the first
/// frame is complete); then each follows boundaries of its interval in epoch time, so the
/// pollers of every pair of a process tick together and share their calls (the backend's
/// batches). A slow source skips missed ticks instead of queueing them. The parity sources are
/// also read when the returned [`PollControl`] asks; the weights wait while it says settled.
pub fn spawn_pollers(
    backend: Arc<dyn StatusBackend>,
    clock: Arc<dyn Clock>,
    cadence: Cadence,
    timeout: Duration,
    updates: mpsc::Sender<SourceUpdate>,
    cancel: CancellationToken,
) -> PollControl {
    let control = PollControl::default();
    spawn_pollers_under(&control, backend, clock, cadence, timeout, updates, cancel);
    control
}

/// [`spawn_pollers`] under an existing control (the shared poller's, which outlives them).
pub(crate) fn spawn_pollers_under(
    control: &PollControl,
    backend: Arc<dyn StatusBackend>,
    clock: Arc<dyn Clock>,
    cadence: Cadence,
    timeout: Duration,
    updates: mpsc::Sender<SourceUpdate>,
    cancel: CancellationToken,
) {
    // A faster clock (the demo at game-day speed) polls as often in its own time.
    let speed = clock.speed().max(1.0);
    let timeout = timeout.div_f64(speed);
    // Sources that ride on others (health checks learnt from the metrics call) wait for the
    // others' first round, as `poll_once` does: asked at once, they would find nothing to
    // ride on and make a call of their own, a round trip before the first complete frame.
    let leaders = Source::all()
        .into_iter()
        .filter(|source| !source.rides_on_others())
        .count();
    let (first_round, first_round_done) = tokio::sync::watch::channel(0_usize);
    let first_round = Arc::new(first_round);
    for source in Source::all() {
        let first_round = Arc::clone(&first_round);
        let first_round_done = first_round_done.clone();
        let backend = Arc::clone(&backend);
        let clock = Arc::clone(&clock);
        let updates = updates.clone();
        let cancel = cancel.clone();
        let asked = (source.pace() == Pace::Parity).then(|| Arc::clone(&control.recheck));
        let paced = matches!(source, Source::Dns | Source::StateMachine).then(|| control.clone());
        let interval = cadence.interval(source);
        let first_aligned = until_aligned(clock.now(), interval).div_f64(speed);
        let interval = interval.div_f64(speed);
        tokio::spawn(async move {
            let mut ticker =
                tokio::time::interval_at(tokio::time::Instant::now() + first_aligned, interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            let mut first = true;
            let mut last_read: Option<drtui_core::clock::Timestamp> = None;
            let mut deferred = false;
            loop {
                if !first && !deferred {
                    let asked_now = async {
                        match &asked {
                            Some(asked) => asked.notified().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = ticker.tick() => {}
                        () = asked_now => ticker.reset(),
                    }
                    let now = clock.now();
                    if paced.as_ref().is_some_and(|c| c.can_wait(last_read, now)) {
                        continue;
                    }
                }
                last_read = Some(clock.now());
                let fetch = async {
                    if first && source.rides_on_others() {
                        let (backend, clock) = (backend.as_ref(), clock.as_ref());
                        let waiting = first_round_done.clone();
                        fetch_riding(backend, clock, source, timeout, waiting, leaders).await
                    } else {
                        fetch_one(backend.as_ref(), clock.as_ref(), source, timeout).await
                    }
                };
                let update = tokio::select! {
                    _ = cancel.cancelled() => break,
                    update = fetch => update,
                };
                if first && !source.rides_on_others() {
                    first_round.send_modify(|done| *done += 1);
                }
                first = false;
                deferred = update.result.as_ref().is_err_and(BackendError::is_deferred);
                if deferred {
                    last_read = None;
                    if after_deferral(timeout, &cancel).await.is_break() {
                        break;
                    }
                    continue;
                }
                if updates.send(update).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Not this pair's turn in the process's Route 53 budget: the last answer keeps its age and
/// the pair asks again after half a timeout, ahead of those whose turn came (they wait for
/// their next tick), so no pair is starved.
async fn after_deferral(
    timeout: Duration,
    cancel: &CancellationToken,
) -> std::ops::ControlFlow<()> {
    tokio::select! {
        _ = cancel.cancelled() => std::ops::ControlFlow::Break(()),
        () = tokio::time::sleep(timeout / 2) => std::ops::ControlFlow::Continue(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use drtui_core::model::{CallCounts, SourceData};
    use drtui_core::ports::{BackendError, BoxFuture};
    use std::sync::Mutex;

    /// The reference estate's cadence.
    pub(crate) fn default_cadence() -> Cadence {
        Cadence {
            poll: Duration::from_secs(5),
            metrics: Duration::from_secs(60),
            replicas: Duration::from_secs(300),
            parity: Duration::from_secs(600),
        }
    }

    /// Answers every source after 50 ms (health checks at once), noting when each was asked.
    struct Recording {
        asked: Mutex<Vec<(Source, tokio::time::Instant)>>,
    }

    impl StatusBackend for Recording {
        fn fetch(&self, source: Source) -> BoxFuture<'_, Result<SourceData, BackendError>> {
            self.asked
                .lock()
                .expect("asked")
                .push((source, tokio::time::Instant::now()));
            Box::pin(async move {
                if !source.rides_on_others() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Ok(SourceData::Identity("x".into()))
            })
        }

        fn describe(&self) -> String {
            "recording".into()
        }

        fn call_counts(&self) -> CallCounts {
            CallCounts::new()
        }
    }

    /// The dashboard's pollers over a [`Recording`] backend at the default cadence, after their
    /// first round (every source answered once).
    async fn recording_pollers() -> (
        Arc<Recording>,
        mpsc::Receiver<SourceUpdate>,
        CancellationToken,
        PollControl,
    ) {
        let backend = Arc::new(Recording {
            asked: Mutex::new(Vec::new()),
        });
        let (updates, mut received) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        let control = spawn_pollers(
            Arc::clone(&backend) as Arc<dyn StatusBackend>,
            Arc::new(drtui_core::clock::ManualClock::new(
                chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
            )),
            default_cadence(),
            Duration::from_secs(3),
            updates,
            cancel.clone(),
        );
        for _ in 0..Source::all().len() {
            received.recv().await.expect("an update");
        }
        (backend, received, cancel, control)
    }

    /// The dashboard's pollers ask for the health checks only once the first round of the
    /// sources they ride on has answered (else they would find nothing to ride on and make a
    /// call of their own before the first complete frame).
    #[tokio::test(start_paused = true)]
    async fn riding_sources_wait_for_the_first_round() {
        let started = tokio::time::Instant::now();
        let (backend, _received, cancel, _) = recording_pollers().await;
        cancel.cancel();
        let asked = backend.asked.lock().expect("asked").clone();
        let health = asked
            .iter()
            .find(|(source, _)| source.rides_on_others())
            .expect("health checks asked");
        assert!(
            health.1 - started >= Duration::from_millis(50),
            "asked before the first round answered: {asked:?}"
        );
        assert!(
            asked
                .iter()
                .filter(|(source, _)| !source.rides_on_others())
                .all(|(_, at)| *at == started),
            "the others at once"
        );
    }

    /// The `c` key: parity and permissions are read again at once, between their slow ticks;
    /// nothing else is.
    #[tokio::test(start_paused = true)]
    async fn a_recheck_reads_the_parity_sources_now() {
        let (backend, mut received, cancel, recheck) = recording_pollers().await;
        backend.asked.lock().expect("asked").clear();
        let asked_at = tokio::time::Instant::now();
        recheck.recheck_now();
        let mut again = Vec::new();
        for _ in 0..3 {
            again.push(received.recv().await.expect("an update").source);
        }
        cancel.cancel();
        assert!(
            asked_at.elapsed() < Duration::from_secs(1),
            "answered {:?} after the recheck",
            asked_at.elapsed()
        );
        again.sort_by_key(|source| source.name());
        assert!(
            again.iter().all(|source| source.pace() == Pace::Parity),
            "only parity and permissions: {again:?}"
        );
        assert_eq!(again.len(), 3);
    }

    /// Wall time that follows tokio's (paused) clock.
    pub(crate) struct TokioClock(
        pub(crate) tokio::time::Instant,
        pub(crate) drtui_core::clock::Timestamp,
    );

    impl TokioClock {
        /// From now on tokio's clock, at the tests' fixed base time.
        pub(crate) fn starting_now() -> Self {
            let base = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
            Self(tokio::time::Instant::now(), base)
        }
    }

    impl Clock for TokioClock {
        fn now(&self) -> drtui_core::clock::Timestamp {
            self.1 + chrono::Duration::from_std(self.0.elapsed()).unwrap_or_default()
        }

        fn sleep(&self, duration: Duration) -> drtui_core::clock::SleepFuture<'_> {
            Box::pin(tokio::time::sleep(duration))
        }
    }

    /// Settled, the weights and executions are read every 30 s; once anything moves, every poll.
    #[tokio::test(start_paused = true)]
    async fn settled_weights_and_executions_are_read_every_thirty_seconds_and_every_poll_once_moving()
     {
        let backend = Arc::new(Recording {
            asked: Mutex::new(Vec::new()),
        });
        let (updates, mut received) = mpsc::channel(1024);
        let cancel = CancellationToken::new();
        let began = tokio::time::Instant::now();
        let clock = TokioClock(
            began,
            chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
        );
        let control = spawn_pollers(
            Arc::clone(&backend) as Arc<dyn StatusBackend>,
            Arc::new(clock),
            default_cadence(),
            Duration::from_secs(3),
            updates,
            cancel.clone(),
        );
        control.set_settled(true);
        let drain = tokio::spawn(async move { while received.recv().await.is_some() {} });
        // The weights and the state machine's executions, each read the same way.
        let reads = |from: Duration, to: Duration| {
            let asked = backend.asked.lock().expect("asked");
            let count = |wanted: Source| {
                asked
                    .iter()
                    .filter(|(source, at)| {
                        *source == wanted && *at - began >= from && *at - began < to
                    })
                    .count()
            };
            (count(Source::Dns), count(Source::StateMachine))
        };
        tokio::time::sleep(Duration::from_secs(65)).await;
        // At start, then the first ticks 30 s after the last read.
        assert_eq!(reads(Duration::ZERO, Duration::from_secs(65)), (3, 3));
        control.set_settled(false);
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(
            reads(Duration::from_secs(65), Duration::from_secs(95)),
            (6, 6),
            "every 5 s poll while moving"
        );
        cancel.cancel();
        drain.abort();
    }

    /// Answers the weights only after the budget deferred them twice; the rest at once.
    struct Deferring {
        weights_asked: Mutex<Vec<tokio::time::Instant>>,
    }

    impl StatusBackend for Deferring {
        fn fetch(&self, source: Source) -> BoxFuture<'_, Result<SourceData, BackendError>> {
            Box::pin(async move {
                if source == Source::Dns {
                    let mut asked = self.weights_asked.lock().expect("asked");
                    asked.push(tokio::time::Instant::now());
                    if asked.len() <= 2 {
                        return Err(BackendError::Service {
                            code: drtui_core::ports::DEFERRED_CODE.into(),
                            message: "queued past the timeout".into(),
                        });
                    }
                }
                Ok(SourceData::Identity("x".into()))
            })
        }

        fn describe(&self) -> String {
            "deferring".into()
        }

        fn call_counts(&self) -> CallCounts {
            CallCounts::new()
        }
    }

    /// A read the Route 53 budget deferred is no update (the last answer keeps its age) and is
    /// asked again within half a timeout, not a whole poll later.
    #[tokio::test(start_paused = true)]
    async fn a_deferred_read_is_asked_again_soon_and_never_shown_as_a_failure() {
        let backend = Arc::new(Deferring {
            weights_asked: Mutex::new(Vec::new()),
        });
        let (updates, mut received) = mpsc::channel(256);
        let cancel = CancellationToken::new();
        let began = tokio::time::Instant::now();
        spawn_pollers(
            Arc::clone(&backend) as Arc<dyn StatusBackend>,
            Arc::new(TokioClock::starting_now()),
            default_cadence(),
            Duration::from_secs(3),
            updates,
            cancel.clone(),
        );
        let weights = loop {
            let update = received.recv().await.expect("an update");
            if update.source == Source::Dns {
                break update;
            }
        };
        cancel.cancel();
        assert!(
            weights.result.is_ok(),
            "only the answer is passed on: {weights:?}"
        );
        let asked = backend.weights_asked.lock().expect("asked").clone();
        assert_eq!(asked.len(), 3);
        assert_eq!(
            asked[2] - began,
            Duration::from_secs(3),
            "two half-timeout pauses"
        );
    }

    /// Every primary call and the health checks' own call hang (a hung us-east-1).
    struct HungPrimary;

    impl StatusBackend for HungPrimary {
        fn fetch(&self, source: Source) -> BoxFuture<'_, Result<SourceData, BackendError>> {
            Box::pin(async move {
                let hangs = source.role() == Some(drtui_core::model::Role::Primary)
                    || source.rides_on_others();
                if hangs {
                    std::future::pending::<()>().await;
                }
                Ok(SourceData::Identity("x".into()))
            })
        }

        fn describe(&self) -> String {
            "hung primary".into()
        }

        fn call_counts(&self) -> CallCounts {
            CallCounts::new()
        }
    }

    /// A hung primary costs a one-shot poll one timeout, not one for the sources and another
    /// for the health checks that ride on them; the answers that came are kept.
    #[tokio::test(start_paused = true)]
    async fn one_poll_costs_at_most_one_timeout_whatever_hangs() {
        let clock = drtui_core::clock::ManualClock::new(
            chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
        );
        let timeout = Duration::from_secs(3);
        let began = tokio::time::Instant::now();
        let updates = poll_once(&HungPrimary, &clock, timeout).await;
        assert!(
            began.elapsed() <= timeout,
            "took {:?} with a timeout of {timeout:?}",
            began.elapsed()
        );
        assert_eq!(updates.len(), Source::all().len());
        for update in &updates {
            let hung = update.source.role() == Some(drtui_core::model::Role::Primary)
                || update.source.rides_on_others();
            match &update.result {
                Err(BackendError::Timeout(said)) => {
                    assert!(hung, "{:?} timed out", update.source);
                    assert_eq!(*said, timeout, "the bound said is the one timeout");
                }
                Ok(_) => assert!(!hung, "{:?} answered", update.source),
                other => panic!("{:?}: {other:?}", update.source),
            }
        }
    }

    #[test]
    fn metrics_wait_for_the_next_boundary_and_the_datapoint_to_settle() {
        let at = |secs| chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time");
        let minute = Duration::from_secs(60);
        // The offset of the base instant past its minute boundary.
        let base = 1_800_000_000_i64 % 60;
        let to_boundary = |offset: i64| 60 - (base + offset).rem_euclid(60);
        for offset in [0, 1, 17, 59] {
            let expected = Duration::from_secs(u64::try_from(to_boundary(offset)).expect("secs"))
                + Duration::from_secs(5);
            assert_eq!(
                until_aligned(at(offset), minute),
                expected,
                "offset {offset}"
            );
        }
        // Short intervals settle proportionally less.
        assert!(until_aligned(at(0), Duration::from_secs(5)) <= Duration::from_secs(6));
    }
}
