//! The verdict's checks of the standby's fitness and the operator's permissions: parity of
//! code, capacity, configuration and engine between the writer's region and the one a move
//! goes to (see [`crate::parity`]), and what the caller may do (see [`crate::permissions`]).
//! Unknown is never a pass: a side not read (or read too long ago) warns, saying why.

use crate::clock::Timestamp;
use crate::model::{Role, Snapshot};
use crate::parity::{self, Findings, Naming, Side};
use crate::permissions::Simulation;
use crate::readiness::{Check, CheckId, CheckStatus, Policy};

/// The fitness checks for a move from `from` to the other side.
pub(crate) fn checks(
    snapshot: &Snapshot,
    from: Role,
    now: Timestamp,
    policy: &Policy,
) -> Vec<Check> {
    let to = from.other();
    let naming = Naming {
        regions: Role::BOTH.map(|role| snapshot.region(role).region.clone()),
    };
    let compared = |id: CheckId, judge: fn(Side, Side, &Naming) -> Findings| {
        let side = |role: Role| {
            let region = snapshot.region(role);
            match region.parity.usable(now, policy.stale_after) {
                Some(parity) => Ok(Side {
                    region: &region.region,
                    parity,
                }),
                None => Err(unusable(&region.region, region.parity.meta(), now)),
            }
        };
        match (side(from), side(to)) {
            (Ok(writer), Ok(standby)) => verdict(
                id,
                &judge(writer, standby, &naming),
                pass_detail(id, writer, standby),
            ),
            (Err(why), _) | (_, Err(why)) => {
                check(id, CheckStatus::Warn, format!("unknown: {why}"))
            }
        }
    };
    vec![
        compared(CheckId::CodeParity, parity::code),
        compared(CheckId::CapacityParity, parity::capacity),
        compared(CheckId::ConfigParity, parity::config),
        engine_parity(snapshot, now, policy),
        operator_permissions(snapshot, now, policy),
    ]
}

fn check(id: CheckId, status: CheckStatus, detail: String) -> Check {
    Check { id, status, detail }
}

/// Why a slow source's value is not usable: never read, failed, or read too long ago.
fn unusable(what: &str, meta: crate::model::ObservedMeta, now: Timestamp) -> String {
    match (meta.error, meta.age(now)) {
        (Some(error), _) => format!("{what} could not be read: {}", error.message()),
        (None, Some(age)) => format!(
            "{what} last read {} ago",
            crate::readiness::format_ms(age.as_secs_f64() * 1000.0)
        ),
        (None, None) => format!("{what} not read yet"),
    }
}

/// Blocking findings fail, differences and unknowns warn, nothing found passes.
fn verdict(id: CheckId, findings: &Findings, pass: String) -> Check {
    let mut said: Vec<String> = findings.blocking.clone();
    said.extend(findings.differing.iter().cloned());
    said.extend(
        findings
            .unknown
            .iter()
            .map(|unknown| format!("unknown: {unknown}")),
    );
    let status = if !findings.blocking.is_empty() {
        CheckStatus::Fail
    } else if said.is_empty() {
        return check(id, CheckStatus::Pass, pass);
    } else {
        CheckStatus::Warn
    };
    check(id, status, said.join("; "))
}

/// What a pass rests on, counted.
fn pass_detail(id: CheckId, writer: Side, standby: Side) -> String {
    let p = standby.parity;
    match id {
        CheckId::CodeParity if p.functions.is_empty() => {
            "no function configured (lambda_functions): nothing compared".to_owned()
        }
        CheckId::CodeParity => format!(
            "{} function(s) in {} run the same code and settings as in {}",
            p.functions.len(),
            standby.region,
            writer.region
        ),
        CheckId::CapacityParity => format!(
            "{} instance(s) in {}, none smaller than {}'s largest; Lambda concurrency {}; {} stage(s) throttled alike",
            p.instances.as_ref().map_or(0, Vec::len),
            standby.region,
            writer.region,
            p.concurrency_limit
                .map_or("not compared".to_owned(), |limit| limit.to_string()),
            p.stages.len()
        ),
        _ => match &p.parameters {
            None => "no parameter_path configured: nothing compared".to_owned(),
            Some(parameters) => format!(
                "{} parameter(s) in {} match {}'s",
                parameters.len(),
                standby.region,
                writer.region
            ),
        },
    }
}

/// `engine_parity`: both clusters on one engine version (a switchover needs it; a failover
/// to an older engine runs the business on it).
fn engine_parity(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: CheckId = CheckId::EngineParity;
    match crate::switchover::engine_versions_match(snapshot, now, policy) {
        Ok(both) => check(ID, CheckStatus::Pass, both),
        Err(why) if why.contains("unknown") => {
            check(ID, CheckStatus::Warn, format!("unknown: {why}"))
        }
        Err(why) => check(ID, CheckStatus::Warn, why),
    }
}

