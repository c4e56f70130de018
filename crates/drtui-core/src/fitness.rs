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
                None => Err(unread(&region.region, &region.parity, now)),
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

/// Why a side's parity is not usable: never read, failed, or read too long ago.
fn unread(
    region: &str,
    observed: &crate::model::Observed<parity::RegionParity>,
    now: Timestamp,
) -> String {
    match (&observed.error, observed.age(now)) {
        (Some(error), _) => format!("{region} could not be read: {}", error.message()),
        (None, Some(age)) => format!(
            "{region} last read {} ago",
            crate::readiness::format_ms(age.as_secs_f64() * 1000.0)
        ),
        (None, None) => format!("{region} not read yet"),
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
        let why = match (&snapshot.permissions.error, snapshot.permissions.age(now)) {
            (Some(error), _) => format!("the simulation failed: {}", error.message()),
            (None, Some(age)) => format!(
                "last simulated {} ago",
                crate::readiness::format_ms(age.as_secs_f64() * 1000.0)
            ),
            (None, None) => "not simulated yet".to_owned(),
        };
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
