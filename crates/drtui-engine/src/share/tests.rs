//! The shared poller on a paused clock with an in-memory table: a crowd makes one process's
//! calls, a dead poller's lease is taken over within one lease, a table that cannot be read
//! leaves each process polling AWS itself.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use drtui_core::model::SourceData;
use drtui_core::ports::{BackendError, BoxFuture};
use drtui_core::share::{SharedItem, SharedSnapshot};

use super::*;

use crate::poll::tests::TokioClock;

/// The lock table's item, in memory; a killed process's calls never answer.
struct Table {
    clock: Arc<dyn Clock>,
    item: Mutex<Option<SharedItem>>,
    killed: Mutex<Vec<String>>,
    unreachable: std::sync::atomic::AtomicBool,
    reads: AtomicUsize,
}

impl Table {
    fn new(clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            clock,
            item: Mutex::new(None),
            killed: Mutex::new(Vec::new()),
            unreachable: std::sync::atomic::AtomicBool::new(false),
            reads: AtomicUsize::new(0),
        })
    }

    fn lease(&self) -> Duration {
        Duration::from_secs(15)
    }

    fn holder(&self) -> Option<String> {
        let item = self.item.lock().expect("item");
        item.as_ref()
            .filter(|item| item.live(self.clock.now()))
            .map(|item| item.poller.id.clone())
    }

    /// A killed process: its pending calls hang, like a process that is gone.
    async fn alive(&self, me: &Poller) -> Result<(), BackendError> {
        if self.killed.lock().expect("killed").contains(&me.id) {
            std::future::pending::<()>().await;
        }
        if self.unreachable.load(Ordering::SeqCst) {
            return Err(BackendError::Unreachable {
                endpoint: "dynamodb".into(),
                message: "connection refused".into(),
            });
        }
        Ok(())
    }
}

impl SharedPoll for Table {
    fn read(&self) -> BoxFuture<'_, Result<Option<SharedItem>, BackendError>> {
        Box::pin(async move {
            if self.unreachable.load(Ordering::SeqCst) {
                return Err(BackendError::Unreachable {
                    endpoint: "dynamodb".into(),
                    message: "connection refused".into(),
                });
            }
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(self.item.lock().expect("item").clone())
        })
    }

    fn take(&self, me: &Poller) -> BoxFuture<'_, Result<bool, BackendError>> {
        let me = me.clone();
        Box::pin(async move {
            self.alive(&me).await?;
            let now = self.clock.now();
            let mut item = self.item.lock().expect("item");
            let free = item
                .as_ref()
                .is_none_or(|held| !held.live(now) || held.poller.id == me.id);
            if free {
                *item = Some(SharedItem {
                    poller: me,
                    expires_at: now + chrono::Duration::from_std(self.lease()).expect("lease"),
                    snapshot: None,
                });
            }
            Ok(free)
        })
    }

    fn publish(&self, snapshot: &SharedSnapshot) -> BoxFuture<'_, Result<bool, BackendError>> {
        let snapshot = snapshot.clone();
        Box::pin(async move {
            self.alive(&snapshot.poller).await?;
            let now = self.clock.now();
            let mut item = self.item.lock().expect("item");
            let ours = item
                .as_ref()
                .is_some_and(|held| held.poller.id == snapshot.poller.id);
            if ours {
                *item = Some(SharedItem {
                    poller: snapshot.poller.clone(),
                    expires_at: now + chrono::Duration::from_std(self.lease()).expect("lease"),
                    snapshot: Some(snapshot),
                });
            }
            Ok(ours)
        })
    }

    fn release(&self, me: &Poller) -> BoxFuture<'_, Result<(), BackendError>> {
        let me = me.clone();
        Box::pin(async move {
            self.alive(&me).await?;
            let mut item = self.item.lock().expect("item");
            if item.as_ref().is_some_and(|held| held.poller.id == me.id) {
                *item = None;
            }
            Ok(())
        })
    }

    fn lease(&self) -> Duration {
        Table::lease(self)
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

/// AWS as one process sees it: counts its fetches.
#[derive(Default)]
struct Aws {
    fetches: AtomicUsize,
}

impl StatusBackend for Aws {
    fn fetch(&self, source: Source) -> BoxFuture<'_, Result<SourceData, BackendError>> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(SourceData::Identity(format!("{source:?}"))) })
    }

    fn describe(&self) -> String {
        "aws".into()
    }

    fn call_counts(&self) -> drtui_core::model::CallCounts {
        drtui_core::model::CallCounts::new()
    }
}

/// One drtui process on the shared pair.
struct Process {
    aws: Arc<Aws>,
    control: PollControl,
    received: Arc<AtomicUsize>,
    cancel: CancellationToken,
    me: Poller,
}

