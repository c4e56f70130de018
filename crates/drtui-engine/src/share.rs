//! A crowd's one poller (see [`drtui_core::share`]): the process holding the pair's poller
//! lease runs the ordinary pollers and writes the newest update of every source to the table
//! each poll (which renews its lease); every other process reads that one item each poll and
//! passes on what is new, with the time each update was read. A reader wakes just after a
//! lease runs out and takes it over, so a dead poller's crowd waits one lease at most. When
//! the table cannot be read, the process polls AWS itself and says so.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use drtui_core::clock::{Clock, elapsed};
use drtui_core::model::{Source, SourceUpdate};
use drtui_core::ports::StatusBackend;
use drtui_core::share::{Poller, SharedFrom, SharedPoll, newer, snapshot_of};

use crate::poll::{Cadence, PollControl, spawn_pollers_under};

/// Where a shared pair's data comes from right now.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Sharing {
    /// Not a shared pair.
    #[default]
    Off,
    /// Looking for the item or the lease.
    Starting,
    /// This process holds the lease: it polls AWS and shares what it reads.
    Polling,
    /// Another process polls; this one reads its snapshot.
    Reading(SharedFrom),
    /// Another process holds the lease but has written no snapshot yet.
    Waiting { host: String },
    /// The table cannot be used: this process polls AWS itself.
    Direct { why: String },
}

impl Sharing {
    /// One line for the header and `status`, `None` when the pair is not shared.
    pub fn line(&self, now: drtui_core::clock::Timestamp) -> Option<String> {
        match self {
            Sharing::Off => None,
            Sharing::Starting => Some("shared: looking for the poller".to_owned()),
            Sharing::Polling => Some("shared: this process polls for the crowd".to_owned()),
            Sharing::Reading(from) => Some(from.line(now)),
            Sharing::Waiting { host } => Some(format!("shared from {host}: no snapshot yet")),
            Sharing::Direct { why } => Some(format!("not shared ({why}): polling AWS directly")),
        }
    }
}

impl Sharing {
    /// The same in a dozen columns, for a narrow header: `⇆ vm 6s`, `⇆ polling`, `⇆ direct`.
    pub fn short(&self, now: drtui_core::clock::Timestamp) -> Option<String> {
        let host = |host: &str| host.chars().take(8).collect::<String>();
        match self {
            Sharing::Off => None,
            Sharing::Starting => Some("⇆ …".to_owned()),
            Sharing::Polling => Some("⇆ polling".to_owned()),
            Sharing::Reading(from) => {
                let age = drtui_core::clock::elapsed(from.written_at, now).as_secs();
                Some(format!("⇆ {} {age}s", host(&from.host)))
            }
            Sharing::Waiting { host: name } => Some(format!("⇆ {} …", host(name))),
            Sharing::Direct { .. } => Some("⇆ direct".to_owned()),
        }
    }
}

/// A shared pair's table and this process's name in it.
#[derive(Clone)]
pub struct Shared {
    pub table: Arc<dyn SharedPoll>,
    pub me: Poller,
}

/// This process as a poller: host, pid and a start stamp that makes it unique.
pub fn this_process(clock: &dyn Clock) -> Poller {
    let host = crate::lock::host_name();
    let pid = std::process::id();
    let started = clock.now().timestamp_nanos_opt().unwrap_or_default();
    Poller {
        id: format!("{host}:{pid}:{started}"),
        host,
        pid,
    }
}

/// What a shared poller needs besides its table.
pub struct Polling {
    pub backend: Arc<dyn StatusBackend>,
    pub clock: Arc<dyn Clock>,
    pub cadence: Cadence,
    pub timeout: Duration,
}

impl Polling {
    /// The ordinary pollers under `control`, until `cancel` fires or the returned guard drops.
    fn start(
        &self,
        control: &PollControl,
        updates: mpsc::Sender<SourceUpdate>,
        cancel: &CancellationToken,
    ) -> tokio_util::sync::DropGuard {
        let pollers = cancel.child_token();
        spawn_pollers_under(
            control,
            Arc::clone(&self.backend),
            Arc::clone(&self.clock),
            self.cadence,
            self.timeout,
            updates,
            pollers.clone(),
        );
        pollers.drop_guard()
    }
}

/// Starts the shared poller of a pair: updates (read here or from the crowd's poller) go to
/// `updates` until `cancel` fires; the lease is given up on the way out.
pub fn spawn_shared_pollers(
    polling: Polling,
    shared: Shared,
    updates: mpsc::Sender<SourceUpdate>,
    cancel: CancellationToken,
) -> PollControl {
    let control = PollControl::default();
    control.set_sharing(Sharing::Starting);
    let supervising = control.clone();
    tokio::spawn(async move {
        supervise(&polling, &shared, &updates, &cancel, &supervising).await;
        let _ = shared.table.release(&shared.me).await;
    });
    control
}

/// How a turn as the poller ended.
enum Turn {
    Lost,
    Done,
}

