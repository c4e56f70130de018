//! Hysteresis for the verdict: a new verdict or recommendation is shown only once the same
//! evidence has held on consecutive assessments spanning at least `hold` (a poll interval on
//! the dashboard), so one throttled or lost poll never flips the screen. A change for the
//! worse that rests on missing data (a source with no usable value, an unknown phase) must
//! hold three times as long: that is the absence of evidence, not evidence. A change between
//! known phases (the writer moved, a run started), or a run starting or ending that moves
//! nothing (provision), is a fact, not noise, and shows at once.

use std::time::Duration;

use crate::clock::{Timestamp, elapsed};
use crate::phase::Phase;
use crate::readiness::{CheckId, CheckStatus, Next, Readiness, Verdict};

/// Assessments in a row that must agree before the shown verdict changes.
pub(crate) const CONFIRMATIONS: u32 = 2;
/// How much longer a change for the worse must hold when it rests on missing data.
pub(crate) const GAP_HOLD_FACTOR: u32 = 3;

/// The assessment lacks data: some source has no usable value, or the phase is unknown.
fn rests_on_missing_data(readiness: &Readiness) -> bool {
    readiness.phase == Phase::Unknown
        || readiness
            .check(CheckId::DataFresh)
            .is_some_and(|check| check.status != CheckStatus::Pass)
}

/// What must agree: the verdict and the next step, within one phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    phase: Phase,
    verdict: Verdict,
    next: Next,
}

impl Key {
    fn worse_than(self, other: Key) -> bool {
        let rank = |verdict: Verdict| match verdict {
            Verdict::Ready => 0,
            Verdict::Degraded => 1,
            Verdict::NotReady => 2,
        };
        (self.phase == Phase::Unknown && other.phase != Phase::Unknown)
            || rank(self.verdict) > rank(other.verdict)
    }

    fn of(readiness: &Readiness) -> Self {
        Self {
            phase: readiness.phase,
            verdict: readiness.verdict,
            next: readiness.recommendation.next,
        }
    }
}

/// The verdict as shown, and the candidate that may replace it.
#[derive(Clone, Debug, Default)]
pub struct Settled {
    shown: Option<Readiness>,
    candidate: Option<(Key, u32, Timestamp)>,
    /// The shown verdict was made while sources were still loading: replaced at once.
    provisional: bool,
}

impl Settled {
    /// Shows an assessment made while sources are still loading (first poll): nothing has
    /// been shown with confidence yet, so there is nothing to hold on to.
    pub fn provisional(&mut self, fresh: Readiness) -> Readiness {
        self.candidate = None;
        self.provisional = true;
        self.shown = Some(fresh.clone());
        fresh
    }