/// `operator_permissions`: the caller may make every call a move needs on the pair's own
/// resources. A denied call fails (the run would stop at it); a simulation that could not be
/// made is unknown.
fn operator_permissions(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: CheckId = CheckId::OperatorPermissions;
    let Some(permissions) = snapshot.permissions.usable(now, policy.stale_after) else {
        let why = unusable(
            "the permission simulation",
            snapshot.permissions.meta(),
            now,
        );
        return check(ID, CheckStatus::Warn, format!("unknown: {why}"));
    };
    let principal = permissions.principal.as_deref().unwrap_or("the caller");
    match &permissions.answer {
        Simulation::Unknown { reason } => {
            check(ID, CheckStatus::Warn, format!("unknown: {reason}"))
        }
        Simulation::Checked { asked, denied } if denied.is_empty() => check(
            ID,
            CheckStatus::Pass,
            format!(
                "{principal} may make every call the runbooks make on this pair ({asked} call-resource pairs simulated)"
            ),
        ),
        Simulation::Checked { denied, .. } => check(
            ID,
            CheckStatus::Fail,
            format!(
                "{principal} is denied {}",
                crate::permissions::denial_lines(denied).join(", ")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegionPair;
    use crate::model::{Source, SourceData};
    use crate::permissions::{Denial, Permissions};
    use crate::readiness::tests::{global, healthy, parity_alike, set, t};

    fn judged(snapshot: &Snapshot) -> Vec<Check> {
        checks(snapshot, Role::Primary, t(1), &RegionPair::demo().policy())
    }

    fn find(checks: &[Check], id: CheckId) -> &Check {
        checks.iter().find(|check| check.id == id).expect("check")
    }

    #[test]
    fn twin_regions_and_an_allowed_caller_pass() {
        for check in judged(&healthy()) {
            assert_eq!(check.status, CheckStatus::Pass, "{check:?}");
        }
    }

    #[test]
    fn a_region_not_read_or_failed_is_unknown_never_a_pass() {
        let mut snapshot = healthy();
        set(
            &mut snapshot,
            Source::Parity(Role::Secondary),
            Err("AccessDeniedException: no"),
        );
        snapshot.regions[Role::Secondary.index()].parity.value = None;
        let checks = judged(&snapshot);
        let code = find(&checks, CheckId::CodeParity);
        assert_eq!(code.status, CheckStatus::Warn);
        assert!(
            code.detail
                .starts_with("unknown: us-east-2 could not be read: AccessDeniedException"),
            "{code:?}"
        );
        let mut never = RegionPair::demo().empty_snapshot();
        never.permissions = healthy().permissions;
        let checks = judged(&never);
        assert_eq!(
            find(&checks, CheckId::ConfigParity).detail,
            "unknown: us-east-1 not read yet"
        );
    }

    /// After a failover the standby is the primary: its code is compared with the secondary's.
    #[test]
    fn parity_is_judged_from_the_writers_side() {
        let mut snapshot = healthy();
        set(
            &mut snapshot,
            Source::GlobalCluster,
            Ok(SourceData::GlobalCluster(global("us-east-2", None))),
        );
        let mut old = parity_alike(Role::Primary);
        old.functions[1].code_sha256 = "0ld".into();
        set(
            &mut snapshot,
            Source::Parity(Role::Primary),
            Ok(SourceData::Parity(old)),
        );
        let checks = checks(
            &snapshot,
            Role::Secondary,
            t(1),
            &RegionPair::demo().policy(),
        );
        let code = find(&checks, CheckId::CodeParity);
        assert_eq!(code.status, CheckStatus::Warn);
        assert!(
            code.detail.starts_with(
                "transaction-processing-primary-demo differs from transaction-processing-secondary-demo in code"
            ),
            "{code:?}"
        );
    }

    #[test]
    fn a_headless_standby_fails_and_a_denied_promote_fails() {
        let mut snapshot = healthy();
        let mut headless = parity_alike(Role::Secondary);
        headless.instances = Some(Vec::new());
        set(
            &mut snapshot,
            Source::Parity(Role::Secondary),
            Ok(SourceData::Parity(headless)),
        );
        set(
            &mut snapshot,
            Source::Permissions,
            Ok(SourceData::Permissions(Permissions {
                principal: Some("arn:aws:iam::1:user/junior".into()),
                answer: Simulation::Checked {
                    asked: 10,
                    denied: vec![Denial {
                        action: "rds:FailoverGlobalCluster".into(),
                        resource: "arn:aws:rds::1:global-cluster:payment-global-demo".into(),
                        decision: "implicitDeny".into(),
                    }],
                },
            })),
        );
        let checks = judged(&snapshot);
        assert_eq!(
            find(&checks, CheckId::CapacityParity).status,
            CheckStatus::Fail
        );
        let permissions = find(&checks, CheckId::OperatorPermissions);
        assert_eq!(permissions.status, CheckStatus::Fail);
        assert_eq!(
            permissions.detail,
            "arn:aws:iam::1:user/junior is denied rds:FailoverGlobalCluster on arn:aws:rds::1:global-cluster:payment-global-demo (implicitDeny)"
        );
        let readiness = crate::readiness::assess(&snapshot, t(1), &RegionPair::demo().policy());
        assert_eq!(readiness.verdict, crate::readiness::Verdict::NotReady);
    }

    #[test]
    fn a_simulation_that_could_not_be_made_is_unknown() {
        let mut snapshot = healthy();
        set(
            &mut snapshot,
            Source::Permissions,
            Ok(SourceData::Permissions(Permissions {
                principal: None,
                answer: Simulation::Unknown {
                    reason: "iam:SimulatePrincipalPolicy was refused (AccessDenied: no)".into(),
                },
            })),
        );
        let checks = judged(&snapshot);
        let permissions = find(&checks, CheckId::OperatorPermissions);
        assert_eq!(permissions.status, CheckStatus::Warn);
        assert_eq!(
            permissions.detail,
            "unknown: iam:SimulatePrincipalPolicy was refused (AccessDenied: no)"
        );
    }
}
