//! Route 53's control plane answers five requests a second per account, shared by every caller,
//! the failover state machine's `ChangeResourceRecordSets` included. Every Route 53 call of a
//! drtui process goes through one budget: reads are spaced at a configured rate (one a second
//! by default) and back off, with jitter, when Route 53 throttles; a runbook's change and its
//! `GetChange` never wait behind reads (they take the next read's slot instead).

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use drtui_core::ports::BackendError;
use tokio::time::Instant;

/// Reads a second when no pair says otherwise.
pub const DEFAULT_READS_PER_SECOND: f64 = 1.0;
/// The longest pause after Route 53 throttled reads.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The first pause after a throttled read.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// Which queue a call takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// The dashboards' and checks' reads: spaced at the budget's rate.
    Read,
    /// A runbook's change, the read it is made from, and its `GetChange`: never delayed.
    Act,
}

impl Lane {
    pub fn of(operation: drtui_core::calls::Operation) -> Self {
        match operation.access() {
            drtui_core::calls::Access::Act => Lane::Act,
            _ => Lane::Read,
        }
    }
}

#[derive(Debug)]
struct Schedule {
    /// Time between two reads.
    spacing: Duration,
    /// The earliest a read not yet queued may go.
    next_read: Instant,
    /// The pause after the latest throttled read (zero once a read succeeds).
    backoff: Duration,
}

/// What went through the budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Route53Sent {
    pub reads: u64,
    pub acts: u64,
    /// Reads refused because the queue was longer than their timeout.
    pub refused: u64,
}

/// The process's one Route 53 budget.
#[derive(Debug)]
pub struct Route53Budget {
    schedule: Mutex<Schedule>,
    reads: AtomicU64,
    acts: AtomicU64,
    refused: AtomicU64,
}

impl Default for Route53Budget {
    fn default() -> Self {
        Self::new(DEFAULT_READS_PER_SECOND)
    }
}

fn spacing(reads_per_second: f64) -> Duration {
    Duration::from_secs_f64(1.0 / reads_per_second.clamp(0.01, 5.0))
}

