//! What must match between the regions, read slowly from each region's own APIs (functions,
//! instances, the Lambda concurrency limit, API stages, SSM parameters), and what the caller
//! may do, from IAM's policy simulator. A part that cannot be read is said as unread with the
//! reason, never taken for a match; the source fails only when nothing could be read.

use drtui_core::calls::Operation;
use drtui_core::model::{Role, SourceData};
use drtui_core::parity::{
    DbInstance, FunctionConfig, Parameter, Part, RegionParity, StageThrottle, Unread,
};
use drtui_core::permissions::{self, AccessRequest, Denial, Permissions, Simulation};
use drtui_core::ports::BackendError;

use super::AwsBackend;
use super::call::all_pages;

/// The part's answer, or why it could not be read.
type Read<T> = Result<T, Unread>;

fn unread(part: Part, name: &str, error: &BackendError) -> Unread {
    Unread {
        part,
        name: name.to_owned(),
        why: error.to_string(),
    }
}

impl AwsBackend {
    pub(super) async fn parity(&self, role: Role) -> Result<SourceData, BackendError> {
        let functions = futures::future::join_all(
            self.pair
                .lambda_functions_in(role)
                .iter()
                .map(|name| self.function(role, name)),
        );
        let (functions, instances, limit, stages, parameters) = futures::join!(
            functions,
            self.instances(role),
            self.concurrency_limit(role),
            self.stages(role),
            self.parameters(role)
        );
        let mut parity = RegionParity::default();
        let mut answered = false;
        let mut note = |part: Result<(), Unread>, parity: &mut RegionParity| match part {
            Ok(()) => answered = true,
            Err(unread) => parity.unread.push(unread),
        };
        for function in functions {
            let read = function.map(|function| parity.functions.push(function));
            note(read, &mut parity);
        }
        let read = instances.map(|instances| parity.instances = Some(instances));
        note(read, &mut parity);
        let read = limit.map(|limit| parity.concurrency_limit = limit);
        note(read, &mut parity);
        let read = stages.map(|stages| parity.stages = stages);
        note(read, &mut parity);
        let read = parameters.map(|parameters| parity.parameters = parameters);
        note(read, &mut parity);
        if !answered && let Some(first) = parity.unread.first() {
            // Nothing could be read: the source itself failed, with the first reason.
            return Err(BackendError::Refused(format!(
                "{}: {}",
                first.name, first.why
            )));
        }
        Ok(SourceData::Parity(parity))
    }

    async fn function(&self, role: Role, name: &str) -> Read<FunctionConfig> {
        let output = self
            .call(
                Operation::GetFunction,
                role,
                self.region_clients(role)
                    .lambda
                    .get_function()
                    .function_name(name)
                    .send(),
            )
            .await
            .map_err(|error| unread(Part::Function, name, &error))?;
        let Some(configuration) = output.configuration() else {
            let error = BackendError::Refused("GetFunction answered no configuration".to_owned());
            return Err(unread(Part::Function, name, &error));
        };
        let mut environment_names: Vec<String> = configuration
            .environment()
            .and_then(|environment| environment.variables())
            .map(|variables| variables.keys().cloned().collect())
            .unwrap_or_default();
        environment_names.sort();
        Ok(FunctionConfig {
            name: name.to_owned(),
            code_sha256: configuration.code_sha256().unwrap_or_default().to_owned(),
            runtime: configuration
                .runtime()
                .map(|runtime| runtime.as_str().to_owned()),
            architecture: configuration
                .architectures()
                .first()
                .map(|architecture| architecture.as_str().to_owned()),
            memory_mb: configuration.memory_size(),
            timeout_s: configuration.timeout(),
            environment_names,
            reserved_concurrency: output
                .concurrency()
                .and_then(|concurrency| concurrency.reserved_concurrent_executions()),
        })
    }

    async fn instances(&self, role: Role) -> Read<Vec<DbInstance>> {
        let cluster = self.pair.cluster(role);
        let all = self
            .region_clients(role)
            .reads
            .instances
            .ask((), cluster.to_owned(), |clusters| {
                self.shared_instances(role, clusters)
            })
            .await
            .map_err(|error| unread(Part::Instances, cluster, &error))?;
        // The filter is the service's; a cluster's own members are what count.
        Ok(all
            .iter()
            .filter(|(of, _)| of == cluster)
            .map(|(_, instance)| instance.clone())
            .collect())
    }

