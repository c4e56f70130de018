//! Stacks by change set: a preview that says what would be added, modified, replaced or
//! removed before anything runs; the execution followed event by event; a failure named by the
//! resource that failed, with the rollback that followed.

use drtui_core::calls::Operation;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, ExecutionStatus, Parameter, StackEvent,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata as _;

use super::AwsBackend;
use drtui_core::model::{Role, StackStatus};
use drtui_core::ports::{ActOutcome, BackendError, ChangePreview, Report, ResourceChange};
use drtui_core::runbook::deploy::{placeholder_names, substitute};

/// How often a change set or a stack is re-read while CloudFormation works.
const POLL: Duration = Duration::from_secs(2);

/// What one deployment names: the stack, its template, its parameters, its change set.
pub struct Deployment<'a> {
    pub role: Role,
    pub stack: &'a str,
    pub template: &'a str,
    pub parameters: &'a BTreeMap<String, String>,
    pub change_set: &'a str,
}

/// CloudFormation's way of saying a change set is empty. It has no error code or status of its
/// own for this (a FAILED change set, or a ValidationError): its documented words are the only
/// signal, and this is the one place that reads them.
fn no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Why no change set can be made for a stack in `status`, with what to do instead.
fn stuck(stack: &str, status: &str) -> Option<String> {
    match status {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => Some(format!(
            "stack {stack} is {status}: its creation failed and CloudFormation cannot update it; delete it (aws cloudformation delete-stack --stack-name {stack}) and provision again"
        )),
        "UPDATE_ROLLBACK_FAILED" => Some(format!(
            "stack {stack} is UPDATE_ROLLBACK_FAILED: finish its rollback first (aws cloudformation continue-update-rollback --stack-name {stack}), then provision again"
        )),
        "DELETE_FAILED" => Some(format!(
            "stack {stack} is DELETE_FAILED: finish deleting it (or keep it and fix what blocked the delete) before provisioning"
        )),
        _ => None,
    }
}

/// One stack event as a line: `Cluster AWS::RDS::DBCluster CREATE_FAILED: reason`.
fn event_line(event: &StackEvent) -> String {
    let mut line = format!(
        "{} {} {}",
        event.logical_resource_id().unwrap_or_default(),
        event.resource_type().unwrap_or_default(),
        event
            .resource_status()
            .map(|status| status.as_str())
            .unwrap_or_default()
    );
    if let Some(reason) = event.resource_status_reason().filter(|r| !r.is_empty()) {
        line.push_str(": ");
        line.push_str(reason);
    }
    line
}

impl AwsBackend {
    /// The stack's status, `None` when it does not exist.
    async fn stack_status(&self, role: Role, stack: &str) -> Result<Option<String>, BackendError> {
        let client = &self.region_clients(role).cloudformation;
        let request = client.describe_stacks().stack_name(stack);
        match self.sent(Operation::DescribeStacks, request.send()).await {
            Ok(output) => Ok(output
                .stacks()
                .first()
                .and_then(|found| found.stack_status())
                .map(|status| status.as_str().to_owned())
                .filter(|status| status != "DELETE_COMPLETE")),
            // A missing stack is a ValidationError like any other: its message is the only
            // thing that says so.
            Err(error)
                if error
                    .as_service_error()
                    .and_then(|e| e.message())
                    .is_some_and(|m| m.contains("does not exist")) =>
            {
                Ok(None)
            }
            Err(error) => Err(self.error(role, error)),
        }
    }

    /// The stack's status once CloudFormation is done with it: a resumed run finds the stack
    /// still updating from the execution it started before it stopped, and no change set can
    /// be made until that ends. `None` when the stack does not exist.
    async fn settled_status(
        &self,
        role: Role,
        stack: &str,
    ) -> Result<Option<String>, BackendError> {
        loop {
            let status = self.stack_status(role, stack).await?;
            match status.as_deref() {
                Some(busy) if busy.ends_with("_IN_PROGRESS") && busy != "REVIEW_IN_PROGRESS" => {
                    tokio::time::sleep(POLL).await;
                }
                _ => return Ok(status),
            }
        }
    }