fn start(name: &str, table: &Arc<Table>, clock: &Arc<dyn Clock>) -> Process {
    let aws = Arc::new(Aws::default());
    let me = Poller {
        host: name.to_owned(),
        pid: 1,
        id: format!("{name}:1:0"),
    };
    let (updates, mut inbox) = mpsc::channel(64);
    let received = Arc::new(AtomicUsize::new(0));
    let counting = Arc::clone(&received);
    tokio::spawn(async move {
        while inbox.recv().await.is_some() {
            counting.fetch_add(1, Ordering::SeqCst);
        }
    });
    let cancel = CancellationToken::new();
    let control = spawn_shared_pollers(
        Polling {
            backend: Arc::clone(&aws) as Arc<dyn StatusBackend>,
            clock: Arc::clone(clock),
            cadence: crate::poll::tests::default_cadence(),
            timeout: Duration::from_secs(3),
        },
        Shared {
            table: Arc::clone(table) as Arc<dyn SharedPoll>,
            me: me.clone(),
        },
        updates,
        cancel.clone(),
    );
    Process {
        aws,
        control,
        received,
        cancel,
        me,
    }
}

fn crowd() -> (Arc<Table>, Arc<dyn Clock>, Vec<Process>) {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_now());
    let table = Table::new(Arc::clone(&clock));
    let processes = ["a", "b", "c"]
        .iter()
        .map(|name| start(name, &table, &clock))
        .collect();
    (table, clock, processes)
}

#[tokio::test(start_paused = true)]
async fn three_processes_one_polls_and_two_read_its_snapshot() {
    let (table, clock, processes) = crowd();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let polling: Vec<&Process> = processes
        .iter()
        .filter(|process| process.aws.fetches.load(Ordering::SeqCst) > 0)
        .collect();
    assert_eq!(polling.len(), 1, "one process asks AWS");
    assert_eq!(table.holder(), Some(polling[0].me.id.clone()));
    assert_eq!(polling[0].control.sharing(), Sharing::Polling);
    for reader in processes
        .iter()
        .filter(|process| process.me != polling[0].me)
    {
        assert!(
            reader.received.load(Ordering::SeqCst) >= Source::all().len(),
            "{} has every source from the snapshot",
            reader.me.host
        );
        let Sharing::Reading(from) = reader.control.sharing() else {
            panic!("{}: {:?}", reader.me.host, reader.control.sharing());
        };
        assert_eq!(from.host, polling[0].me.host);
        assert!(
            elapsed(from.written_at, clock.now()) <= Duration::from_secs(5),
            "read within a poll"
        );
    }
    // Each reader reads the item about once a poll (60 s / 5 s), not once per source.
    let reads = table.reads.load(Ordering::SeqCst);
    assert!(reads <= 2 * 13 + 3, "{reads} reads");
    for process in &processes {
        process.cancel.cancel();
    }
}

#[tokio::test(start_paused = true)]
async fn a_dead_pollers_lease_is_taken_over_within_one_lease() {
    let (table, _clock, processes) = crowd();
    tokio::time::sleep(Duration::from_secs(12)).await;
    let poller = processes
        .iter()
        .find(|process| process.control.sharing() == Sharing::Polling)
        .expect("a poller");
    // Killed: it never writes or releases again, and stops asking AWS.
    table
        .killed
        .lock()
        .expect("killed")
        .push(poller.me.id.clone());
    poller.cancel.cancel();
    let died = tokio::time::Instant::now();
    let mut taken = None;
    while died.elapsed() < Duration::from_secs(40) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(holder) = table.holder()
            && holder != poller.me.id
        {
            taken = Some((holder, died.elapsed()));
            break;
        }
    }
    let (holder, after) = taken.expect("taken over");
    assert!(after <= table.lease(), "taken over after {after:?}");
    let successor = processes
        .iter()
        .find(|process| process.me.id == holder)
        .expect("a reader");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        successor.aws.fetches.load(Ordering::SeqCst) > 0,
        "it polls AWS now"
    );
    for process in &processes {
        process.cancel.cancel();
    }
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_table_leaves_each_process_polling_aws_itself() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_now());
    let table = Table::new(Arc::clone(&clock));
    table.unreachable.store(true, Ordering::SeqCst);
    let process = start("a", &table, &clock);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(process.aws.fetches.load(Ordering::SeqCst) > 0);
    let Sharing::Direct { why } = process.control.sharing() else {
        panic!("{:?}", process.control.sharing());
    };
    assert!(why.contains("connection refused"), "{why}");
    assert!(
        process
            .control
            .sharing()
            .line(clock.now())
            .is_some_and(|line| line.contains("polling AWS directly"))
    );
    // The table comes back: the process takes the lease and shares.
    table.unreachable.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(process.control.sharing(), Sharing::Polling);
    process.cancel.cancel();
}
