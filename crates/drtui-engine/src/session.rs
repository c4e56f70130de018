//! Runs started from the dashboard: a handle with `start`, `answer_gate`, `pause` and `abort`,
//! and a stream of events back, so the UI never holds the engine's internals (gitui's way).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use crate::catalog;
use drtui_core::clock::Clock;
use drtui_core::config::RegionPair;
use drtui_core::ports::{ActBackend, StatusBackend};
use drtui_core::runbook::gate::GateQuestion;
use drtui_core::runbook::journal::Record;

use crate::engine::{Approvals, Engine, GateRequest};
use crate::playback::Playback;

/// One step as the run view lists it before the run begins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepSummary {
    pub id: String,
    pub title: String,
    /// The step kind's wire name (`check`, `gate`, ...).
    pub kind: String,
}

/// What a session reports back to the UI, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEvent {
    Started {
        runbook: String,
        steps: Vec<StepSummary>,
    },
    Record(Box<Record>),
    Gate(GateQuestion),
    /// The run could not start or stopped on an error (not an ordinary outcome, which arrives as
    /// a journal record).
    Ended(String),
}

/// Who is at the keyboard, as the journal records it. The dashboard opens before the AWS
/// caller is known (asking STS would delay the first frame by a round trip); it is filled in
/// a moment later, long before anyone can approve a gate.
#[derive(Clone, Debug)]
pub struct Operator(Arc<Mutex<String>>);

impl Operator {
    pub fn new(name: impl Into<String>) -> Self {
        Self(Arc::new(Mutex::new(name.into())))
    }

    pub fn get(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn set(&self, name: impl Into<String>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = name.into();
    }
}

/// Everything a run needs from the outside world.
pub struct SessionConfig {
    pub pair: RegionPair,
    pub status: Arc<dyn StatusBackend>,
    pub act: Arc<dyn ActBackend>,
    pub clock: Arc<dyn Clock>,
    /// Who approvals and skips are recorded as; may be learnt after the session starts.
    pub operator: Operator,
    pub read_only: bool,
    /// Where journals and locks live; runs are refused without one.
    pub state_dir: Option<PathBuf>,
    /// The pair's cross-machine lock, when it has a `lock_table`.
    pub remote_lock: Option<Arc<dyn drtui_core::ports::RemoteLock>>,
}

/// How a stopped run goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resume {
    /// From where it stopped; a failed step is retried after the fresh checks.
    Retry,
    /// Skipping the step it stopped at first, with the operator's reason.
    Skip { step: String, reason: String },
    /// As another runbook from where it is (a switchover continued as a failover).
    As(String),
}

