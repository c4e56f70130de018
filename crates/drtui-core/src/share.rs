//! A crowd's one poller: with `share = true`, the first drtui process on a pair takes a short
//! lease in the pair's lock table and polls AWS; it writes the newest update of every source
//! there each poll, and every other process on the pair reads that one item instead of
//! polling AWS. Each update keeps the time it was read, so staleness is judged on the shared
//! snapshot exactly as on a direct one. A run's checks never read it (they ask the backend).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::{Source, SourceUpdate};
use crate::ports::{BackendError, BoxFuture};

/// One drtui process polling (or wanting to poll) a shared pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poller {
    pub host: String,
    pub pid: u32,
    /// Unique to the process (host, pid and when it started): two processes never confuse
    /// their leases, even with a recycled pid.
    pub id: String,
}

/// What the poller writes each poll: the newest update of every source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedSnapshot {
    pub poller: Poller,
    pub written_at: Timestamp,
    pub updates: Vec<SourceUpdate>,
}

/// The shared item as read: who holds the lease, until when, and the snapshot it wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedItem {
    pub poller: Poller,
    pub expires_at: Timestamp,
    pub snapshot: Option<SharedSnapshot>,
}

impl SharedItem {
    /// Whether the poller's lease still runs at `now` (a dead poller's runs out).
    pub fn live(&self, now: Timestamp) -> bool {
        self.expires_at > now
    }
}

/// Where a reader's data comes from, for the screen ("shared from host-a 2 s ago").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SharedFrom {
    pub host: String,
    pub pid: u32,
    pub written_at: Timestamp,
}

impl SharedFrom {
    pub fn of(snapshot: &SharedSnapshot) -> Self {
        Self {
            host: snapshot.poller.host.clone(),
            pid: snapshot.poller.pid,
            written_at: snapshot.written_at,
        }
    }

    /// `shared from host-a 3 s ago`.
    pub fn line(&self, now: Timestamp) -> String {
        let secs = crate::clock::elapsed(self.written_at, now).as_secs();
        format!("shared from {} {secs} s ago", self.host)
    }
}

/// The port to the table holding the lease and the snapshot.
pub trait SharedPoll: Send + Sync {
    /// The item (lease holder and snapshot), if any: one read.
    fn read(&self) -> BoxFuture<'_, Result<Option<SharedItem>, BackendError>>;
    /// Takes the lease when it is free, expired or already `me`'s; false when another live
    /// poller holds it.
    fn take(&self, me: &Poller) -> BoxFuture<'_, Result<bool, BackendError>>;
    /// Writes the snapshot and renews the lease, if the lease is still the snapshot's
    /// poller's; false when it was lost.
    fn publish(&self, snapshot: &SharedSnapshot) -> BoxFuture<'_, Result<bool, BackendError>>;
    /// Gives the lease up (a poller that quits), if still `me`'s.
    fn release(&self, me: &Poller) -> BoxFuture<'_, Result<(), BackendError>>;
    /// How long a lease lasts without renewal: how long a dead poller's crowd waits.
    fn lease(&self) -> Duration;
    /// Where the item lives, for messages (`table in region`).
    fn describe(&self) -> String;
}

/// The lease for a pair polled every `poll_interval`: three polls (a poller renews each poll,
/// so one slow write does not lose it), at least 6 s.
pub fn lease_for(poll_interval: Duration) -> Duration {
    (poll_interval * 3).max(Duration::from_secs(6))
}

/// The updates of `snapshot` newer than what a reader has already taken (`seen`, by source);
/// `seen` is brought up to date.
pub fn newer(
    snapshot: &SharedSnapshot,
    seen: &mut BTreeMap<Source, Timestamp>,
) -> Vec<SourceUpdate> {
    snapshot
        .updates
        .iter()
        .filter(|update| {
            let newer = seen.get(&update.source).is_none_or(|at| update.at > *at);
            if newer {
                seen.insert(update.source, update.at);
            }
            newer
        })
        .cloned()
        .collect()
}

/// The snapshot a poller writes from the newest update of each source.
pub fn snapshot_of(
    poller: &Poller,
    written_at: Timestamp,
    latest: &BTreeMap<Source, SourceUpdate>,
) -> SharedSnapshot {
    SharedSnapshot {
        poller: poller.clone(),
        written_at,
        updates: latest.values().cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, SourceData};

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time")
    }

    fn update(source: Source, secs: i64) -> SourceUpdate {
        SourceUpdate {
            source,
            at: at(secs),
            result: Ok(SourceData::Identity(format!("read at {secs}"))),
        }
    }

    #[test]
    fn a_reader_takes_each_update_once_and_keeps_its_time() {
        let poller = Poller {
            host: "a".into(),
            pid: 1,
            id: "a:1:0".into(),
        };
        let mut latest = BTreeMap::new();
        latest.insert(Source::Identity, update(Source::Identity, 0));
        latest.insert(
            Source::Aurora(Role::Primary),
            update(Source::Aurora(Role::Primary), 1),
        );
        let mut seen = BTreeMap::new();
        let first = newer(&snapshot_of(&poller, at(2), &latest), &mut seen);
        assert_eq!(first.len(), 2);
        assert_eq!(
            first[0].at,
            at(1),
            "the time it was read, not the time it was shared"
        );
        latest.insert(
            Source::Aurora(Role::Primary),
            update(Source::Aurora(Role::Primary), 5),
        );
        let again = newer(&snapshot_of(&poller, at(6), &latest), &mut seen);
        assert_eq!(again, vec![update(Source::Aurora(Role::Primary), 5)]);
    }

    #[test]
    fn a_shared_update_comes_back_as_it_went() {
        let failed = SourceUpdate {
            source: Source::Metrics(Role::Secondary),
            at: at(3),
            result: Err(BackendError::Timeout(Duration::from_secs(3))),
        };
        let snapshot = SharedSnapshot {
            poller: Poller {
                host: "a".into(),
                pid: 1,
                id: "x".into(),
            },
            written_at: at(4),
            updates: vec![update(Source::Dns, 2), failed],
        };
        let text = serde_json::to_string(&snapshot).expect("json");
        let back: SharedSnapshot = serde_json::from_str(&text).expect("back");
        assert_eq!(back, snapshot);
    }

    #[test]
    fn a_lease_is_three_polls_and_at_least_six_seconds() {
        assert_eq!(lease_for(Duration::from_secs(5)), Duration::from_secs(15));
        assert_eq!(lease_for(Duration::from_secs(1)), Duration::from_secs(6));
    }
}