    /// The instances of every cluster asked (a filter of up to 100 clusters a call), each
    /// with its cluster.
    async fn shared_instances(
        &self,
        role: Role,
        clusters: Vec<String>,
    ) -> Result<Vec<(String, DbInstance)>, BackendError> {
        let rds = &self.region_clients(role).rds;
        super::reads::by_cluster_filter(clusters, |filter, marker| {
            let request = rds
                .describe_db_instances()
                .filters(filter)
                .set_marker(marker)
                .send();
            async move {
                let output = self
                    .call(Operation::DescribeDbInstances, role, request)
                    .await?;
                let instances = output
                    .db_instances()
                    .iter()
                    .filter_map(|instance| {
                        let member = DbInstance {
                            id: instance.db_instance_identifier().unwrap_or("?").to_owned(),
                            class: instance.db_instance_class().unwrap_or("?").to_owned(),
                        };
                        Some((instance.db_cluster_identifier()?.to_owned(), member))
                    })
                    .collect();
                Ok((instances, output.marker().map(str::to_owned)))
            }
        })
        .await
    }

    async fn concurrency_limit(&self, role: Role) -> Read<Option<i64>> {
        let limit = self
            .region_clients(role)
            .reads
            .account_settings
            .ask((), (), |_| async move {
                let request = self
                    .region_clients(role)
                    .lambda
                    .get_account_settings()
                    .send();
                let output = self
                    .call(Operation::GetAccountSettings, role, request)
                    .await?;
                Ok(output
                    .account_limit()
                    .map(|limit| i64::from(limit.concurrent_executions())))
            })
            .await
            .map_err(|error| unread(Part::AccountSettings, "Lambda account settings", &error))?;
        Ok(*limit)
    }

    /// The region's REST APIs as (name, id), every page.
    async fn rest_apis(&self, role: Role) -> Result<Vec<(String, String)>, BackendError> {
        let gateway = &self.region_clients(role).apigateway;
        all_pages(|position| {
            let request = gateway
                .get_rest_apis()
                .set_position(position)
                .limit(500)
                .send();
            async move {
                let output = self.call(Operation::GetRestApis, role, request).await?;
                let apis = output
                    .items()
                    .iter()
                    .filter_map(|item| Some((item.name()?.to_owned(), item.id()?.to_owned())))
                    .collect();
                Ok((apis, output.position().map(str::to_owned)))
            }
        })
        .await
    }

    /// The stages of the region's API (`api_names`) and their default method throttling.
    async fn stages(&self, role: Role) -> Read<Vec<StageThrottle>> {
        let Some(api) = self.pair.api_names.get(self.pair.region(role)) else {
            return Ok(Vec::new());
        };
        let gateway = &self.region_clients(role).apigateway;
        let apis = self
            .region_clients(role)
            .reads
            .rest_apis
            .ask((), (), |_| self.rest_apis(role))
            .await
            .map_err(|error| unread(Part::Stage, api, &error))?;
        let Some(id) = apis.iter().find(|(name, _)| name == api).map(|(_, id)| id) else {
            let error = BackendError::Refused(format!("no REST API named {api}"));
            return Err(unread(Part::Stage, api, &error));
        };
        let output = self
            .call(
                Operation::GetStages,
                role,
                gateway.get_stages().rest_api_id(id).send(),
            )
            .await
            .map_err(|error| unread(Part::Stage, api, &error))?;
        Ok(output
            .item()
            .iter()
            .map(|stage| {
                let defaults = stage
                    .method_settings()
                    .and_then(|settings| settings.get("*/*"));
                StageThrottle {
                    api: api.clone(),
                    stage: stage.stage_name().unwrap_or("?").to_owned(),
                    rate_limit: defaults.map(|settings| settings.throttling_rate_limit()),
                    burst_limit: defaults.map(|settings| settings.throttling_burst_limit()),
                }
            })
            .collect())
    }

    async fn parameters(&self, role: Role) -> Read<Option<Vec<Parameter>>> {
        let Some(path) = &self.pair.parameter_path else {
            return Ok(None);
        };
        let trimmed = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        let ssm = &self.region_clients(role).ssm;
        all_pages(|token| {
            let request = ssm
                .get_parameters_by_path()
                .path(trimmed)
                .recursive(true)
                .set_next_token(token)
                .send();
            async move {
                let output = self
                    .call(Operation::GetParametersByPath, role, request)
                    .await?;
                let parameters = output
                    .parameters()
                    .iter()
                    .map(|parameter| Parameter {
                        name: parameter.name().unwrap_or("?").to_owned(),
                        kind: parameter
                            .r#type()
                            .map_or("String", |kind| kind.as_str())
                            .to_owned(),
                        value: parameter.value().unwrap_or_default().to_owned(),
                    })
                    .collect();
                Ok((parameters, output.next_token().map(str::to_owned)))
            }
        })
        .await
        .map(Some)
        .map_err(|error| unread(Part::Parameters, path, &error))
    }

