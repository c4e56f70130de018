//! Where drtui's files are, and the config file read from one: the environment and the file
//! system side of the configuration; the core parses what is read here.

use std::path::{Path, PathBuf};

use drtui_core::config::{ConfigError, PairCatalog, RegionPair, parse_pairs};

/// The default config file in the platform config dir (`~/.config/drtui/drtui.toml` on Linux).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "drtui").map(|dirs| dirs.config_dir().join("drtui.toml"))
}

/// Where drtui keeps run journals, locks and the demo's action log: `$DRTUI_STATE_DIR`, else
/// the platform state dir (`~/.local/state/drtui` on Linux).
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DRTUI_STATE_DIR").filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "drtui").map(|dirs| {
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf()
    })
}

/// Loads the catalogue: `explicit` (from `--config` or `$DRTUI_CONFIG`) must exist; the default
/// file is read only when present. `demo` is always there.
pub fn load_catalog(explicit: Option<&Path>) -> Result<PairCatalog, ConfigError> {
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => default_config_path().filter(|path| path.exists()),
    };
    let mut pairs = vec![RegionPair::demo()];
    if let Some(path) = &path {
        let text =
            crate::files::read_input(path, crate::files::MAX_CONFIG_BYTES).map_err(|error| {
                ConfigError::Io {
                    path: path.clone(),
                    source: error.into(),
                }
            })?;
        pairs.extend(parse_pairs(&text, path)?);
    }
    Ok(PairCatalog { file: path, pairs })
}
