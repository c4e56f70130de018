//! The act side on AWS: each mutation first reads live state and does nothing when it already
//! holds, so a retried or resumed step never repeats a promote or starts a second execution.

use drtui_core::calls::Operation;
use std::time::Duration;

use super::AwsBackend;
use super::deploy::Deployment;
use super::route53_budget::Lane;
use drtui_core::model::{Role, Source, SourceData};
use drtui_core::ports::{
    ActBackend, ActOutcome, BackendError, BoxFuture, ChangePreview, Mutation, Report,
};

/// How often a started change is re-read while waiting for it to finish.
const CHANGE_POLL: Duration = Duration::from_secs(2);

fn unchanged(detail: String) -> Result<ActOutcome, BackendError> {
    Ok(ActOutcome {
        changed: false,
        detail,
    })
}

fn changed(detail: String) -> Result<ActOutcome, BackendError> {
    Ok(ActOutcome {
        changed: true,
        detail,
    })
}

impl AwsBackend {
    /// Both weighted records set in one change batch (traffic never goes nowhere in between),
    /// then followed until INSYNC; nothing when they already hold.
    async fn set_weights(&self, primary: u8, secondary: u8) -> Result<ActOutcome, BackendError> {
        use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch};
        let records = self.weighted_records(Lane::Act).await?;
        let mut changes = Vec::new();
        for (role, weight) in [(Role::Primary, primary), (Role::Secondary, secondary)] {
            let record = self.record_of(&records, role).ok_or_else(|| {
                BackendError::Refused(format!(
                    "no weighted record {} with set identifier {}",
                    self.pair.record_name,
                    self.pair
                        .set_identifiers
                        .get(self.pair.region(role))
                        .map_or("(none configured)", String::as_str)
                ))
            })?;
            if record.weight() == Some(i64::from(weight)) {
                continue;
            }
            let mut updated = record.clone();
            updated.weight = Some(i64::from(weight));
            changes.push(
                Change::builder()
                    .action(ChangeAction::Upsert)
                    .resource_record_set(updated)
                    .build()
                    .map_err(|error| BackendError::Refused(error.to_string()))?,
            );
        }
        if changes.is_empty() {
            return unchanged(format!("weights already {primary}/{secondary}"));
        }
        let batch = ChangeBatch::builder()
            .set_changes(Some(changes))
            .comment(format!("drtui: weights {primary}/{secondary}"))
            .build()
            .map_err(|error| BackendError::Refused(error.to_string()))?;
        let request = self
            .clients
            .route53
            .change_resource_record_sets()
            .hosted_zone_id(&self.pair.hosted_zone_id)
            .change_batch(batch)
            .send();
        let change = self
            .route53_call(Lane::Act, Operation::ChangeResourceRecordSets, request)
            .await?;
        self.until_insync(change.change_info().cloned()).await?;
        changed(format!("weights now {primary}/{secondary}; change INSYNC"))
    }

    /// Re-reads a Route 53 change until it is INSYNC.
    async fn until_insync(
        &self,
        mut info: Option<aws_sdk_route53::types::ChangeInfo>,
    ) -> Result<(), BackendError> {
        use aws_sdk_route53::types::ChangeStatus;
        while let Some(current) = info
            .as_ref()
            .filter(|info| info.status() != &ChangeStatus::Insync)
        {
            tokio::time::sleep(CHANGE_POLL).await;
            let request = self.clients.route53.get_change().id(current.id()).send();
            info = self
                .route53_call(Lane::Act, Operation::GetChange, request)
                .await?
                .change_info()
                .cloned();
        }
        Ok(())
    }

    async fn move_writer(
        &self,
        target: Role,
        failover: Option<bool>,
    ) -> Result<ActOutcome, BackendError> {
        let SourceData::GlobalCluster(global) = self.global_cluster().await? else {
            return Err(BackendError::Refused("no global cluster".to_owned()));
        };
        let target_region = self.pair.region(target);
        if let Some(state) = &global.failover_state {
            return if state.to_region.as_deref() == Some(target_region) {
                unchanged(format!(
                    "{} to {target_region} already in progress",
                    state.status
                ))
            } else {
                Err(BackendError::Refused(format!(
                    "{} already in progress on {}",
                    state.status, global.id
                )))
            };
        }
        if global.writer_region() == Some(target_region) {
            return unchanged(format!(
                "{} is already the writer",
                self.pair.cluster(target)
            ));
        }
        let arn = global
            .member_in(target_region)
            .and_then(|member| member.arn.clone())
            .ok_or_else(|| {
                BackendError::Refused(format!("{} has no member in {target_region}", global.id))
            })?;
        let client = &self.region_clients(target).rds;
        match failover {
            None => {
                let request = client
                    .switchover_global_cluster()
                    .global_cluster_identifier(&self.pair.global_cluster)
                    .target_db_cluster_identifier(&arn);
                self.call(Operation::SwitchoverGlobalCluster, target, request.send())
                    .await?;
                changed(format!("switching over to {arn}"))
            }
            Some(allow_data_loss) => {
                let request = client
                    .failover_global_cluster()
                    .global_cluster_identifier(&self.pair.global_cluster)
                    .target_db_cluster_identifier(&arn)
                    .allow_data_loss(allow_data_loss);
                self.call(Operation::FailoverGlobalCluster, target, request.send())
                    .await?;
                changed(format!(
                    "failing over to {arn} (AllowDataLoss={allow_data_loss})"
                ))
            }
        }
    }

    /// The pair's state machine and the side whose Step Functions serves it.
    fn state_machine_home(&self) -> Result<(String, Role), BackendError> {
        let arn = self
            .pair
            .state_machine
            .clone()
            .ok_or_else(|| BackendError::Refused("the pair has no state_machine".to_owned()))?;
        let role = self.side_of_arn(&arn);
        Ok((arn, role))
    }

    /// Stops the run's execution `name` (`StopExecution`) and reads back how it ended.
    async fn stop_execution(&self, name: &str) -> Result<ActOutcome, BackendError> {
        let (arn, role) = self.state_machine_home()?;
        let execution_arn = drtui_core::arn::execution(&arn, name);
        let client = &self.region_clients(role).sfn;
        let request = client
            .stop_execution()
            .execution_arn(&execution_arn)
            .cause("drtui: the step's timeout passed; the run sets the weights itself");
        self.call(Operation::StopExecution, role, request.send())
            .await?;
        let status = self.execution_status(role, &execution_arn).await?;
        changed(format!("execution {name} stopped: {}", status.as_str()))
    }

    /// An execution's status now (`DescribeExecution`).
    async fn execution_status(
        &self,
        role: Role,
        execution_arn: &str,
    ) -> Result<aws_sdk_sfn::types::ExecutionStatus, BackendError> {
        let request = self
            .region_clients(role)
            .sfn
            .describe_execution()
            .execution_arn(execution_arn);
        Ok(self
            .call(Operation::DescribeExecution, role, request.send())
            .await?
            .status()
            .clone())
    }

    async fn start_execution(&self, name: &str) -> Result<ActOutcome, BackendError> {
        use aws_sdk_sfn::types::ExecutionStatus;
        let (arn, role) = self.state_machine_home()?;
        let client = &self.region_clients(role).sfn;
        let request = client.start_execution().state_machine_arn(&arn).name(name);
        let started = self.sent(Operation::StartExecution, request.send()).await;
        let (execution_arn, fresh) = match started {
            Ok(output) => (output.execution_arn().to_owned(), true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_execution_already_exists()) =>
            {
                // The name is derived from run and step: this is our own earlier start.
                (drtui_core::arn::execution(&arn, name), false)
            }
            Err(error) => return Err(self.error(role, error)),
        };
        loop {
            match self.execution_status(role, &execution_arn).await? {
                ExecutionStatus::Running | ExecutionStatus::PendingRedrive => {
                    tokio::time::sleep(CHANGE_POLL).await
                }
                ExecutionStatus::Succeeded => {
                    return Ok(ActOutcome {
                        changed: fresh,
                        detail: format!("execution {name} SUCCEEDED"),
                    });
                }
                other => {
                    return Err(BackendError::Refused(format!(
                        "execution {name} ended {}",
                        other.as_str()
                    )));
                }
            }
        }
    }

    async fn alarm_actions(&self, role: Role, enabled: bool) -> Result<ActOutcome, BackendError> {
        let SourceData::Alarms(alarms) = self.fetch_alarms(role).await? else {
            return Err(BackendError::Refused("no alarms".to_owned()));
        };
        let names: Vec<String> = alarms.into_iter().map(|alarm| alarm.name).collect();
        if names.is_empty() {
            return unchanged(format!("no alarm named {}*", self.pair.alarm_prefix));
        }
        let client = &self.region_clients(role).cloudwatch;
        if enabled {
            let request = client
                .enable_alarm_actions()
                .set_alarm_names(Some(names.clone()));
            self.call(Operation::EnableAlarmActions, role, request.send())
                .await?;
        } else {
            let request = client
                .disable_alarm_actions()
                .set_alarm_names(Some(names.clone()));
            self.call(Operation::DisableAlarmActions, role, request.send())
                .await?;
        }
        changed(format!(
            "alarm actions {} for {} alarms",
            if enabled { "enabled" } else { "disabled" },
            names.len()
        ))
    }

    /// The data-plane traffic lever: one `PutMetricData` in the secondary (no Route 53 control
    /// plane involved). Idempotent against the lever alarm's current state.
    async fn data_plane_lever(&self, engaged: bool) -> Result<ActOutcome, BackendError> {
        let Some(lever) = self.pair.traffic_lever.clone() else {
            return if engaged {
                Err(BackendError::Refused(format!(
                    "pair {} has no traffic_lever configured",
                    self.pair.name
                )))
            } else {
                unchanged("no traffic_lever configured: nothing to release".to_owned())
            };
        };
        let role = Role::Secondary;
        if let SourceData::Alarms(alarms) = self.fetch_alarms(role).await?
            && let Some(alarm) = alarms.iter().find(|alarm| alarm.name == lever.alarm)
            && (alarm.state == drtui_core::model::AlarmState::Alarm) == engaged
        {
            return unchanged(format!("{} already {}", lever.alarm, alarm.state.as_str()));
        }
        let datum = aws_sdk_cloudwatch::types::MetricDatum::builder()
            .metric_name(&lever.metric)
            .dimensions(
                aws_sdk_cloudwatch::types::Dimension::builder()
                    .name("Pair")
                    .value(&self.pair.name)
                    .build(),
            )
            .value(if engaged { 1.0 } else { 0.0 })
            .storage_resolution(1)
            .build();
        self.call(
            Operation::PutMetricData,
            role,
            self.region_clients(role)
                .cloudwatch
                .put_metric_data()
                .namespace(&lever.namespace)
                .metric_data(datum)
                .send(),
        )
        .await?;
        changed(format!(
            "PutMetricData {}/{} = {} in {}; {} follows",
            lever.namespace,
            lever.metric,
            u8::from(engaged),
            self.pair.region(role),
            lever.alarm
        ))
    }

    async fn fetch_alarms(&self, role: Role) -> Result<SourceData, BackendError> {
        drtui_core::ports::StatusBackend::fetch(self, Source::Alarms(role)).await
    }
}

