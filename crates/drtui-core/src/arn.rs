//! The parts of an Amazon Resource Name (`arn:aws:service:REGION:account:type:resource`) drtui
//! reads: which region it lives in, and the resource id at its end.

/// The region named in an ARN, if it names one.
pub fn region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|region| !region.is_empty())
}

/// The resource id at the end of an ARN (`...:cluster:payment-primary-prod`).
pub fn resource(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// The ARN of execution `name` of a state machine (`...:stateMachine:M` -> `...:execution:M:name`).
pub fn execution(state_machine: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        state_machine.replacen(":stateMachine:", ":execution:", 1)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_arn_names_its_region_and_resource() {
        let arn = "arn:aws:states:us-east-1:000000000000:stateMachine:PaymentDR-failover-demo";
        assert_eq!(super::region(arn), Some("us-east-1"));
        assert_eq!(super::resource(arn), "PaymentDR-failover-demo");
        assert_eq!(super::region("arn:aws:route53:::hostedzone/Z1"), None);
        assert_eq!(
            super::execution(arn, "run-1-shift"),
            "arn:aws:states:us-east-1:000000000000:execution:PaymentDR-failover-demo:run-1-shift"
        );
    }
}
