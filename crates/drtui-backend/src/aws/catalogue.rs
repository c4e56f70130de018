//! Every AWS API call drtui can make, in one table: what `status` and the dashboard read, what
//! runbooks change, what the run lock uses. The IAM policies in `assets/iam/` are tested
//! against it, and a test here keeps it equal to the calls the code makes.

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiCall {
    /// The SDK's service, as `CallCounter` records it (`sfn`, not `states`).
    pub service: &'static str,
    pub operation: &'static str,
    pub access: Access,
}

const fn call(service: &'static str, operation: &'static str, access: Access) -> ApiCall {
    ApiCall {
        service,
        operation,
        access,
    }
}

pub const CALLS: &[ApiCall] = &[
    call("cloudwatch", "GetMetricData", Access::Read),
    call("cloudwatch", "DescribeAlarms", Access::Read),
    call("rds", "DescribeDBClusters", Access::Read),
    call("rds", "DescribeGlobalClusters", Access::Read),
    call("cloudformation", "DescribeStacks", Access::Read),
    call("route53", "ListResourceRecordSets", Access::Read),
    call("route53", "GetHealthCheckStatus", Access::Read),
    call("sfn", "ListExecutions", Access::Read),
    call("sts", "GetCallerIdentity", Access::Read),
    call("route53", "ChangeResourceRecordSets", Access::Act),
    call("route53", "GetChange", Access::Act),
    call("rds", "FailoverGlobalCluster", Access::Act),
    call("rds", "SwitchoverGlobalCluster", Access::Act),
    call("sfn", "StartExecution", Access::Act),
    call("sfn", "DescribeExecution", Access::Act),
    call("cloudwatch", "PutMetricData", Access::Act),
    call("cloudwatch", "EnableAlarmActions", Access::Act),
    call("cloudwatch", "DisableAlarmActions", Access::Act),
    call("cloudformation", "CreateChangeSet", Access::Act),
    call("cloudformation", "DescribeChangeSet", Access::Act),
    call("cloudformation", "ExecuteChangeSet", Access::Act),
    call("cloudformation", "DeleteChangeSet", Access::Act),
    call("cloudformation", "DescribeStackEvents", Access::Act),
    call("dynamodb", "GetItem", Access::Lock),
    call("dynamodb", "PutItem", Access::Lock),
    call("dynamodb", "UpdateItem", Access::Lock),
    call("dynamodb", "DeleteItem", Access::Lock),
];

impl ApiCall {
    /// The IAM action that allows the call (`states:ListExecutions`).
    pub fn iam_action(&self) -> String {
        let prefix = match self.service {
            "sfn" => "states",
            other => other,
        };
        format!("{prefix}:{}", self.operation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The calls the AWS backend's source makes: every `calls.record("svc", "Op")`, and the
    /// lock's DynamoDB item operations (`.put_item()` → `PutItem`).
    fn calls_in_source() -> BTreeSet<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws");
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("src/aws") {
            let path = entry.expect("entry").path();
            // The table itself and the mocked responses are not calls.
            if ["catalogue.rs", "tests.rs"]
                .iter()
                .any(|skip| path.ends_with(skip))
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for chunk in text.split(".record(\"").skip(1) {
                let quoted: Vec<&str> = chunk.splitn(4, '"').collect();
                if let [service, ", ", operation, _] = quoted.as_slice() {
                    found.insert(((*service).to_owned(), (*operation).to_owned()));
                }
            }
            for (method, operation) in [
                (".get_item()", "GetItem"),
                (".put_item()", "PutItem"),
                (".update_item()", "UpdateItem"),
                (".delete_item()", "DeleteItem"),
            ] {
                if text.contains(method) {
                    found.insert(("dynamodb".to_owned(), operation.to_owned()));
                }
            }
        }
        found
    }

    #[test]
    fn the_catalogue_is_exactly_the_calls_the_code_makes() {
        let catalogue: BTreeSet<(String, String)> = CALLS
            .iter()
            .map(|call| (call.service.to_owned(), call.operation.to_owned()))
            .collect();
        assert_eq!(catalogue.len(), CALLS.len(), "no call listed twice");
        assert_eq!(catalogue, calls_in_source());
    }
}
