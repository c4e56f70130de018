//! `drtui pairs`: the configured region pairs and where each was defined.
//! Built-in `demo` first, then the config file's pairs; says where it looked when none is loaded.

use crate::output::out;
use color_eyre::eyre::Result;
use drtui_core::config::{BackendKind, PairCatalog};
use drtui_core::text::sanitize;

use crate::cli::GlobalArgs;
use crate::exit::Exit;

pub fn run(global: &GlobalArgs) -> Result<Exit> {
    let catalog = drtui_engine::config_file::load_catalog(global.config.as_deref())?;
    out!("{}", table(&catalog));
    Ok(Exit::Ok)
}

fn table(catalog: &PairCatalog) -> String {
    let mut out = format!(
        "{:<16} {:<12} {:<12} {:<10} {}\n",
        "PAIR", "PRIMARY", "SECONDARY", "BACKEND", "DEFINED IN"
    );
    for pair in &catalog.pairs {
        let backend = match pair.backend {
            BackendKind::Simulator => "simulator",
            BackendKind::Aws => "aws",
        };
        out.push_str(&format!(
            "{:<16} {:<12} {:<12} {:<10} {}\n",
            sanitize(&pair.name),
            pair.primary,
            pair.secondary,
            backend,
            pair.origin
        ));
    }
    if catalog.file.is_none() {
        let default = drtui_engine::config_file::default_config_path().map_or_else(
            || "(no config dir on this platform)".to_owned(),
            |path| path.display().to_string(),
        );
        out.push_str(&format!(
            "\nNo config file loaded (looked for {default}; see drtui.example.toml).\n"
        ));
    }
    out
}