impl ActBackend for AwsBackend {
    fn abandon(
        &self,
        mutation: &Mutation,
    ) -> BoxFuture<'_, Result<Option<ActOutcome>, BackendError>> {
        let mutation = mutation.clone();
        Box::pin(async move {
            match mutation {
                Mutation::StartExecution { name } => self.stop_execution(&name).await.map(Some),
                _ => Ok(None),
            }
        })
    }

    fn act(&self, mutation: &Mutation) -> BoxFuture<'_, Result<ActOutcome, BackendError>> {
        let mutation = mutation.clone();
        Box::pin(async move {
            match mutation {
                Mutation::SetWeights { primary, secondary } => {
                    self.set_weights(primary, secondary).await
                }
                Mutation::AuroraSwitchover { target } => self.move_writer(target, None).await,
                Mutation::AuroraFailover {
                    target,
                    allow_data_loss,
                } => self.move_writer(target, Some(allow_data_loss)).await,
                Mutation::StartExecution { name } => self.start_execution(&name).await,
                Mutation::AlarmActions { role, enabled } => self.alarm_actions(role, enabled).await,
                Mutation::DataPlaneLever { engaged } => self.data_plane_lever(engaged).await,
                Mutation::DeployStack { .. } => {
                    self.act_reporting(&mutation, std::sync::Arc::new(|_| {}))
                        .await
                }
            }
        })
    }

    fn preview(
        &self,
        mutation: &Mutation,
    ) -> BoxFuture<'_, Result<Option<ChangePreview>, BackendError>> {
        let mutation = mutation.clone();
        Box::pin(async move {
            match deployment(&mutation) {
                Some(deployment) => self.preview_stack(&deployment).await.map(Some),
                None => Ok(None),
            }
        })
    }

    fn act_reporting(
        &self,
        mutation: &Mutation,
        report: Report,
    ) -> BoxFuture<'_, Result<ActOutcome, BackendError>> {
        let mutation = mutation.clone();
        Box::pin(async move {
            match deployment(&mutation) {
                Some(deployment) => self.deploy_stack(&deployment, &report).await,
                None => self.act(&mutation).await,
            }
        })
    }
}

/// The deployment a mutation names, if it is one.
fn deployment(mutation: &Mutation) -> Option<Deployment<'_>> {
    match mutation {
        Mutation::DeployStack {
            role,
            stack,
            template,
            parameters,
            change_set,
        } => Some(Deployment {
            role: *role,
            stack,
            template,
            parameters,
            change_set,
        }),
        _ => None,
    }
}