    /// The caller's permissions for `requests`: one simulation per set of resources.
    pub(super) async fn simulated(
        &self,
        requests: Vec<AccessRequest>,
    ) -> Result<Permissions, BackendError> {
        let SourceData::Identity(caller) = self.identity().await? else {
            return Err(BackendError::Refused("internal: no identity".to_owned()));
        };
        let principal = match permissions::principal_of(&caller) {
            Ok(principal) => principal,
            Err(reason) => {
                return Ok(Permissions {
                    principal: None,
                    answer: Simulation::Unknown { reason },
                });
            }
        };
        // One batch for every pair of the account asking now: one call per context.
        let denied = self
            .clients
            .route53_reads
            .simulations
            .ask(principal.clone(), requests.clone(), |asked| {
                self.simulate_all(&principal, asked)
            })
            .await;
        match denied {
            Ok(denied) => Ok(Permissions {
                principal: Some(principal),
                answer: Simulation::checked(&requests, denied.to_vec()),
            }),
            Err(BackendError::Service { code, message }) if is_refusal(&code) => Ok(Permissions {
                principal: Some(principal),
                answer: Simulation::Unknown {
                    reason: format!("iam:SimulatePrincipalPolicy was refused ({code}: {message})"),
                },
            }),
            Err(error) => Err(error),
        }
    }

    /// Every request asked (by every member of the batch), one simulation per context; the
    /// denials of all of them (each member keeps its own).
    async fn simulate_all(
        &self,
        principal: &str,
        asked: Vec<Vec<AccessRequest>>,
    ) -> Result<Vec<Denial>, BackendError> {
        let requests: Vec<AccessRequest> = asked.into_iter().flatten().collect();
        let groups = permissions::by_context(&requests);
        let answers = futures::future::join_all(
            groups
                .iter()
                .map(|group| self.simulate_group(principal, group)),
        )
        .await;
        let mut denied = Vec::new();
        for answer in answers {
            denied.append(&mut answer?);
        }
        Ok(denied)
    }

    /// One simulation: every action of the group on every resource of it, in its context.
    async fn simulate_group(
        &self,
        principal: &str,
        group: &permissions::Simulated,
    ) -> Result<Vec<Denial>, BackendError> {
        let mut actions: Vec<String> = group.operations.iter().map(|op| op.iam_action()).collect();
        actions.sort();
        actions.dedup();
        let context: Vec<aws_sdk_iam::types::ContextEntry> = group
            .context
            .iter()
            .map(|(key, value)| {
                aws_sdk_iam::types::ContextEntry::builder()
                    .context_key_name(key)
                    .context_key_values(value)
                    .context_key_type(aws_sdk_iam::types::ContextKeyTypeEnum::String)
                    .build()
            })
            .collect();
        let resources = &group.resources;
        let role = self.route53_role();
        let iam = &self.clients.iam;
        all_pages(|marker| {
            let request = iam
                .simulate_principal_policy()
                .policy_source_arn(principal)
                .set_action_names(Some(actions.clone()))
                .set_resource_arns(Some(resources.to_vec()))
                .set_context_entries((!context.is_empty()).then(|| context.clone()))
                .set_marker(marker)
                .send();
            async move {
                let output = self
                    .call(Operation::SimulatePrincipalPolicy, role, request)
                    .await?;
                let mut denied = Vec::new();
                for result in output.evaluation_results() {
                    // One decision per resource: AWS answers per resource in
                    // `ResourceSpecificResults`, or for the one resource of the result.
                    let per_resource = result.resource_specific_results();
                    let decisions: Vec<(&str, &str)> = if per_resource.is_empty() {
                        let resource = result.eval_resource_name().unwrap_or("*");
                        vec![(resource, result.eval_decision().as_str())]
                    } else {
                        per_resource
                            .iter()
                            .map(|specific| {
                                (
                                    specific.eval_resource_name(),
                                    specific.eval_resource_decision().as_str(),
                                )
                            })
                            .collect()
                    };
                    denied.extend(
                        decisions
                            .into_iter()
                            .filter(|(_, decision)| *decision != "allowed")
                            .map(|(resource, decision)| Denial {
                                action: result.eval_action_name().to_owned(),
                                resource: resource.to_owned(),
                                decision: decision.to_owned(),
                            }),
                    );
                }
                let next = output
                    .is_truncated()
                    .then(|| output.marker().map(str::to_owned))
                    .flatten();
                Ok((denied, next))
            }
        })
        .await
    }
}

/// The caller may not simulate (or the principal is not theirs to read): the answer is
/// unknown, not a failure of the dashboard.
fn is_refusal(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "NoSuchEntity" | "InvalidInput"
    )
}
