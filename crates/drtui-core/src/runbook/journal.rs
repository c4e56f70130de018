//! The run journal's records (append-only JSONL, the source of truth for `resume`, `runs show`
//! and the incident review) and `RunSummary`, the one fold every view of a run reads.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// One store's figure when an approval was given ("dynamodb payment-transactions-prod
/// us-east-1 → us-east-2").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoreAtApproval {
    pub store: String,
    pub lag_ms: Option<f64>,
    /// Seconds between the reading's arrival and the approval.
    pub age_s: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        runbook: String,
        runbook_hash: String,
        pair: String,
        operator: String,
        mode: String,
        /// The runbook's file, when it was named by path (`resume` reads it from there).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    StepStarted {
        step: String,
        kind: String,
        #[serde(default)]
        inputs: serde_json::Value,
    },
    StepFinished {
        step: String,
        outcome: StepOutcome,
        detail: String,
    },
    /// What an action saw while it worked: a change set's changes, a stack event.
    StepProgress {
        step: String,
        detail: String,
    },
    Approved {
        step: String,
        by: String,
        how: String,
        /// The replication lag (data at risk) when the approval was given.
        data_at_risk_ms: Option<f64>,
        /// How old that figure was then (its datapoint's read), when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data_at_risk_age_s: Option<f64>,
        /// Every store a move out of the writer's region put at risk then, with its figure
        /// and how old the reading was.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stores: Vec<StoreAtApproval>,
    },
    GateBlocked {
        step: String,
    },
    Resumed {
        by: String,
    },
    /// The run goes on as another runbook from here (a switchover that could not finish,
    /// continued as a failover): every step of the new one runs against live state, its gates
    /// asked anew.
    Escalated {
        by: String,
        from: String,
        runbook: String,
        runbook_hash: String,
        mode: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Something the run's reader must know about how it ran (a new account's provision held
    /// this machine's lock only, its lock table not existing yet).
    Note {
        detail: String,
    },
    /// An operator removed this run's lock by hand (`drtui lock break`).
    LockBroken {
        by: String,
        reason: String,
    },
    RunFinished {
        outcome: RunOutcomeKind,
        detail: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Ok,
    Skipped,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcomeKind {
    Completed,
    Blocked,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub at: Timestamp,
    pub run_id: String,
    #[serde(flatten)]
    pub event: Event,
}

/// Whether an action's recorded inputs move the writer or the traffic. Inputs without a
/// mutation (older journals) count as moving: the cautious reading.
fn moves_writer_or_traffic(inputs: &serde_json::Value) -> bool {
    inputs
        .get("mutation")
        .and_then(serde_json::Value::as_str)
        .is_none_or(|mutation| !matches!(mutation, "deploy_stack" | "alarm_actions"))
}

/// What was read back, and whether the last line was torn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replay {
    pub records: Vec<Record>,
    pub truncated_tail: Option<String>,
    /// Lines before the last that are not records: `file:line: why`.
    pub damaged: Vec<String>,
}

/// Parses a journal's text: a last line that does not parse is reported as torn (a crash
/// mid-write), an earlier one as damaged; neither stops the rest being read. `origin` names the
/// file in those reports.
pub fn parse(text: &str, origin: &str) -> Replay {
    parse_bytes(text.as_bytes(), origin)
}

/// [`parse`] of a journal's bytes, as they are on disk: a line that is not UTF-8 is a damaged
/// line like any other (skipped and reported), never a reason to lose the whole run.
pub fn parse_bytes(bytes: &[u8], origin: &str) -> Replay {
    let mut replay = Replay::default();
    let lines: Vec<&[u8]> = bytes
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.trim_ascii().is_empty())
        .collect();
    for (index, line) in lines.iter().enumerate() {
        let parsed = std::str::from_utf8(line)
            .map_err(|error| format!("not UTF-8 text ({error})"))
            .and_then(|text| {
                serde_json::from_str::<Record>(text).map_err(|error| error.to_string())
            });
        match parsed {
            Ok(record) => replay.records.push(record),
            Err(_) if index + 1 == lines.len() => {
                replay.truncated_tail = Some(String::from_utf8_lossy(line).into_owned());
            }
            // A fragment glued before later records (written by an older drtui after a
            // crash), or bytes that are not text: skipped and reported, the rest of the run
            // still readable.
            Err(why) => replay
                .damaged
                .push(format!("{origin}:{}: {why}", index + 1)),
        }
    }
    replay
}