impl Route53Budget {
    pub fn new(reads_per_second: f64) -> Self {
        Self {
            schedule: Mutex::new(Schedule {
                spacing: spacing(reads_per_second),
                next_read: Instant::now(),
                backoff: Duration::ZERO,
            }),
            reads: AtomicU64::new(0),
            acts: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    fn schedule(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A pair asks for at most `reads_per_second`: the lowest any pair asks for holds.
    pub fn limit_reads(&self, reads_per_second: f64) {
        let mut schedule = self.schedule();
        schedule.spacing = schedule.spacing.max(spacing(reads_per_second));
    }

    /// The reads a second this budget allows.
    pub fn reads_per_second(&self) -> f64 {
        1.0 / self.schedule().spacing.as_secs_f64()
    }

    pub fn sent(&self) -> Route53Sent {
        Route53Sent {
            reads: self.reads.load(Ordering::Relaxed),
            acts: self.acts.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    /// Sends `call` in `lane`. A read waits for its slot; one whose slot is further away than
    /// `patience` (its poll would time out first) is refused at once rather than queued.
    pub async fn send<T>(
        &self,
        lane: Lane,
        patience: Duration,
        call: impl Future<Output = Result<T, BackendError>>,
    ) -> Result<T, BackendError> {
        match lane {
            Lane::Act => {
                {
                    // The change takes the next read's slot: reads make room, never the change.
                    let mut schedule = self.schedule();
                    let now = Instant::now();
                    schedule.next_read = schedule.next_read.max(now) + schedule.spacing;
                }
                self.acts.fetch_add(1, Ordering::Relaxed);
                call.await
            }
            Lane::Read => {
                let slot = {
                    let mut schedule = self.schedule();
                    let now = Instant::now();
                    let slot = schedule.next_read.max(now);
                    if slot - now > patience {
                        drop(schedule);
                        self.refused.fetch_add(1, Ordering::Relaxed);
                        return Err(BackendError::Service {
                            code: drtui_core::ports::DEFERRED_CODE.to_owned(),
                            message: format!(
                                "this process's Route 53 reads ({:.2}/s, kept for the failover's own calls) are queued {} ahead, past the {} timeout",
                                self.reads_per_second(),
                                humantime::format_duration(round_ms(slot - now)),
                                humantime::format_duration(patience)
                            ),
                        });
                    }
                    schedule.next_read = slot + schedule.spacing;
                    slot
                };
                tokio::time::sleep_until(slot).await;
                self.reads.fetch_add(1, Ordering::Relaxed);
                let result = call.await;
                self.after_read(&result);
                result
            }
        }
    }

    /// A throttled read pushes the next one back (doubling, with jitter, so processes that
    /// were throttled together do not retry together); a good one clears the back-off.
    fn after_read<T>(&self, result: &Result<T, BackendError>) {
        let mut schedule = self.schedule();
        match result {
            Err(error) if error.is_throttling() => {
                schedule.backoff = (schedule.backoff * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF);
                let jitter = schedule.backoff.mul_f64(jitter_share());
                schedule.next_read = schedule
                    .next_read
                    .max(Instant::now() + schedule.backoff + jitter);
            }
            _ => schedule.backoff = Duration::ZERO,
        }
    }
}

/// Between 0 and a half, different in each process and call (the clock's nanoseconds are
/// noise enough to spread retries; nothing here needs a random generator).
fn jitter_share() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    f64::from(nanos % 1000) / 2000.0
}

fn round_ms(duration: Duration) -> Duration {
    Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn throttled() -> BackendError {
        BackendError::Service {
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
        }
    }

    /// 100 pairs' reads at once: never more than the budget in any second, and a runbook's
    /// change made while they queue goes at once.
    #[tokio::test(start_paused = true)]
    async fn a_hundred_pairs_stay_within_the_read_budget_and_a_change_jumps_the_queue() {
        let budget = Arc::new(Route53Budget::default());
        let began = Instant::now();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..100 {
            let (budget, sent) = (Arc::clone(&budget), Arc::clone(&sent));
            reads.spawn(async move {
                budget
                    .send(Lane::Read, Duration::from_secs(600), async {
                        sent.lock().expect("sent").push(Instant::now());
                        Ok::<_, BackendError>(())
                    })
                    .await
            });
        }
        tokio::time::sleep(Duration::from_millis(10_500)).await;
        let changed_at = budget
            .send(Lane::Act, Duration::ZERO, async {
                Ok::<_, BackendError>(Instant::now())
            })
            .await
            .expect("the change");
        assert_eq!(
            changed_at - began,
            Duration::from_millis(10_500),
            "not delayed"
        );
        assert!(reads.join_all().await.iter().all(Result::is_ok));
        let sent = sent.lock().expect("sent").clone();
        assert_eq!(sent.len(), 100);
        for (n, at) in sent.iter().enumerate() {
            let in_the_second_after = sent
                .iter()
                .filter(|other| **other >= *at && **other - *at < Duration::from_secs(1))
                .count();
            assert_eq!(
                in_the_second_after, 1,
                "read {n} has company within a second"
            );
        }
        assert_eq!(
            budget.sent(),
            Route53Sent {
                reads: 100,
                acts: 1,
                refused: 0
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_queued_past_its_timeout_is_refused_at_once() {
        let budget = Route53Budget::default();
        for _ in 0..3 {
            budget
                .send(Lane::Read, Duration::from_secs(3), async {
                    Ok::<_, BackendError>(())
                })
                .await
                .expect("within budget");
        }
        let began = Instant::now();
        // Four reads already took the next three seconds.
        let queued = (0..3).map(|_| {
            budget.send(Lane::Read, Duration::from_secs(3), async {
                Ok::<_, BackendError>(())
            })
        });
        let refused = async {
            tokio::task::yield_now().await;
            budget
                .send(Lane::Read, Duration::from_millis(1500), async {
                    Ok::<_, BackendError>(())
                })
                .await
        };
        let (queued, refused) = tokio::join!(futures::future::join_all(queued), refused);
        assert!(queued.iter().all(Result::is_ok));
        let Err(BackendError::Service { code, message }) = refused else {
            panic!("refused: {refused:?}");
        };
        assert_eq!(code, "Route53ReadBudget");
        assert!(message.contains("1.00/s"), "{message}");
        assert!(began.elapsed() >= Duration::from_secs(2));
        assert_eq!(budget.sent().refused, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_reads_back_off_with_jitter_and_a_good_read_clears_it() {
        let budget = Route53Budget::new(5.0);
        let began = Instant::now();
        let _ = budget
            .send(Lane::Read, Duration::from_secs(60), async {
                Err::<(), _>(throttled())
            })
            .await;
        let _ = budget
            .send(Lane::Read, Duration::from_secs(60), async {
                Err::<(), _>(throttled())
            })
            .await;
        // The second waited the first back-off (1 s to 1.5 s).
        let waited = began.elapsed();
        assert!(
            waited >= Duration::from_secs(1) && waited <= Duration::from_millis(1500),
            "{waited:?}"
        );
        let before_third = Instant::now();
        budget
            .send(Lane::Read, Duration::from_secs(60), async {
                Ok::<_, BackendError>(())
            })
            .await
            .expect("answered");
        let waited = before_third.elapsed();
        assert!(
            waited >= Duration::from_secs(2) && waited <= Duration::from_secs(3),
            "doubled: {waited:?}"
        );
        let before_fourth = Instant::now();
        budget
            .send(Lane::Read, Duration::from_secs(60), async {
                Ok::<_, BackendError>(())
            })
            .await
            .expect("answered");
        assert!(
            before_fourth.elapsed() <= Duration::from_millis(200),
            "cleared"
        );
    }

    #[test]
    fn the_lowest_rate_any_pair_asks_for_holds() {
        let budget = Route53Budget::default();
        budget.limit_reads(3.0);
        assert!((budget.reads_per_second() - 1.0).abs() < 1e-9);
        budget.limit_reads(0.5);
        assert!((budget.reads_per_second() - 0.5).abs() < 1e-9);
    }
}