    /// Removes a change set of this name, if there is one (a stale one, or an empty one).
    async fn delete_change_set(&self, role: Role, stack: &str, change_set: &str) {
        let request = self
            .region_clients(role)
            .cloudformation
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set);
        let _ = self.sent(Operation::DeleteChangeSet, request.send()).await;
    }

    /// The template parameters with `${file:..}` read from assets and `${output:ROLE:STACK:KEY}`
    /// read from the live stack.
    async fn resolve_parameters(
        &self,
        parameters: &BTreeMap<String, String>,
    ) -> Result<Vec<Parameter>, BackendError> {
        let mut resolved = Vec::with_capacity(parameters.len());
        for (key, value) in parameters {
            let mut known = BTreeMap::new();
            for name in placeholder_names(value) {
                let found = self.placeholder(&name).await?;
                known.insert(name, found);
            }
            let value = substitute(value, |name| {
                known
                    .get(name)
                    .cloned()
                    .ok_or_else(|| format!("unresolved placeholder ${{{name}}}"))
            })
            .map_err(|why| BackendError::Refused(format!("parameter {key}: {why}")))?;
            resolved.push(
                Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build(),
            );
        }
        Ok(resolved)
    }

    /// What the backend alone can fill in: a file under assets/, a deployed stack's output.
    async fn placeholder(&self, name: &str) -> Result<String, BackendError> {
        if let Some(path) = name.strip_prefix("file:") {
            crate::assets::file(path).map_err(BackendError::Refused)
        } else if let Some(reference) = name.strip_prefix("output:") {
            self.stack_output(reference).await
        } else if let Some(reference) = name.strip_prefix("exists:") {
            self.stack_exists(reference).await
        } else {
            Err(BackendError::Refused(format!(
                "unresolved placeholder ${{{name}}}"
            )))
        }
    }

    /// `ROLE:STACK` -> "true" when the stack exists (created, not deleted), else "false".
    async fn stack_exists(&self, reference: &str) -> Result<String, BackendError> {
        let Some((side, stack)) = reference.split_once(':') else {
            return Err(BackendError::Refused(format!(
                "bad stack reference {reference}"
            )));
        };
        let (_, found) = self.one_stack(side, stack).await?;
        let exists = found.is_some_and(|found| {
            found
                .stack_status()
                .is_some_and(|status| status.as_str() != "DELETE_COMPLETE")
        });
        Ok(exists.to_string())
    }

    /// `ROLE:STACK:KEY` -> that output's value.
    async fn stack_output(&self, reference: &str) -> Result<String, BackendError> {
        let parts: Vec<&str> = reference.splitn(3, ':').collect();
        let [side, stack, key] = parts.as_slice() else {
            return Err(BackendError::Refused(format!(
                "bad output reference {reference}"
            )));
        };
        let (region, found) = self.one_stack(side, stack).await?;
        let value = found.as_ref().and_then(|found| {
            found
                .outputs()
                .iter()
                .find(|output| output.output_key() == Some(*key))
                .and_then(|output| output.output_value())
        });
        value.map(str::to_owned).ok_or_else(|| {
            BackendError::Refused(format!(
                "stack {stack} in {region} has no output {key} (deploy it first)"
            ))
        })
    }

    /// The region of side `side` (`primary`/`secondary`), and its stack `stack` as
    /// `DescribeStacks` has it (`None` when CloudFormation says it does not exist).
    async fn one_stack(
        &self,
        side: &str,
        stack: &str,
    ) -> Result<(String, Option<aws_sdk_cloudformation::types::Stack>), BackendError> {
        let role = drtui_core::runbook::deploy::role(side).map_err(BackendError::Refused)?;
        let found = self
            .call(
                Operation::DescribeStacks,
                role,
                self.region_clients(role)
                    .cloudformation
                    .describe_stacks()
                    .stack_name(stack)
                    .send(),
            )
            .await;
        let region = self.pair.region(role).to_owned();
        match found {
            Ok(output) => Ok((region, output.stacks().first().cloned())),
            // CloudFormation's word for a stack that is not there.
            Err(BackendError::Service { code, message })
                if code == "ValidationError" && message.contains("does not exist") =>
            {
                Ok((region, None))
            }
            Err(error) => Err(error),
        }
    }

    /// Makes the change set afresh (a stale one of the same name is deleted first) and waits
    /// until CloudFormation has computed it.
    pub(super) async fn preview_stack(
        &self,
        deployment: &Deployment<'_>,
    ) -> Result<ChangePreview, BackendError> {
        let Deployment {
            role,
            stack,
            template,
            parameters,
            change_set,
        } = *deployment;
        let body = crate::assets::template(template).map_err(BackendError::Refused)?;
        let parameters = self.resolve_parameters(parameters).await?;
        let status = self.settled_status(role, stack).await?;
        if let Some(why) = status.as_deref().and_then(|status| stuck(stack, status)) {
            return Err(BackendError::Refused(why));
        }
        // A stack left in REVIEW_IN_PROGRESS was never created: it takes a CREATE change set.
        let exists = status.as_deref().is_some_and(|s| s != "REVIEW_IN_PROGRESS");
        let client = &self.region_clients(role).cloudformation;
        if status.is_some() {
            self.delete_change_set(role, stack, change_set).await;
        }
        let request = client
            .create_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .change_set_type(if exists {
                ChangeSetType::Update
            } else {
                ChangeSetType::Create
            })
            .template_body(body)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .description("drtui provision");
        let created = self.sent(Operation::CreateChangeSet, request.send()).await;
        // AWS says "no changes" through the change set's status; some emulators refuse the
        // create instead. Either way the stack already matches.
        if let Err(error) = created {
            if error.message().is_some_and(no_changes) {
                return Ok(ChangePreview {
                    exists,
                    changes: Vec::new(),
                });
            }
            return Err(self.error(role, error));
        }
        self.read_change_set(role, stack, change_set, exists).await
    }

    /// Waits until CloudFormation has computed the change set, then reads all its changes; an
    /// empty one is deleted and reported as no changes.
    async fn read_change_set(
        &self,
        role: Role,
        stack: &str,
        change_set: &str,
        exists: bool,
    ) -> Result<ChangePreview, BackendError> {
        let client = &self.region_clients(role).cloudformation;
        let mut changes = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let request = client
                .describe_change_set()
                .stack_name(stack)
                .change_set_name(change_set)
                .set_next_token(next_token.clone());
            let described = self
                .call(Operation::DescribeChangeSet, role, request.send())
                .await?;
            match described.status() {
                Some(ChangeSetStatus::CreateComplete) => {}
                Some(ChangeSetStatus::Failed) => {
                    let reason = described.status_reason().unwrap_or_default();
                    if no_changes(reason) {
                        self.delete_change_set(role, stack, change_set).await;
                        return Ok(ChangePreview {
                            exists,
                            changes: Vec::new(),
                        });
                    }
                    return Err(BackendError::Refused(format!(
                        "change set for {stack} failed: {reason}"
                    )));
                }
                _ => {
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            }
            changes.extend(described.changes().iter().filter_map(|change| {
                let resource = change.resource_change()?;
                Some(ResourceChange {
                    action: resource.action()?.as_str().to_owned(),
                    logical_id: resource.logical_resource_id()?.to_owned(),
                    resource_type: resource.resource_type().unwrap_or_default().to_owned(),
                    replacement: resource
                        .replacement()
                        .map(|r| r.as_str().to_owned())
                        .unwrap_or_default(),
                })
            }));
            next_token = described.next_token().map(str::to_owned);
            if next_token.is_none() {
                return Ok(ChangePreview { exists, changes });
            }
        }
    }

    /// Executes the change set the preview made (making it again if it is gone, as after a
    /// resume), then follows the stack until it settles, reporting each new event.
    pub(super) async fn deploy_stack(
        &self,
        deployment: &Deployment<'_>,
        report: &Report,
    ) -> Result<ActOutcome, BackendError> {
        let Deployment {
            role,
            stack,
            change_set,
            ..
        } = *deployment;
        let client = &self.region_clients(role).cloudformation;
        let request = client
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(change_set);
        let execution = match self
            .sent(Operation::DescribeChangeSet, request.send())
            .await
        {
            Ok(described) => described.execution_status().cloned(),
            Err(_) => None,
        };
        if execution.is_none() && self.preview_stack(deployment).await?.changes.is_empty() {
            return Ok(ActOutcome {
                changed: false,
                detail: format!("stack {stack} already matches its template (empty change set)"),
            });
        }
        let before = self.event_ids(role, stack).await;
        if !matches!(
            execution,
            Some(ExecutionStatus::ExecuteInProgress | ExecutionStatus::ExecuteComplete)
        ) {
            let request = client
                .execute_change_set()
                .stack_name(stack)
                .change_set_name(change_set);
            self.call(Operation::ExecuteChangeSet, role, request.send())
                .await?;
        }
        self.follow(role, stack, before, report).await
    }

    async fn event_ids(&self, role: Role, stack: &str) -> BTreeSet<String> {
        let request = self
            .region_clients(role)
            .cloudformation
            .describe_stack_events()
            .stack_name(stack);
        self.sent(Operation::DescribeStackEvents, request.send())
            .await
            .map(|events| {
                events
                    .stack_events()
                    .iter()
                    .filter_map(|event| event.event_id().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Reports each new stack event until the stack settles; a failure names the first resource
    /// that failed and what the rollback did.
    async fn follow(
        &self,
        role: Role,
        stack: &str,
        mut seen: BTreeSet<String>,
        report: &Report,
    ) -> Result<ActOutcome, BackendError> {
        let client = &self.region_clients(role).cloudformation;
        let mut first_failure: Option<String> = None;
        let mut rollback: Vec<String> = Vec::new();
        let mut count = 0usize;
        loop {
            let request = client.describe_stack_events().stack_name(stack);
            if let Ok(events) = self
                .sent(Operation::DescribeStackEvents, request.send())
                .await
            {
                for event in events.stack_events().iter().rev() {
                    if !seen.insert(event.event_id().unwrap_or_default().to_owned()) {
                        continue;
                    }
                    count += 1;
                    let line = event_line(event);
                    let status = event
                        .resource_status()
                        .map(|status| status.as_str())
                        .unwrap_or_default();
                    // Everything after the first failure is CloudFormation undoing the change.
                    if first_failure.is_some() {
                        rollback.push(line.clone());
                    } else if status.ends_with("_FAILED") {
                        first_failure = Some(line.clone());
                    }
                    report(line);
                }
            }
            let status = self.stack_status(role, stack).await?.unwrap_or_default();
            if status.ends_with("_IN_PROGRESS") {
                tokio::time::sleep(POLL).await;
            } else if StackStatus::settled(&status) {
                return Ok(ActOutcome {
                    changed: true,
                    detail: format!("stack {stack} {status} ({count} events)"),
                });
            } else {
                return Err(BackendError::Refused(drtui_core::ports::stack_failure(
                    stack,
                    &status,
                    first_failure.as_deref(),
                    &rollback,
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_cloudformation_cannot_update_is_refused_with_what_to_do() {
        let failed = stuck("PaymentDR-Vpc-primary-prod", "ROLLBACK_COMPLETE").expect("refused");
        assert!(
            failed.contains("delete-stack --stack-name PaymentDR-Vpc-primary-prod"),
            "{failed}"
        );
        assert!(
            stuck("s", "UPDATE_ROLLBACK_FAILED")
                .is_some_and(|why| why.contains("continue-update-rollback"))
        );
        assert_eq!(
            stuck("s", "UPDATE_ROLLBACK_COMPLETE"),
            None,
            "an update that rolled back can be retried"
        );
        assert_eq!(stuck("s", "CREATE_COMPLETE"), None);
    }
}