/// One journal line (without its newline).
pub fn line(record: &Record) -> Result<String, serde_json::Error> {
    serde_json::to_string(record)
}

/// How `run_started` introduced a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunHeader {
    pub at: Timestamp,
    pub runbook: String,
    pub runbook_hash: String,
    pub pair: String,
    pub operator: String,
    pub mode: String,
    /// The runbook's file, when it was named by path.
    pub source: Option<String>,
}

/// One step finish (or a gate left waiting), in journal order; a retried step has one per try.
#[derive(Clone, Debug, PartialEq)]
pub struct StepLine {
    pub step: String,
    pub kind: String,
    pub outcome: LineOutcome,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
    pub detail: String,
}

/// How a step line ended: finished, or a gate left waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineOutcome {
    Finished(StepOutcome),
    WaitingForApproval,
}

impl LineOutcome {
    /// Whether the step is behind the run (done or skipped), not where it stopped.
    pub fn passed(self) -> bool {
        matches!(
            self,
            LineOutcome::Finished(StepOutcome::Ok | StepOutcome::Skipped)
        )
    }
}

/// `ok`, `skipped`, `failed`, or `waiting for approval`, as timelines print it.
impl std::fmt::Display for LineOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineOutcome::Finished(outcome) => f.write_str(&crate::wire::wire_name(outcome)),
            LineOutcome::WaitingForApproval => f.write_str("waiting for approval"),
        }
    }
}

impl StepLine {
    /// How long the step took, when it both started and finished.
    pub fn seconds(&self) -> Option<f64> {
        Some(crate::clock::elapsed(self.started?, self.finished?).as_secs_f64())
    }
}

/// Where one step stands, as the live run view shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepState {
    Pending,
    Running,
    Ok,
    Skipped,
    Failed,
    /// Stopped at a gate nobody approved.
    Waiting,
}

/// One step's latest state, with when it last started and finished and its latest detail.
#[derive(Clone, Debug, PartialEq)]
pub struct StepProgress {
    pub state: StepState,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
    pub detail: String,
}

/// A run as its journal tells it: the one fold that `resume`, `runs list`, `runs show` and the
/// TUI's run view all read, record by record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunSummary {
    pub run_id: String,
    pub header: Option<RunHeader>,
    /// The last `run_finished`: how the latest attempt ended (a resume clears nothing; a later
    /// `run_finished` replaces it).
    pub finished: Option<(RunOutcomeKind, String)>,
    /// Steps that finished ok or skipped: never run again.
    pub done: BTreeSet<String>,
    /// Step finishes and gate blocks, in order.
    pub lines: Vec<StepLine>,
    /// Steps started, with when and their kind, in order.
    started: Vec<(String, Timestamp, String)>,
    /// Each step's latest state, by step id.
    progress: std::collections::BTreeMap<String, StepProgress>,
    /// The first and last record's instants.
    pub first_at: Option<Timestamp>,
    pub last_at: Option<Timestamp>,
    /// Whether an action step ever started: the run may have changed the estate.
    pub acted: bool,
    /// Whether an action that moves the writer or the traffic ever started (a deployment or
    /// an alarm-actions change does not): the run may have left the estate mid-move.
    pub moved: bool,
    /// When each gate or manual step was last approved.
    pub approvals: std::collections::BTreeMap<String, Timestamp>,
    /// The last failed step or run.
    pub last_failure: Option<Timestamp>,
    /// Seconds spent waiting at gates (from the gate's start to its approval or block).
    pub gate_wait_s: f64,
    /// Seconds between the run stopping (or, killed, its last record) and being resumed.
    pub idle_s: f64,
    gate_started: Option<Timestamp>,
    stopped_at: Option<Timestamp>,
}

impl RunSummary {
    /// Folds a whole journal.
    pub fn of(records: &[Record]) -> Self {
        let mut summary = Self::default();
        for record in records {
            summary.apply(record);
        }
        summary
    }