    /// Folds one fresh assessment (made at `now`) in; returns what to show.
    pub fn settle(&mut self, fresh: Readiness, now: Timestamp, hold: Duration) -> Readiness {
        let key = Key::of(&fresh);
        let Some(shown) = self.shown.as_ref().filter(|_| !self.provisional) else {
            self.provisional = false;
            self.shown = Some(fresh.clone());
            return fresh;
        };
        let shown_key = Key::of(shown);
        let known_phases = key.phase != Phase::Unknown && shown_key.phase != Phase::Unknown;
        // A run starting or ending (the next step turns to or from "wait") is read from the
        // pair's lock and journal, not from a poll: a fact too, even when the phase stays.
        let run_started_or_ended = (key.next == Next::Wait) != (shown_key.next == Next::Wait);
        if key == shown_key
            || (known_phases && (key.phase != shown_key.phase || run_started_or_ended))
        {
            self.candidate = None;
            self.shown = Some(fresh.clone());
            return fresh;
        }
        let (seen, since) = match self.candidate {
            Some((candidate, count, since)) if candidate == key => (count + 1, since),
            _ => (1, now),
        };
        let needed = if rests_on_missing_data(&fresh) && key.worse_than(shown_key) {
            hold * GAP_HOLD_FACTOR
        } else {
            hold
        };
        if seen >= CONFIRMATIONS && elapsed(since, now) >= needed {
            self.candidate = None;
            self.shown = Some(fresh.clone());
            return fresh;
        }
        self.candidate = Some((key, seen, since));
        let mut kept = shown.clone();
        kept.settling = Some(format!(
            "{} / {} seen {seen} time(s) since {}: confirming ({})",
            fresh.verdict.as_str().replace('_', " ").to_uppercase(),
            fresh.recommendation.next.as_str(),
            since.format("%H:%M:%S"),
            fresh.recommendation.reason
        ));
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegionPair;
    use crate::model::{Source, SourceData};
    use crate::readiness::assess;
    use crate::readiness::tests::{health, healthy, set, t};

    #[test]
    fn one_contrary_assessment_does_not_flip_the_verdict_two_do() {
        let policy = RegionPair::demo().policy();
        let steady = assess(&healthy(), t(1), &policy);
        let mut outage = healthy();
        set(
            &mut outage,
            Source::HealthChecks,
            Ok(SourceData::HealthChecks(vec![
                health("us-east-1", false),
                health("us-east-2", true),
            ])),
        );
        // Replication has stalled too: only a failover can move.
        crate::readiness::tests::stalled_replication(&mut outage);
        let failing = assess(&outage, t(1), &policy);
        assert_eq!(failing.recommendation.next, Next::Failover);
        let hold = Duration::from_secs(5);
        let mut settled = Settled::default();
        let mut shown =
            |readiness: &Readiness, at: i64| settled.settle(readiness.clone(), t(at), hold);
        assert_eq!(shown(&steady, 0).recommendation.next, Next::Switchover);
        let first = shown(&failing, 5);
        assert_eq!(
            first.recommendation.next,
            Next::Switchover,
            "one poll is not evidence"
        );
        assert!(first.settling.is_some());
        // Back to steady: the candidate is forgotten.
        assert!(shown(&steady, 10).settling.is_none());
        assert_eq!(shown(&failing, 15).recommendation.next, Next::Switchover);
        // Seen twice, but within a second: not yet a poll interval of evidence.
        assert_eq!(shown(&failing, 16).recommendation.next, Next::Switchover);
        assert_eq!(shown(&failing, 20).recommendation.next, Next::Failover);
    }

    #[test]
    fn a_change_of_phase_shows_at_once() {
        let policy = RegionPair::demo().policy();
        let mut settled = Settled::default();
        let hold = Duration::from_secs(5);
        settled.settle(assess(&healthy(), t(1), &policy), t(1), hold);
        let mut moved = healthy();
        set(
            &mut moved,
            Source::GlobalCluster,
            Ok(SourceData::GlobalCluster(crate::readiness::tests::global(
                "us-east-1",
                Some("switching-over"),
            ))),
        );
        let shown = settled.settle(assess(&moved, t(1), &policy), t(2), hold);
        assert_eq!(shown.phase, Phase::Moving);
        assert_eq!(shown.recommendation.next, Next::Wait);
    }

    #[test]
    fn a_provision_run_starting_and_ending_shows_at_once() {
        let policy = RegionPair::demo().policy();
        let mut settled = Settled::default();
        let hold = Duration::from_secs(5);
        settled.settle(assess(&healthy(), t(1), &policy), t(1), hold);
        let provisioning = crate::phase::UnfinishedRun {
            run_id: "provision-1".into(),
            runbook: "provision".into(),
            state: "in_flight",
            step: Some("primary-api".into()),
            at: None,
            active: true,
            moves: false,
        };
        let during = crate::readiness::assess_with(&healthy(), t(2), &policy, Some(&provisioning));
        let shown = settled.settle(during, t(2), hold);
        assert_eq!(shown.phase, Phase::Steady, "provisioning moves nothing");
        assert_eq!(shown.recommendation.next, Next::Wait);
        assert!(
            shown
                .recommendation
                .reason
                .contains("run provision-1 (provision) in progress at primary-api")
        );
        let after = settled.settle(assess(&healthy(), t(3), &policy), t(3), hold);
        assert_eq!(after.recommendation.next, Next::Switchover);
    }
}