/// The UI's handle on its runs.
pub struct RunSession {
    config: Arc<SessionConfig>,
    events: mpsc::UnboundedSender<SessionEvent>,
    gatekeeper: mpsc::Sender<GateRequest>,
    /// The reply to the gate now on screen, if any.
    pending_gate: Arc<Mutex<Option<oneshot::Sender<bool>>>>,
    /// Set by `pause`; the running engine stops before its next step.
    pause: Arc<AtomicBool>,
    /// A paused run keeps the pair until this dashboard resumes or releases it.
    hold: Arc<crate::playback::PauseHold>,
    /// The task playing the latest run: a new one starts only once it has let the pair go.
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl RunSession {
    /// A session and the stream of its events. Must be called inside a tokio runtime.
    pub fn new(config: SessionConfig) -> (Self, mpsc::UnboundedReceiver<SessionEvent>) {
        let (events, receiver) = mpsc::unbounded_channel();
        let (gatekeeper, mut requests) = mpsc::channel::<GateRequest>(1);
        let pending_gate: Arc<Mutex<Option<oneshot::Sender<bool>>>> = Arc::default();
        let forward_events = events.clone();
        let pending = Arc::clone(&pending_gate);
        tokio::spawn(async move {
            while let Some(GateRequest { question, reply }) = requests.recv().await {
                *pending
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(reply);
                if forward_events.send(SessionEvent::Gate(question)).is_err() {
                    break;
                }
            }
        });
        let session = Self {
            config: Arc::new(config),
            events,
            gatekeeper,
            pending_gate,
            pause: Arc::new(AtomicBool::new(false)),
            hold: Arc::default(),
            task: Mutex::new(None),
        };
        (session, receiver)
    }

    /// Starts the named runbook in the background; its journal records and gate questions come
    /// back as events, so the dashboard stays live beside the run.
    pub fn start(&self, name: &str) {
        let Some(state) = self.state_dir() else {
            return;
        };
        match catalog::find_with_hash(name) {
            Ok((_, runbook, hash)) => self.launch(runbook, hash, state, None),
            Err(error) => self.fail(error.to_string()),
        }
    }

    /// Continues a stopped run of this pair, as `drtui resume` does: finished steps stay done,
    /// checks on the destination and stale approvals are asked again, a failed step is retried
    /// (or, with `skip`, recorded as skipped by this operator with the reason first).
    pub fn resume(&self, run_id: &str, how: Resume) {
        let Some(state) = self.state_dir() else {
            return;
        };
        if let Resume::Skip { step, reason } = &how
            && let Err(error) = crate::playback::skip_step(
                &state,
                run_id,
                step,
                reason,
                &self.config.operator.get(),
                self.config.clock.now(),
            )
        {
            return self.fail(error.to_string());
        }
        // A paused run that still holds the pair here goes on under the same locks, unless it
        // goes on as another runbook (then `launch` lets it go first).
        if self.hold.holding() && !matches!(how, Resume::As(_)) {
            self.pause.store(false, Ordering::SeqCst);
            self.hold.decide(crate::playback::HoldDecision::Resume);
            return;
        }
        let prepared = (|| {
            let resumable = crate::playback::resumable(&state, run_id)?;
            if resumable.pair != self.config.pair.name {
                return Err(crate::playback::PlaybackError::Resume {
                    run_id: run_id.to_owned(),
                    reason: format!("it ran on pair `{}`", resumable.pair),
                });
            }
            let find = |name: &str| {
                catalog::find_with_hash(name).map_err(|error| {
                    crate::playback::PlaybackError::Resume {
                        run_id: run_id.to_owned(),
                        reason: error.to_string(),
                    }
                })
            };
            let (_, runbook, hash) = find(resumable.runbook_ref())?;
            crate::playback::ensure_same_runbook(&resumable, &hash)?;
            if let Resume::As(to) = &how {
                let (_, to, to_hash) = find(to)?;
                let escalated =
                    crate::playback::escalate(resumable, &runbook, &to, to_hash.clone())?;
                return Ok((to, to_hash, escalated));
            }
            Ok((runbook, hash, resumable))
        })();
        match prepared {
            Ok((runbook, hash, resumable)) => self.launch(runbook, hash, state, Some(resumable)),
            Err(error) => self.fail(error.to_string()),
        }
    }

    fn fail(&self, message: String) {
        let _ = self.events.send(SessionEvent::Ended(message));
    }

    fn state_dir(&self) -> Option<PathBuf> {
        let state = self.config.state_dir.clone();
        if state.is_none() {
            self.fail("no state directory for the run journal: set DRTUI_STATE_DIR".to_owned());
        }
        state
    }

    /// Plays `runbook` (from its start, or on from `resume`) in the background. A resumed run's
    /// earlier records are sent first, so the run view shows where it stood.
    fn launch(
        &self,
        runbook: drtui_core::runbook::step::Runbook,
        hash: String,
        state: PathBuf,
        resume: Option<crate::playback::Resumable>,
    ) {
        let steps = runbook
            .steps
            .iter()
            .map(|step| StepSummary {
                id: step.id.clone(),
                title: step.title.clone(),
                kind: drtui_core::wire::wire_name(&step.kind()),
            })
            .collect();
        let _ = self.events.send(SessionEvent::Started {
            runbook: runbook.name.clone(),
            steps,
        });
        if let Some(resume) = &resume
            && let Ok(path) = crate::journal_file::journal_path(&state, &resume.run_id)
            && let Ok(replay) = crate::journal_file::read(&path)
        {
            for record in replay.records {
                let _ = self.events.send(SessionEvent::Record(Box::new(record)));
            }
        }
        self.pause.store(false, Ordering::SeqCst);
        let config = Arc::clone(&self.config);
        let events = self.events.clone();
        let gatekeeper = self.gatekeeper.clone();
        let pause = Arc::clone(&self.pause);
        let hold = Arc::clone(&self.hold);
        let mut task = self
            .task
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let previous = task.take().filter(|previous| !previous.is_finished());
        if previous.is_some() {
            // Paused (or pausing) and holding the pair: let it go first.
            self.hold.decide(crate::playback::HoldDecision::Release);
        }
        *task = Some(tokio::spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            hold.forget();
            let player = Playback {
                engine: Engine {
                    pair: &config.pair,
                    runbook: &runbook,
                    status: config.status.as_ref(),
                    act: config.act.as_ref(),
                    clock: config.clock.as_ref(),
                    operator: config.operator.get(),
                    approvals: Approvals::default(),
                    read_only: config.read_only,
                    gatekeeper: Some(gatekeeper),
                    pause: Some(pause),
                },
                runbook_hash: hash,
                state,
                remote_lock: config.remote_lock.clone(),
                hold: Some(hold),
            };
            let records = events.clone();
            let mut forward = |record: &Record| {
                let _ = records.send(SessionEvent::Record(Box::new(record.clone())));
            };
            if let Err(error) = player.play(resume.as_ref(), &mut forward).await {
                // One line on screen: a refusal's list of denied calls, joined.
                let said = error.to_string().replace("\n  ", "; ");
                let _ = events.send(SessionEvent::Ended(said));
            }
        }));
    }

    /// Answers the gate now on screen (no-op when none is waiting).
    pub fn answer_gate(&self, approved: bool) {
        let reply = self
            .pending_gate
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(reply) = reply {
            let _ = reply.send(approved);
        }
    }

    /// Stops the run before its next step; `resume` continues from there.
    pub fn pause(&self) {
        self.pause.store(true, Ordering::SeqCst);
    }

    /// Declines the gate on screen and stops before the next step, letting the pair go.
    pub fn abort(&self) {
        self.pause();
        self.hold.decide(crate::playback::HoldDecision::Release);
        self.answer_gate(false);
    }

    /// The dashboard closes: a paused run it holds lets the pair go (its locks released, the
    /// run resumable from its journal), waited for a few seconds at most.
    pub async fn close(&self) {
        if !self.hold.holding() {
            return;
        }
        self.hold.decide(crate::playback::HoldDecision::Release);
        let task = self
            .task
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(task) = task {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }
}