    /// Folds one more record.
    pub fn apply(&mut self, record: &Record) {
        self.run_id.clone_from(&record.run_id);
        self.first_at.get_or_insert(record.at);
        let previous = self.last_at.replace(record.at);
        match &record.event {
            Event::RunStarted {
                runbook,
                runbook_hash,
                pair,
                operator,
                mode,
                source,
            } => {
                self.header.get_or_insert_with(|| RunHeader {
                    at: record.at,
                    runbook: runbook.clone(),
                    runbook_hash: runbook_hash.clone(),
                    pair: pair.clone(),
                    operator: operator.clone(),
                    mode: mode.clone(),
                    source: source.clone(),
                });
            }
            Event::StepStarted { step, kind, inputs } => {
                self.started.push((step.clone(), record.at, kind.clone()));
                self.acted |= kind == "action";
                self.moved |= kind == "action" && moves_writer_or_traffic(inputs);
                self.gate_started = (kind == "gate" || kind == "manual").then_some(record.at);
                let progress = self.progress_mut(step);
                progress.state = StepState::Running;
                progress.started = Some(record.at);
            }
            Event::StepFinished {
                step,
                outcome,
                detail,
            } => self.step_finished(record.at, step, *outcome, detail),
            Event::GateBlocked { step } => {
                self.end_gate_wait(record.at);
                self.lines.push(StepLine {
                    step: step.clone(),
                    kind: "gate".to_owned(),
                    outcome: LineOutcome::WaitingForApproval,
                    started: None,
                    finished: None,
                    detail: String::new(),
                });
                let progress = self.progress_mut(step);
                progress.state = StepState::Waiting;
                progress.finished = Some(record.at);
                progress.detail = "not approved: resume from the journal".to_owned();
            }
            Event::RunFinished { outcome, detail } => {
                if *outcome == RunOutcomeKind::Failed {
                    self.last_failure = Some(record.at);
                }
                self.finished = Some((*outcome, detail.clone()));
                self.stopped_at = Some(record.at);
            }
            Event::Approved { step, .. } => {
                self.end_gate_wait(record.at);
                self.approvals.insert(step.clone(), record.at);
            }
            // The running step shows what it saw last (a stack event); its finish replaces it.
            Event::StepProgress { step, detail } => {
                detail.clone_into(&mut self.progress_mut(step).detail);
            }
            Event::LockBroken { .. } | Event::Note { .. } => {}
            Event::Resumed { .. } => self.resumed(record.at, previous),
            Event::Escalated {
                runbook,
                runbook_hash,
                mode,
                source,
                ..
            } => {
                self.resumed(record.at, previous);
                self.go_on_as(runbook, runbook_hash, mode, source.as_ref());
            }
        }
    }

    /// Idle until `at` since the run stopped, or, when it died without a word (kill -9, a
    /// crash), since its last record (`previous`): the last sign a process was running it.
    fn resumed(&mut self, at: Timestamp, previous: Option<Timestamp>) {
        if let Some(stopped) = self.stopped_at.take().or(previous) {
            // A gate it died at waited only until then.
            self.end_gate_wait(stopped);
            self.idle_s += crate::clock::elapsed(stopped, at).as_secs_f64();
        }
        self.finished = None;
    }

    /// The run is now one of `runbook`: every one of its steps runs, none of the old one's
    /// count as its own.
    fn go_on_as(&mut self, runbook: &str, hash: &str, mode: &str, source: Option<&String>) {
        if let Some(header) = &mut self.header {
            runbook.clone_into(&mut header.runbook);
            hash.clone_into(&mut header.runbook_hash);
            mode.clone_into(&mut header.mode);
            header.source = source.cloned();
        }
        self.done.clear();
    }

