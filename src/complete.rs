//! Dynamic shell completion (clap_complete's engine): the shell asks the binary, which answers
//! with the pair names of the config file, the runbook catalogue and the run ids in the state
//! directory, so completions know what exists now, not only the flags.

use clap_complete::CompletionCandidate;

/// Pair names from the config file (`$DRTUI_CONFIG` or the platform default) and `demo`.
pub fn pair_names() -> Vec<CompletionCandidate> {
    let explicit = std::env::var_os("DRTUI_CONFIG").map(std::path::PathBuf::from);
    let Ok(catalog) = drtui_engine::config_file::load_catalog(explicit.as_deref()) else {
        return vec![CompletionCandidate::new(drtui_core::config::DEMO_PAIR)];
    };
    catalog
        .pairs
        .iter()
        .map(|pair| {
            CompletionCandidate::new(pair.name.clone()).help(Some(
                format!("{} ⇄ {}", pair.primary, pair.secondary).into(),
            ))
        })
        .collect()
}

/// Built-in and user runbooks.
pub fn runbook_names() -> Vec<CompletionCandidate> {
    drtui_engine::catalog::all()
        .into_iter()
        .filter_map(|(_, runbook)| runbook.ok())
        .map(|runbook| {
            CompletionCandidate::new(runbook.name.clone())
                .help(Some(runbook.description.clone().into()))
        })
        .collect()
}

/// Runs in the state directory, newest first.
pub fn run_ids() -> Vec<CompletionCandidate> {
    let Some(state) = drtui_engine::config_file::state_dir() else {
        return Vec::new();
    };
    drtui_engine::journal_file::list(&state)
        .iter()
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
        .map(CompletionCandidate::new)
        .collect()
}