async fn supervise(
    polling: &Polling,
    shared: &Shared,
    updates: &mpsc::Sender<SourceUpdate>,
    cancel: &CancellationToken,
    control: &PollControl,
) {
    let mut seen: BTreeMap<Source, drtui_core::clock::Timestamp> = BTreeMap::new();
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let read = tokio::select! {
            () = cancel.cancelled() => return,
            read = tokio::time::timeout(polling.timeout, shared.table.read()) => read,
        };
        let now = polling.clock.now();
        let pause = match read {
            Ok(Ok(Some(item))) if item.live(now) && item.poller.id != shared.me.id => {
                if let Some(snapshot) = &item.snapshot {
                    for update in newer(snapshot, &mut seen) {
                        if updates.send(update).await.is_err() {
                            return;
                        }
                    }
                    control.set_sharing(Sharing::Reading(SharedFrom::of(snapshot)));
                } else {
                    control.set_sharing(Sharing::Waiting {
                        host: item.poller.host.clone(),
                    });
                }
                // Next poll, or just after the lease runs out if that is sooner.
                let left = elapsed(now, item.expires_at) + Duration::from_millis(200);
                polling.cadence.poll.min(left)
            }
            Ok(Ok(_)) => match shared.table.take(&shared.me).await {
                Ok(true) => {
                    control.set_sharing(Sharing::Polling);
                    match poll_and_share(polling, shared, updates, cancel, control).await {
                        Turn::Done => return,
                        Turn::Lost => Duration::ZERO,
                    }
                }
                // Another process took it a moment ago: read its item.
                Ok(false) => Duration::from_millis(200),
                Err(error) => {
                    direct(polling, shared, updates, cancel, control, error.to_string()).await;
                    Duration::ZERO
                }
            },
            Ok(Err(error)) => {
                direct(polling, shared, updates, cancel, control, error.to_string()).await;
                Duration::ZERO
            }
            Err(_) => {
                let why = format!("the table did not answer within {:?}", polling.timeout);
                direct(polling, shared, updates, cancel, control, why).await;
                Duration::ZERO
            }
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Polls AWS with the ordinary pollers and publishes each poll; ends when the lease is lost
/// (another process took it after this one stalled) or on cancel.
async fn poll_and_share(
    polling: &Polling,
    shared: &Shared,
    updates: &mpsc::Sender<SourceUpdate>,
    cancel: &CancellationToken,
    control: &PollControl,
) -> Turn {
    let (sender, mut received) = mpsc::channel(256);
    let _stop = polling.start(control, sender, cancel);
    let mut latest: BTreeMap<Source, SourceUpdate> = BTreeMap::new();
    let mut publish = tokio::time::interval(polling.cadence.poll);
    publish.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Turn::Done,
            update = received.recv() => {
                let Some(update) = update else { return Turn::Done };
                latest.insert(update.source, update.clone());
                if updates.send(update).await.is_err() {
                    return Turn::Done;
                }
            }
            _ = publish.tick() => {
                let snapshot = snapshot_of(&shared.me, polling.clock.now(), &latest);
                match shared.table.publish(&snapshot).await {
                    Ok(true) => control.set_sharing(Sharing::Polling),
                    Ok(false) => return Turn::Lost,
                    Err(error) => {
                        // Still polling for this process; the crowd's copy goes stale, and
                        // says so by its age.
                        tracing::warn!(%error, "cannot write the shared snapshot");
                        control.set_sharing(Sharing::Direct { why: error.to_string() });
                    }
                }
            }
        }
    }
}

/// The table cannot be used: poll AWS directly, looking at the table again every lease;
/// returns (stopping these pollers) once it answers, for the caller to read or take it.
async fn direct(
    polling: &Polling,
    shared: &Shared,
    updates: &mpsc::Sender<SourceUpdate>,
    cancel: &CancellationToken,
    control: &PollControl,
    why: String,
) {
    tracing::warn!(why, "shared poller: polling AWS directly");
    control.set_sharing(Sharing::Direct { why });
    let _stop = polling.start(control, updates.clone(), cancel);
    let retry = drtui_core::share::lease_for(polling.cadence.poll);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(retry) => {}
        }
        match tokio::time::timeout(polling.timeout, shared.table.read()).await {
            Ok(Ok(_)) => return,
            Ok(Err(error)) => control.set_sharing(Sharing::Direct {
                why: error.to_string(),
            }),
            Err(_) => {}
        }
    }
}

/// One read of a shared pair for a one-shot `status`: the crowd's snapshot when a live poller
/// wrote one, else `None` (the caller polls AWS itself, without taking the lease).
pub async fn read_once(
    table: &dyn SharedPoll,
    clock: &dyn Clock,
    timeout: Duration,
) -> Option<(Vec<SourceUpdate>, SharedFrom)> {
    let item = tokio::time::timeout(timeout, table.read())
        .await
        .ok()?
        .ok()??;
    if !item.live(clock.now()) {
        return None;
    }
    let snapshot = item.snapshot?;
    let from = SharedFrom::of(&snapshot);
    Some((snapshot.updates, from))
}

#[cfg(test)]
mod tests;
