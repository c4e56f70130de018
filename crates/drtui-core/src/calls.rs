//! Every AWS API call drtui can make, declared once as data: the AWS backend records and times
//! each call through it, the IAM policies are tested against it, and the calls a runbook action
//! makes ([`Call`], from [`crate::ports::Mutation::calls`]) serve the plan, the gate's "Approving
//! lets these run", the journal's failure lines and the read-only refusal.

use std::fmt;

/// An AWS service, as the SDK and the call counts name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    CloudWatch,
    Rds,
    CloudFormation,
    Route53,
    StepFunctions,
    Sts,
    DynamoDb,
    SecretsManager,
    Lambda,
    Ssm,
    ApiGateway,
    Iam,
}

impl Service {
    /// The SDK's name, as the call counts record it (`sfn`, not `states`).
    pub fn sdk_name(self) -> &'static str {
        match self {
            Service::CloudWatch => "cloudwatch",
            Service::Rds => "rds",
            Service::CloudFormation => "cloudformation",
            Service::Route53 => "route53",
            Service::StepFunctions => "sfn",
            Service::Sts => "sts",
            Service::DynamoDb => "dynamodb",
            Service::SecretsManager => "secretsmanager",
            Service::Lambda => "lambda",
            Service::Ssm => "ssm",
            Service::ApiGateway => "apigateway",
            Service::Iam => "iam",
        }
    }

    /// The prefix of its IAM actions (`states`, not `sfn`).
    pub(crate) fn iam_prefix(self) -> &'static str {
        match self {
            Service::StepFunctions => "states",
            other => other.sdk_name(),
        }
    }
}

/// Why drtui makes a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The dashboard, `status`, `discover`: reads only.
    Read,
    /// Runbook steps that change the estate, and reading their progress.
    Act,
    /// The cross-machine run lock (`lock_table`).
    Lock,
}

macro_rules! operations {
    ($($variant:ident => $service:ident, $name:literal, $access:ident, $mutates:literal;)*) => {
        /// One AWS API operation drtui calls.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Operation {
            $($variant,)*
        }

        impl Operation {
            /// Every operation, in the catalogue's order.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant,)*];

            pub fn service(self) -> Service {
                match self {
                    $(Operation::$variant => Service::$service,)*
                }
            }

            /// The API's name for it (`ChangeResourceRecordSets`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => $name,)*
                }
            }

            pub fn access(self) -> Access {
                match self {
                    $(Operation::$variant => Access::$access,)*
                }
            }

            /// Whether the call changes the estate (not only reads its progress).
            pub fn mutates(self) -> bool {
                match self {
                    $(Operation::$variant => $mutates,)*
                }
            }
        }
    };
}

operations! {
    GetMetricData => CloudWatch, "GetMetricData", Read, false;
    DescribeAlarms => CloudWatch, "DescribeAlarms", Read, false;
    DescribeDbClusters => Rds, "DescribeDBClusters", Read, false;
    DescribeGlobalClusters => Rds, "DescribeGlobalClusters", Read, false;
    DescribeStacks => CloudFormation, "DescribeStacks", Read, false;
    ListResourceRecordSets => Route53, "ListResourceRecordSets", Read, false;
    GetHealthCheckStatus => Route53, "GetHealthCheckStatus", Read, false;
    ListExecutions => StepFunctions, "ListExecutions", Read, false;
    GetCallerIdentity => Sts, "GetCallerIdentity", Read, false;
    DescribeTable => DynamoDb, "DescribeTable", Read, false;
    DescribeSecret => SecretsManager, "DescribeSecret", Read, false;
    GetFunction => Lambda, "GetFunction", Read, false;
    GetAccountSettings => Lambda, "GetAccountSettings", Read, false;
    DescribeDbInstances => Rds, "DescribeDBInstances", Read, false;
    GetRestApis => ApiGateway, "GetRestApis", Read, false;
    GetStages => ApiGateway, "GetStages", Read, false;
    GetParametersByPath => Ssm, "GetParametersByPath", Read, false;
    SimulatePrincipalPolicy => Iam, "SimulatePrincipalPolicy", Read, false;
    ChangeResourceRecordSets => Route53, "ChangeResourceRecordSets", Act, true;
    GetChange => Route53, "GetChange", Act, false;
    FailoverGlobalCluster => Rds, "FailoverGlobalCluster", Act, true;
    SwitchoverGlobalCluster => Rds, "SwitchoverGlobalCluster", Act, true;
    StartExecution => StepFunctions, "StartExecution", Act, true;
    DescribeExecution => StepFunctions, "DescribeExecution", Act, false;
    StopExecution => StepFunctions, "StopExecution", Act, true;
    PutMetricData => CloudWatch, "PutMetricData", Act, true;
    EnableAlarmActions => CloudWatch, "EnableAlarmActions", Act, true;
    DisableAlarmActions => CloudWatch, "DisableAlarmActions", Act, true;
    CreateChangeSet => CloudFormation, "CreateChangeSet", Act, false;
    DescribeChangeSet => CloudFormation, "DescribeChangeSet", Act, false;
    ExecuteChangeSet => CloudFormation, "ExecuteChangeSet", Act, true;
    DeleteChangeSet => CloudFormation, "DeleteChangeSet", Act, false;
    DescribeStackEvents => CloudFormation, "DescribeStackEvents", Act, false;
    GetItem => DynamoDb, "GetItem", Lock, false;
    PutItem => DynamoDb, "PutItem", Lock, false;
    UpdateItem => DynamoDb, "UpdateItem", Lock, false;
    DeleteItem => DynamoDb, "DeleteItem", Lock, false;
}

