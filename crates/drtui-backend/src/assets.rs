//! CloudFormation templates that ship with drtui (`assets/`), embedded in the binary; a runbook
//! may also name a template file of its own under `./assets/`.

/// The embedded templates, by file name.
pub const TEMPLATES: [(&str, &str); 1] = [(
    "drill-marker.yaml",
    include_str!("../../../assets/drill-marker.yaml"),
)];

/// A template's text: embedded, else read from `./assets/NAME`.
pub fn template(name: &str) -> Result<String, String> {
    if let Some((_, text)) = TEMPLATES.iter().find(|(file, _)| *file == name) {
        return Ok((*text).to_owned());
    }
    if name.contains("..") || name.starts_with('/') {
        return Err(format!(
            "template `{name}` must be a file name under assets/"
        ));
    }
    let path = std::path::Path::new("assets").join(name);
    std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read template {}: {error}", path.display()))
}
