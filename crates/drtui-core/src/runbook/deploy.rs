//! The pure half of `deploy_stack`: which of the pair's stacks a step deploys, its template
//! parameters with the pair's values filled in, the change set's name, and when a deployment
//! must be refused before any change set is made.

use std::collections::BTreeMap;
use std::time::Duration;

use super::step::{Deploy, Runbook};
use crate::clock::Timestamp;
use crate::config::RegionPair;
use crate::model::{Role, Snapshot};
use crate::ports::Mutation;

/// The pair's stack in `role` that `concern` names: the one whose name has it as a word
/// between hyphens (`Vpc` finds `TapStackprod-Vpc-primary` and `PaymentDR-Vpc-primary-demo`).
pub fn stack_name(pair: &RegionPair, role: Role, concern: &str) -> Result<String, String> {
    let wanted = concern.to_ascii_lowercase();
    let stacks = pair.stacks_in(role);
    let found: Vec<&String> = stacks
        .iter()
        .filter(|name| {
            name.split('-')
                .any(|word| word.to_ascii_lowercase() == wanted)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "pair `{}` lists no {concern} stack in {} (add its name to [pairs.{}.stacks]; listed: {})",
            pair.name,
            pair.region(role),
            pair.name,
            if stacks.is_empty() {
                "none".to_owned()
            } else {
                stacks.join(", ")
            }
        )),
        many => Err(format!(
            "more than one {concern} stack in {}: {}",
            pair.region(role),
            many.iter()
                .map(|name| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The step's parameters with `${environment_suffix}`, `${region:ROLE}` and the stack of
/// `${output:STACK:ROLE:KEY}` filled in from the pair. What only the backend can know (a file's
/// text, an output's value, whether a stack exists) stays a placeholder: `${file:..}`,
/// `${output:ROLE:NAME:KEY}`, `${exists:ROLE:NAME}`.
pub fn parameters(deploy: &Deploy, pair: &RegionPair) -> Result<BTreeMap<String, String>, String> {
    let mut resolved = BTreeMap::new();
    for (key, value) in &deploy.parameters {
        resolved.insert(
            key.clone(),
            fill(value, pair).map_err(|why| format!("{key}: {why}"))?,
        );
    }
    Ok(resolved)
}

fn fill(value: &str, pair: &RegionPair) -> Result<String, String> {
    substitute(value, |name| placeholder(name, pair))
}

/// The `${NAME}` placeholders of `value`, in order.
pub fn placeholder_names(value: &str) -> Vec<String> {
    let mut names = Vec::new();
    let _ = substitute(value, |name| {
        names.push(name.to_owned());
        Ok(String::new())
    });
    names
}

/// `value` with each `${NAME}` replaced by what `resolve` says of NAME.
pub fn substitute(
    value: &str,
    mut resolve: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            return Err(format!("`{value}` has an unclosed ${{"));
        };
        out.push_str(&resolve(&rest[start + 2..start + end])?);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A path under assets/, as runbooks name templates and `${file:..}`: relative, and never
/// climbing out with `..`. One rule for `validate`, `plan` and the backend that reads it.
pub fn asset_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.starts_with('/') || path.split('/').any(|part| part == "..") {
        Err(format!("`{path}` must be a path under assets/"))
    } else {
        Ok(())
    }
}

/// Whether a parameter value's placeholders are well formed, whatever the pair: known names,
/// `primary`/`secondary` roles, files under assets/. What `runbook validate` checks.
pub(crate) fn check_placeholders(value: &str) -> Result<(), String> {
    substitute(value, |name| {
        let parts: Vec<&str> = name.split(':').collect();
        match parts.as_slice() {
            ["environment_suffix" | "record_name" | "record_domain"] => Ok(String::new()),
            ["region", side] => role(side).map(|_| String::new()),
            ["file", path] => asset_path(path).map(|()| String::new()),
            ["output", stack, side, key] if !stack.is_empty() && !key.is_empty() => {
                role(side).map(|_| String::new())
            }
            ["exists", side, stack] if !stack.is_empty() => role(side).map(|_| String::new()),
            _ => Err(unknown_placeholder(name)),
        }
    })
    .map(|_| ())
}

fn unknown_placeholder(name: &str) -> String {
    format!(
        "unknown placeholder ${{{name}}} (known: environment_suffix, region:ROLE, record_name, record_domain, file:PATH, output:STACK:ROLE:KEY, exists:ROLE:STACK)"
    )
}

/// `primary` or `secondary`, as placeholders spell a side.
pub fn role(word: &str) -> Result<Role, String> {
    match word {
        "primary" => Ok(Role::Primary),
        "secondary" => Ok(Role::Secondary),
        other => Err(format!("`{other}` is neither primary nor secondary")),
    }
}

fn placeholder(name: &str, pair: &RegionPair) -> Result<String, String> {
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        ["environment_suffix"] => pair.environment_suffix.clone().ok_or_else(|| {
            format!(
                "pair `{}` has no environment_suffix (the suffix of every name in the estate, e.g. \"prod\")",
                pair.name
            )
        }),
        ["region", side] => Ok(pair.region(role(side)?).to_owned()),
        ["record_name"] => Ok(pair.record_name.clone()),
        // The zone the record lives in: the record name without its first label.
        ["record_domain"] => pair
            .record_name
            .split_once('.')
            .map(|(_, domain)| domain.to_owned())
            .ok_or_else(|| format!("record_name `{}` has no domain", pair.record_name)),
        ["file", path] => Ok(format!("${{file:{path}}}")),
        ["output", stack, side, key] => {
            let side = role(side)?;
            let name = stack_name(pair, side, stack)?;
            Ok(format!("${{output:{}:{name}:{key}}}", crate::wire::wire_name(&side)))
        }
        // "true" or "false" as the live estate says: only the backend knows.
        ["exists", side, stack] => {
            let side = role(side)?;
            let name = stack_name(pair, side, stack)?;
            Ok(format!("${{exists:{}:{name}}}", crate::wire::wire_name(&side)))
        }
        _ => Err(unknown_placeholder(name)),
    }
}

/// A change set name CloudFormation accepts (letters, digits, hyphens; a letter first; at
/// most 128), fixed by run and step so a retry or resume finds the one it made.
pub fn change_set_name(run_id: &str, step_id: &str) -> String {
    let raw = format!("drtui-{run_id}-{step_id}");
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(128)
        .collect()
}

/// The mutation of deploy step `step_id`, or why it cannot be built from the pair.
pub fn mutation(
    deploy: &Deploy,
    step_id: &str,
    pair: &RegionPair,
    run_id: &str,
) -> Result<Mutation, String> {
    Ok(Mutation::DeployStack {
        role: deploy.role,
        stack: stack_name(pair, deploy.role, &deploy.stack)?,
        template: deploy.template.clone(),
        parameters: parameters(deploy, pair)?,
        change_set: change_set_name(run_id, step_id),
    })
}

/// The deploy steps of `runbook` the pair cannot name (no such stack, no environment_suffix,
/// ...), as (step id, why): known before anything runs.
pub fn unbuildable<'a>(
    runbook: &'a Runbook,
    pair: &'a RegionPair,
) -> impl Iterator<Item = (&'a str, String)> + 'a {
    runbook.deploy_steps().filter_map(move |(step, deploy)| {
        mutation(deploy, &step.id, pair, "")
            .err()
            .map(|why| (step.id.as_str(), why))
    })
}

/// Why updating this stack now would do harm, if it would: a database stack that exists while
/// the writer is in the secondary (after a failover). Its template puts the writer in the
/// primary, and updating the global cluster from it can detach a member or move the writer
/// back in the middle of an incident.
pub fn refusal(
    deploy: &Deploy,
    pair: &RegionPair,
    snapshot: &Snapshot,
    now: Timestamp,
    max_age: Duration,
) -> Option<String> {
    let role = deploy.role;
    let stack = stack_name(pair, role, &deploy.stack).ok()?;
    let found = snapshot
        .region(role)
        .stacks
        .value
        .as_ref()?
        .iter()
        .find(|found| found.name == stack && found.exists())?;
    let database = found.is_database() || deploy.template.contains("database");
    if !database {
        return None;
    }
    let drift = snapshot.failover_drift(now, max_age)?;
    Some(format!(
        "refusing to update {stack}: {drift}. Its template would move the writer back to {} or detach a member. Fail back first (`{}`), or provision after the estate serves from {} again",
        pair.primary,
        pair.commands().run("failback"),
        pair.primary
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> RegionPair {
        let mut pair = RegionPair::demo();
        pair.environment_suffix = Some("demo".to_owned());
        pair
    }

    /// The deployment of a one-step runbook whose step `s` has these fields.
    fn step(yaml: &str) -> Deploy {
        let text = format!(
            "name: t\ndescription: t\nsteps:\n  - id: g\n    title: g\n    kind: gate\n    prompt: g\n  - id: s\n    title: s\n    kind: action\n    action: deploy_stack\n{yaml}"
        );
        let runbook = crate::runbook::validate::load(&text, "t.yaml").expect("valid");
        runbook.steps[1].deployment().expect("a deployment").clone()
    }

    #[test]
    fn the_concern_finds_the_pairs_stack_in_that_region() {
        let pair = pair();
        assert_eq!(
            stack_name(&pair, Role::Secondary, "Database").as_deref(),
            Ok("PaymentDR-Database-secondary-demo")
        );
        assert_eq!(
            stack_name(&pair, Role::Primary, "Route53").as_deref(),
            Ok("PaymentDR-Route53-demo")
        );
        let missing = stack_name(&pair, Role::Secondary, "Route53").unwrap_err();
        assert!(
            missing.contains("lists no Route53 stack in us-east-2"),
            "{missing}"
        );
    }

    #[test]
    fn placeholders_take_the_pairs_values_and_leave_the_backends_to_it() {
        let step = step(
            "    region: secondary\n    stack: Lambda\n    template: cfn/lambda.yaml\n    parameters:\n      EnvironmentSuffix: ${environment_suffix}\n      Code: ${file:lambda/notification/index.py}\n      Host: ${output:Api:primary:ApiHost}\n      Where: x-${region:secondary}\n",
        );
        let Ok(Mutation::DeployStack {
            stack,
            parameters,
            change_set,
            ..
        }) = mutation(&step, "s", &pair(), "run-1")
        else {
            panic!("a deploy mutation")
        };
        assert_eq!(stack, "PaymentDR-Lambda-secondary-demo");
        assert_eq!(parameters["EnvironmentSuffix"], "demo");
        assert_eq!(parameters["Code"], "${file:lambda/notification/index.py}");
        assert_eq!(
            parameters["Host"],
            "${output:primary:PaymentDR-Api-primary-demo:ApiHost}"
        );
        assert_eq!(parameters["Where"], "x-us-east-2");
        assert_eq!(change_set, "drtui-run-1-s");
    }

    #[test]
    fn a_pair_without_a_suffix_is_named() {
        let mut bare = pair();
        bare.environment_suffix = None;
        let step1 = step(
            "    stack: Vpc\n    template: cfn/network.yaml\n    parameters:\n      EnvironmentSuffix: ${environment_suffix}\n",
        );
        let why = mutation(&step1, "s", &bare, "r").unwrap_err();
        assert!(
            why.contains("EnvironmentSuffix: pair `demo` has no environment_suffix"),
            "{why}"
        );
        // An unknown placeholder never gets this far: `runbook validate` refuses it
        // (`placeholders_are_checked_without_a_pair`).
    }

    #[test]
    fn placeholders_are_checked_without_a_pair() {
        for good in [
            "plain",
            "${environment_suffix}",
            "x-${region:secondary}-y",
            "${file:lambda/notification/index.py}",
            "${output:Api:primary:ApiHost}",
            "${exists:primary:Storage}",
        ] {
            assert_eq!(check_placeholders(good), Ok(()), "{good}");
        }
        // Whether a stack exists is the backend's to say: the pair names the stack.
        assert_eq!(
            fill("${exists:primary:Storage}", &pair()),
            Ok("${exists:primary:PaymentDR-Storage-primary-demo}".to_owned())
        );
        for (bad, why) in [
            ("${nope}", "unknown placeholder ${nope}"),
            (
                "${region:tertiary}",
                "`tertiary` is neither primary nor secondary",
            ),
            ("${file:../../etc/passwd}", "must be a path under assets/"),
            ("${output:Api:primary}", "unknown placeholder"),
            (
                "${exists:elsewhere:Storage}",
                "neither primary nor secondary",
            ),
            ("${environment_suffix", "unclosed"),
        ] {
            let said = check_placeholders(bad).expect_err(bad);
            assert!(said.contains(why), "{bad}: {said}");
        }
    }

    #[test]
    fn placeholders_inside_text_are_found_and_filled_in_place() {
        let value =
            "https://${output:primary:PaymentDR-Api-primary-demo:ApiHost}/v1?f=${file:x.txt}";
        assert_eq!(
            placeholder_names(value),
            [
                "output:primary:PaymentDR-Api-primary-demo:ApiHost",
                "file:x.txt"
            ]
        );
        let filled = substitute(value, |name| {
            Ok(if name.starts_with("output:") {
                "h.example"
            } else {
                "F"
            }
            .to_owned())
        });
        assert_eq!(filled.as_deref(), Ok("https://h.example/v1?f=F"));
    }

    #[test]
    fn change_set_names_are_what_cloudformation_accepts() {
        let name = change_set_name("failover-20261125T101010Z-ab12", "primary_network");
        assert_eq!(name, "drtui-failover-20261125T101010Z-ab12-primary-network");
        assert!(change_set_name(&"x".repeat(300), "s").len() <= 128);
    }
}
