//! Hysteresis for the verdict: a new verdict or recommendation is shown only once the same
//! evidence has been seen on consecutive assessments, so one throttled or lost poll never
//! flips the screen. A change of phase (the writer moved, a run started) is a fact, not noise,
//! and shows at once.

use crate::phase::Phase;
use crate::readiness::{Next, Readiness, Verdict};

/// Assessments in a row that must agree before the shown verdict changes.
pub const CONFIRMATIONS: u32 = 2;

/// What must agree: the verdict and the next step, within one phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    phase: Phase,
    verdict: Verdict,
    next: Next,
}

impl Key {
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
    candidate: Option<(Key, u32)>,
}

impl Settled {
    /// Folds one fresh assessment in; returns what to show.
    pub fn settle(&mut self, fresh: Readiness) -> Readiness {
        let key = Key::of(&fresh);
        let Some(shown) = &self.shown else {
            self.shown = Some(fresh.clone());
            return fresh;
        };
        let shown_key = Key::of(shown);
        if key == shown_key || key.phase != shown_key.phase {
            self.candidate = None;
            self.shown = Some(fresh.clone());
            return fresh;
        }
        let seen = match self.candidate {
            Some((candidate, count)) if candidate == key => count + 1,
            _ => 1,
        };
        if seen >= CONFIRMATIONS {
            self.candidate = None;
            self.shown = Some(fresh.clone());
            return fresh;
        }
        self.candidate = Some((key, seen));
        let mut kept = shown.clone();
        kept.settling = Some(format!(
            "{} / {} seen {seen} of {CONFIRMATIONS} times: confirming ({})",
            fresh.verdict.as_str().replace('_', " ").to_uppercase(),
            fresh.recommendation.next.as_str(),
            fresh.recommendation.reason
        ));
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegionPair;
    use crate::model::{Role, Source, SourceData};
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
        let failing = assess(&outage, t(1), &policy);
        assert_eq!(failing.recommendation.next, Next::Failover);
        let mut settled = Settled::default();
        assert_eq!(
            settled.settle(steady.clone()).recommendation.next,
            Next::Switchover
        );
        let first = settled.settle(failing.clone());
        assert_eq!(
            first.recommendation.next,
            Next::Switchover,
            "one poll is not evidence"
        );
        assert!(first.settling.is_some());
        // Back to steady: the candidate is forgotten.
        assert!(settled.settle(steady).settling.is_none());
        assert_eq!(
            settled.settle(failing.clone()).recommendation.next,
            Next::Switchover
        );
        assert_eq!(settled.settle(failing).recommendation.next, Next::Failover);
        let _ = Role::Primary;
    }

    #[test]
    fn a_change_of_phase_shows_at_once() {
        let policy = RegionPair::demo().policy();
        let mut settled = Settled::default();
        settled.settle(assess(&healthy(), t(1), &policy));
        let mut moved = healthy();
        set(
            &mut moved,
            Source::GlobalCluster,
            Ok(SourceData::GlobalCluster(crate::readiness::tests::global(
                "us-east-1",
                Some("switching-over"),
            ))),
        );
        let shown = settled.settle(assess(&moved, t(1), &policy));
        assert_eq!(shown.phase, Phase::Moving);
        assert_eq!(shown.recommendation.next, Next::Wait);
    }
}