impl Operation {
    /// The IAM action that allows it (`states:StartExecution`; API Gateway's are the HTTP
    /// verb: `apigateway:GET`).
    pub fn iam_action(self) -> String {
        match self.service() {
            Service::ApiGateway => "apigateway:GET".to_owned(),
            _ => self.to_string(),
        }
    }
}

/// `route53:ChangeResourceRecordSets`: the IAM spelling, as plans and journals show a call.
impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service().iam_prefix(), self.name())
    }
}

/// One call an action makes: the operation, the region it is sent to (none for Route 53's and
/// Step Functions' global names), its parameters, and what it waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub operation: Operation,
    pub region: Option<String>,
    pub parameters: Vec<(&'static str, String)>,
    /// Repeated until this holds (`Status=INSYNC`).
    pub until: Option<String>,
}

impl Call {
    pub fn new(operation: Operation) -> Self {
        Self {
            operation,
            region: None,
            parameters: Vec::new(),
            until: None,
        }
    }

    pub(crate) fn sent_to(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.parameters.push((key, value.into()));
        self
    }

    pub fn until(mut self, condition: impl Into<String>) -> Self {
        self.until = Some(condition.into());
        self
    }
}

/// `rds:FailoverGlobalCluster (in us-east-2) GlobalClusterIdentifier=g AllowDataLoss=true`.
impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation)?;
        if let Some(region) = &self.region {
            write!(f, " (in {region})")?;
        }
        for (key, value) in &self.parameters {
            write!(f, " {key}={value}")?;
        }
        if let Some(until) = &self.until {
            write!(f, " until {until}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_spelled_as_iam_and_the_sdk_spell_them() {
        assert_eq!(
            Operation::StartExecution.to_string(),
            "states:StartExecution"
        );
        assert_eq!(Operation::StartExecution.service().sdk_name(), "sfn");
        assert_eq!(Operation::DescribeDbClusters.name(), "DescribeDBClusters");
        let mut names: Vec<String> = Operation::ALL.iter().map(ToString::to_string).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Operation::ALL.len(), "no operation twice");
    }

    #[test]
    fn a_call_reads_as_the_plan_shows_it() {
        let call = Call::new(Operation::FailoverGlobalCluster)
            .sent_to("us-east-2")
            .with("GlobalClusterIdentifier", "g")
            .with("AllowDataLoss", "true");
        assert_eq!(
            call.to_string(),
            "rds:FailoverGlobalCluster (in us-east-2) GlobalClusterIdentifier=g AllowDataLoss=true"
        );
        let wait = Call::new(Operation::GetChange)
            .with("Id", "<change id>")
            .until("Status=INSYNC");
        assert_eq!(
            wait.to_string(),
            "route53:GetChange Id=<change id> until Status=INSYNC"
        );
    }
}