    fn step_finished(&mut self, at: Timestamp, step: &str, outcome: StepOutcome, detail: &str) {
        if matches!(outcome, StepOutcome::Ok | StepOutcome::Skipped) {
            self.done.insert(step.to_owned());
        }
        if outcome == StepOutcome::Failed {
            self.last_failure = Some(at);
        }
        self.end_gate_wait(at);
        let progress = self.progress_mut(step);
        progress.state = match outcome {
            StepOutcome::Ok => StepState::Ok,
            StepOutcome::Skipped => StepState::Skipped,
            StepOutcome::Failed => StepState::Failed,
        };
        progress.finished = Some(at);
        detail.clone_into(&mut progress.detail);
        let start = self.started.iter().rev().find(|(id, _, _)| id == step);
        self.lines.push(StepLine {
            step: step.to_owned(),
            kind: start.map(|(_, _, kind)| kind.clone()).unwrap_or_default(),
            outcome: LineOutcome::Finished(outcome),
            started: start.map(|(_, at, _)| *at),
            finished: Some(at),
            detail: detail.to_owned(),
        });
    }

    fn end_gate_wait(&mut self, at: Timestamp) {
        if let Some(began) = self.gate_started.take() {
            self.gate_wait_s += crate::clock::elapsed(began, at).as_secs_f64();
        }
    }

    /// Seconds the run was actually doing something: its total less gate waits and idle time
    /// between a stop and a resume. This is the figure to report as the RTO.
    pub fn active_seconds(&self) -> Option<f64> {
        Some((self.total_seconds()? - self.gate_wait_s - self.idle_s).max(0.0))
    }

    /// Approvals that do not carry over into a resume: given before a failure (the situation
    /// they approved has changed) or older than `window`.
    pub fn stale_approvals(&self, now: Timestamp, window: std::time::Duration) -> BTreeSet<String> {
        self.approvals
            .iter()
            .filter(|(_, at)| {
                self.last_failure.is_some_and(|failed| **at <= failed)
                    || crate::clock::elapsed(**at, now) > window
            })
            .map(|(step, _)| step.clone())
            .collect()
    }

    fn progress_mut(&mut self, step: &str) -> &mut StepProgress {
        self.progress
            .entry(step.to_owned())
            .or_insert_with(|| StepProgress {
                state: StepState::Pending,
                started: None,
                finished: None,
                detail: String::new(),
            })
    }

    /// Where `step` stands; `None` while the journal has not mentioned it (pending).
    pub fn progress(&self, step: &str) -> Option<&StepProgress> {
        self.progress.get(step)
    }

    /// The step that started last and never finished ok or skipped: re-checked on resume.
    pub fn in_flight(&self) -> Option<&str> {
        self.started
            .iter()
            .rev()
            .map(|(step, _, _)| step.as_str())
            .find(|step| !self.done.contains(*step))
    }

    /// `completed`, `blocked`, `failed`, or `unfinished` when the run never recorded an end.
    pub fn outcome_name(&self) -> String {
        self.finished.as_ref().map_or_else(
            || "unfinished".to_owned(),
            |(kind, _)| crate::wire::wire_name(kind),
        )
    }

