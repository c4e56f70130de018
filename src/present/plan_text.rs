//! `drtui plan` as text: every step with its exact calls and notes, where it stops for a
//! person, and, in ungraceful mode, each step that needs the primary's control plane.

use std::fmt::Write as _;

use drtui_core::calls::Operation;
use drtui_core::config::RegionPair;
use drtui_core::runbook::plan::PlannedStep;
use drtui_core::runbook::spec::{Mode, StepKind};
use drtui_core::runbook::step::Runbook;
use drtui_core::wire::wire_name;

/// The plan as text. In ungraceful mode, every step that depends on the primary region's
/// control plane is called out now, not halfway through the run.
pub fn render(runbook: &Runbook, pair: &RegionPair, steps: &[PlannedStep]) -> String {
    let mut out = String::new();
    let gates: Vec<&str> = steps
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Gate | StepKind::Manual))
        .map(|step| step.id.as_str())
        .collect();
    let _ = writeln!(
        out,
        "Plan: {} on {} ({} -> {}), {} mode\n{}\nStops for a person at: {}\n",
        runbook.name,
        pair.name,
        pair.primary,
        pair.secondary,
        match runbook.mode {
            Mode::Graceful => "graceful",
            Mode::Ungraceful => "ungraceful",
        },
        runbook.description,
        if gates.is_empty() {
            "nothing".to_owned()
        } else {
            gates.join(", ")
        }
    );
    for (index, step) in steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>2}. [{}] {}: {}",
            index + 1,
            wire_name(&step.kind),
            step.id,
            step.title
        );
        for call in &step.calls {
            let _ = writeln!(out, "      call  {call}");
        }
        for note in &step.notes {
            let _ = writeln!(out, "      note  {note}");
        }
        if runbook.mode == Mode::Ungraceful
            && step.needs_region.as_deref() == Some(pair.primary.as_str())
        {
            let fallback = if step
                .calls
                .first()
                .is_some_and(|call| call.operation == Operation::ChangeResourceRecordSets)
            {
                "if it does not answer, this step fails and the data-plane lever step moves the traffic instead"
            } else {
                "if it does not answer, this step fails and the run stops there"
            };
            let _ = writeln!(
                out,
                "      WARN  needs the control plane of {} (the primary): {fallback}",
                pair.primary
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use drtui_core::runbook::plan::plan;
    use drtui_engine::catalog;

    #[test]
    fn failover_plan_names_the_exact_calls_and_every_stop() {
        let (_, runbook) = catalog::find("failover").expect("built-in");
        let pair = RegionPair::demo();
        let text = render(&runbook, &pair, &plan(&runbook, &pair));
        assert!(
            text.contains(
                "Stops for a person at: announce, confirm-primary-serving, approve-promote"
            ),
            "{text}"
        );
        assert!(text.contains(
            "rds:FailoverGlobalCluster (in us-east-2) GlobalClusterIdentifier=payment-global-demo \
             TargetDbClusterIdentifier=arn:aws:rds:us-east-2:<account>:cluster:payment-secondary-demo AllowDataLoss=true"
        ), "{text}");
        assert!(text.contains("DATA LOSS"), "{text}");
        assert!(text.contains(
            "route53:ChangeResourceRecordSets HostedZoneId=Z0DEMO00000000000001 Changes=[UPSERT api.payments-demo.example.com \
             SetIdentifier=primary Weight=0, UPSERT api.payments-demo.example.com SetIdentifier=secondary Weight=100]"
        ), "{text}");
        assert!(text.contains("states:StartExecution stateMachineArn=arn:aws:states:us-east-1:000000000000:stateMachine:PaymentDR-failover-demo name=<run id>-shift-traffic-sfn"), "{text}");
        // Ungraceful: Route 53's control plane is in us-east-1, the demo's primary.
        assert!(
            text.contains("WARN  needs the control plane of us-east-1 (the primary): if it does not answer, this step fails and the data-plane lever step moves the traffic instead"),
            "{text}"
        );
        assert!(
            text.contains("cloudwatch:PutMetricData (in us-east-2) Namespace=PaymentDR/Failover MetricName=PrimaryTrafficOff Dimensions=[Pair=demo] Value=1"),
            "{text}"
        );
    }
}
