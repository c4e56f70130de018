//! What ships with drtui under `assets/`, embedded in the binary: the estate's CloudFormation
//! templates (`cfn/*.yaml`), the functions' sources (`lambda/*/index.py`) and the drill marker.
//! A runbook may also name a file of its own under `./assets/`.

/// The embedded files, by path under assets/.
pub const FILES: [(&str, &str); 13] = [
    (
        "drill-marker.yaml",
        include_str!("../../../assets/drill-marker.yaml"),
    ),
    (
        "cfn/network.yaml",
        include_str!("../../../assets/cfn/network.yaml"),
    ),
    (
        "cfn/database.yaml",
        include_str!("../../../assets/cfn/database.yaml"),
    ),
    (
        "cfn/lambda.yaml",
        include_str!("../../../assets/cfn/lambda.yaml"),
    ),
    ("cfn/api.yaml", include_str!("../../../assets/cfn/api.yaml")),
    (
        "cfn/storage.yaml",
        include_str!("../../../assets/cfn/storage.yaml"),
    ),
    (
        "cfn/monitoring.yaml",
        include_str!("../../../assets/cfn/monitoring.yaml"),
    ),
    (
        "cfn/parameters.yaml",
        include_str!("../../../assets/cfn/parameters.yaml"),
    ),
    (
        "cfn/route53.yaml",
        include_str!("../../../assets/cfn/route53.yaml"),
    ),
    (
        "cfn/failover.yaml",
        include_str!("../../../assets/cfn/failover.yaml"),
    ),
    (
        "lambda/payment_validation/index.py",
        include_str!("../../../assets/lambda/payment_validation/index.py"),
    ),
    (
        "lambda/transaction_processing/index.py",
        include_str!("../../../assets/lambda/transaction_processing/index.py"),
    ),
    (
        "lambda/notification/index.py",
        include_str!("../../../assets/lambda/notification/index.py"),
    ),
];

/// A file's text: embedded, else read from `./assets/PATH`.
pub fn file(name: &str) -> Result<String, String> {
    if let Some((_, text)) = FILES.iter().find(|(file, _)| *file == name) {
        return Ok((*text).to_owned());
    }
    drtui_core::runbook::deploy::asset_path(name)?;
    let path = std::path::Path::new("assets").join(name);
    std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// A template's text (see [`file`]).
pub fn template(name: &str) -> Result<String, String> {
    file(name)
}