    /// Wall time from the first record to the last.
    pub fn total_seconds(&self) -> Option<f64> {
        Some(crate::clock::elapsed(self.first_at?, self.last_at?).as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("valid")
    }

    fn record(secs: i64, event: Event) -> Record {
        Record {
            at: at(secs),
            run_id: "failover-1".into(),
            event,
        }
    }

    fn started(secs: i64, step: &str, kind: &str) -> Record {
        record(
            secs,
            Event::StepStarted {
                step: step.into(),
                kind: kind.into(),
                inputs: serde_json::Value::Null,
            },
        )
    }

    fn finished(secs: i64, step: &str, outcome: StepOutcome) -> Record {
        record(
            secs,
            Event::StepFinished {
                step: step.into(),
                outcome,
                detail: String::new(),
            },
        )
    }

    /// A failover that waited 60 s at its gate, failed an action, sat for an hour, and was
    /// resumed: 3 h of wall clock is not the RTO.
    fn interrupted() -> Vec<Record> {
        vec![
            record(
                0,
                Event::RunStarted {
                    runbook: "failover".into(),
                    runbook_hash: "h".into(),
                    pair: "demo".into(),
                    operator: "me".into(),
                    mode: "ungraceful".into(),
                    source: None,
                },
            ),
            started(0, "approve-promote", "gate"),
            record(
                60,
                Event::Approved {
                    step: "approve-promote".into(),
                    by: "me".into(),
                    how: "typed".into(),
                    data_at_risk_ms: Some(150.0),
                    data_at_risk_age_s: None,
                    stores: Vec::new(),
                },
            ),
            finished(60, "approve-promote", StepOutcome::Ok),
            started(60, "promote-secondary", "action"),
            finished(70, "promote-secondary", StepOutcome::Failed),
            record(
                70,
                Event::RunFinished {
                    outcome: RunOutcomeKind::Failed,
                    detail: "promote-secondary: refused".into(),
                },
            ),
            record(3_670, Event::Resumed { by: "me".into() }),
            started(3_670, "promote-secondary", "action"),
            finished(3_690, "promote-secondary", StepOutcome::Ok),
        ]
    }

    /// A run killed mid-wait (no record says it stopped) and resumed 30 s later: the dead time
    /// is idle, not the RTO, and the gate it was killed at waited only until its last record.
    #[test]
    fn the_time_a_killed_run_was_dead_is_idle() {
        let killed = vec![
            started(0, "promote", "action"),
            finished(10, "promote", StepOutcome::Ok),
            started(10, "approve-traffic", "gate"),
            record(40, Event::Resumed { by: "me".into() }),
            started(40, "approve-traffic", "gate"),
            record(
                45,
                Event::Approved {
                    step: "approve-traffic".into(),
                    by: "me".into(),
                    how: "typed".into(),
                    data_at_risk_ms: None,
                    data_at_risk_age_s: None,
                    stores: Vec::new(),
                },
            ),
            finished(45, "approve-traffic", StepOutcome::Ok),
            started(45, "wait-writer", "wait"),
            record(200, Event::Resumed { by: "me".into() }),
            started(200, "wait-writer", "wait"),
            finished(205, "wait-writer", StepOutcome::Ok),
        ];
        let summary = RunSummary::of(&killed);
        assert_eq!(summary.total_seconds(), Some(205.0));
        assert_eq!(summary.idle_s, 30.0 + 155.0);
        assert_eq!(summary.gate_wait_s, 5.0, "only the wait after the resume");
        assert_eq!(summary.active_seconds(), Some(15.0));
    }

    #[test]
    fn active_time_leaves_out_gate_waits_and_idle_time() {
        let summary = RunSummary::of(&interrupted());
        assert_eq!(summary.total_seconds(), Some(3_690.0));
        assert_eq!(summary.gate_wait_s, 60.0);
        assert_eq!(summary.idle_s, 3_600.0);
        assert_eq!(summary.active_seconds(), Some(30.0));
        assert!(summary.acted);
        assert!(
            summary.finished.is_none(),
            "a resumed run is unfinished again"
        );
    }

    #[test]
    fn approvals_before_a_failure_or_past_the_window_are_stale() {
        let summary = RunSummary::of(&interrupted());
        let window = std::time::Duration::from_secs(15 * 60);
        assert!(
            summary
                .stale_approvals(at(100), window)
                .contains("approve-promote"),
            "approved before the failure"
        );
        let mut records = interrupted();
        records.truncate(4);
        let fresh = RunSummary::of(&records);
        assert!(fresh.stale_approvals(at(120), window).is_empty());
        assert!(
            fresh
                .stale_approvals(at(60 + 16 * 60), window)
                .contains("approve-promote"),
            "older than the window"
        );
    }

    #[test]
    fn only_an_action_that_moves_writer_or_traffic_makes_a_run_a_move() {
        let started = |inputs: serde_json::Value| {
            record(
                0,
                Event::StepStarted {
                    step: "s".into(),
                    kind: "action".into(),
                    inputs,
                },
            )
        };
        let deploy = RunSummary::of(&[started(serde_json::json!({"mutation": "deploy_stack"}))]);
        assert!(deploy.acted && !deploy.moved);
        let weights = RunSummary::of(&[started(serde_json::json!({"mutation": "set_weights"}))]);
        assert!(weights.acted && weights.moved);
        // A journal from before inputs were recorded: read as a move, the cautious way.
        let old = RunSummary::of(&[started(serde_json::Value::Null)]);
        assert!(old.moved);
    }
}
