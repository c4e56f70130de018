//! Approvals: given before the run (`--approve`), or asked of the person at the TUI with the
//! exact calls approving lets run and the data at risk.

use drtui_core::model::Snapshot;
use drtui_core::ports::{ChangePreview, Mutation, ResourceChange};
use drtui_core::readiness::Readiness;
use drtui_core::runbook::evaluate;
use drtui_core::runbook::gate::GateQuestion;
use drtui_core::runbook::journal::Event;
use drtui_core::runbook::step::{Body, Step};

use super::{Engine, GateRequest};

impl Engine<'_> {
    /// How a step was approved before the run started (`--approve`, `--approve-all`), if it was.
    pub(super) fn preapproved(&self, step: &str) -> Option<String> {
        self.approvals.allows(step).then(|| {
            if self.approvals.all {
                "--approve-all".to_owned()
            } else {
                format!("--approve {step}")
            }
        })
    }

    /// The journal record of an approval, with the data at risk when it was given and how old
    /// that figure was (from `snapshot`, when the approval rests on one).
    pub(super) fn approved(
        &self,
        step: &str,
        how: String,
        readiness: &Readiness,
        snapshot: Option<&Snapshot>,
    ) -> Event {
        let stores = snapshot.map(|snapshot| {
            drtui_core::stores::at_approval(snapshot, self.clock.now(), &self.pair.policy())
        });
        Event::Approved {
            step: step.to_owned(),
            by: self.operator.clone(),
            how,
            data_at_risk_ms: readiness.data_at_risk_ms,
            data_at_risk_age_s: stores
                .as_ref()
                .and_then(|stores| stores.data_at_risk_age)
                .map(|age| age.as_secs_f64()),
            stores: stores.map(|stores| stores.stores).unwrap_or_default(),
        }
    }

    /// Why approving `step` would go beyond the pair's cap on accepted loss: only a gate before
    /// a data-loss action (up to the next gate) is held to it.
    pub(super) fn over_cap(&self, step: &Step, readiness: &Readiness) -> Option<String> {
        if !self.until_next_gate(step).any(Step::loses_data) {
            return None;
        }
        drtui_core::runbook::gate::over_cap(
            readiness.data_at_risk_ms,
            readiness.data_at_risk_store.as_deref(),
            self.pair.max_data_loss,
        )
    }

    /// The steps approving `step` lets run: those after it, up to the next gate.
    fn until_next_gate<'s>(&'s self, step: &'s Step) -> impl Iterator<Item = &'s Step> + 's {
        self.runbook
            .steps
            .iter()
            .skip_while(move |candidate| candidate.id != step.id)
            .skip(1)
            .take_while(|next| !matches!(next.body, Body::Gate { .. }))
    }

    /// The question of a gate or manual step: what approving lets run up to the next gate,
    /// exactly the calls the engine will make (the same mutations, bound to this run).
    pub(super) fn gate_question(
        &self,
        step: &Step,
        run_id: &str,
        readiness: &Readiness,
    ) -> GateQuestion {
        let until_next_gate: Vec<&Step> = self.until_next_gate(step).collect();
        let next = until_next_gate
            .iter()
            .filter_map(|step| {
                let mutation = evaluate::mutation(step, self.pair, run_id).ok()?;
                let calls = mutation.calls(self.pair);
                Some(
                    std::iter::once(step.title.clone())
                        .chain(calls.into_iter().map(|call| format!("  {call}"))),
                )
            })
            .flatten()
            .collect();
        GateQuestion {
            step: step.id.clone(),
            title: step.title.clone(),
            prompt: step.question().unwrap_or_default().to_owned(),
            data_at_risk_ms: readiness.data_at_risk_ms,
            loses_data_next: until_next_gate.iter().any(|step| step.loses_data()),
            next,
            next_are_changes: false,
            over_cap: self.over_cap(step, readiness),
        }
    }

    /// The gate before a change set that replaces or deletes: every change, destructive first.
    pub(super) fn destroys_question(
        &self,
        step: &Step,
        mutation: &Mutation,
        preview: &ChangePreview,
        readiness: &Readiness,
    ) -> GateQuestion {
        let mut changes: Vec<&ResourceChange> = preview.changes.iter().collect();
        changes.sort_by_key(|change| !change.destroys());
        GateQuestion {
            step: step.id.clone(),
            title: step.title.clone(),
            prompt: format!(
                "This change set replaces or deletes resources in {}. A replaced resource is a new one: the old one and its data go. Approve only if that is what you mean.",
                mutation
                    .control_region(self.pair)
                    .unwrap_or(&self.pair.primary)
            ),
            data_at_risk_ms: readiness.data_at_risk_ms,
            loses_data_next: false,
            next: changes.iter().map(|change| change.line()).collect(),
            next_are_changes: true,
            over_cap: None,
        }
    }

    /// How the step was approved: before the run, or by the person at the TUI, if there is
    /// one; `None` when nobody did.
    pub(super) async fn approval(
        &self,
        step: &str,
        question: impl FnOnce() -> GateQuestion,
    ) -> Option<String> {
        if let Some(how) = self.preapproved(step) {
            return Some(how);
        }
        let gatekeeper = self.gatekeeper.as_ref()?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        gatekeeper
            .send(GateRequest {
                question: question(),
                reply,
            })
            .await
            .ok()?;
        match answer.await {
            Ok(true) => Some(format!("typed `{}` in the TUI", self.pair.name)),
            _ => None,
        }
    }
}
