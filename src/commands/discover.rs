//! `drtui discover`: reads stack outputs in both regions and prints the pair's config section,
//! appends it as a new pair, or writes the ids it found into an existing pair.

use crate::output::{errln, out};
use std::io::Write as _;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr};
use drtui_backend::aws::{AwsBackend, ClientPool, Clients, discover};
use drtui_core::clock::Clock;
use drtui_core::config::{self, RegionPair};
use drtui_core::model::Role;
use drtui_engine::clock::SystemClock;

use super::{UsageError, overrides};
use crate::cli::GlobalArgs;
use crate::exit::Exit;

/// What to do with the section found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Print,
    /// A new pair at the end of the config file.
    Append,
    /// The ids found written into the existing pair.
    Update,
}

pub async fn run(
    global: &GlobalArgs,
    prefix: &str,
    regions: [&String; 2],
    target: Target,
) -> Result<Exit> {
    let name = global.pair_name()?;
    if name == config::DEMO_PAIR {
        return Err(UsageError(format!(
            "name the new pair with --region-pair NAME (`{}` is the built-in simulator)",
            config::DEMO_PAIR
        ))
        .into());
    }
    // Updating reads with the pair's own regions, endpoint and profile.
    let skeleton = if target == Target::Update {
        drtui_engine::config_file::load_catalog(Some(&config_path(global)?))?
            .get(name)
            .map_err(|error| UsageError(error.to_string()))?
            .clone()
    } else {
        RegionPair::skeleton(name, regions[0], regions[1])
    };
    let (primary, secondary) = (skeleton.primary.clone(), skeleton.secondary.clone());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let pool = ClientPool::default();
    let clients = Clients::load(&skeleton, &overrides(global), &pool).await;
    clients
        .check_credentials(&skeleton, &pool)
        .await
        .map_err(|error| UsageError(error.to_string()))?;
    let backend = AwsBackend::new(&skeleton, clients, clock);
    let (primary_outputs, secondary_outputs) = tokio::try_join!(
        backend.stack_outputs(Role::Primary, prefix),
        backend.stack_outputs(Role::Secondary, prefix),
    )?;
    if primary_outputs.is_empty() && secondary_outputs.is_empty() {
        return Err(UsageError(format!(
            "no stack named {prefix}* in {primary} or {secondary}"
        ))
        .into());
    }
    let mut section = discover::pair_section(
        name,
        [&primary, &secondary],
        [&primary_outputs, &secondary_outputs],
    );
    if target != Target::Update {
        // Right under the pair's header, before any sub-table the section opens.
        let at = section
            .find("\nsecondary = ")
            .and_then(|start| {
                section[start + 1..]
                    .find('\n')
                    .map(|end| start + 1 + end + 1)
            })
            .unwrap_or(section.len());
        section.insert_str(at, &how_it_was_reached(global));
    }
    match target {
        Target::Print => out!("{section}"),
        Target::Append => append_section(global, name, &section)?,
        Target::Update => update_section(global, name, &section)?,
    }
    Ok(Exit::Ok)
}

/// The `--endpoint-url` and `--profile` the stacks were read with, as the new pair's own keys:
/// the pair then reaches the estate the same way without them.
fn how_it_was_reached(global: &GlobalArgs) -> String {
    let quoted = discover::toml_string;
    let mut keys = String::new();
    if let Some(url) = &global.endpoint_url {
        keys.push_str(&format!(
            "endpoint_url = {}  # from --endpoint-url\n",
            quoted(url)
        ));
    }
    if let Some(profile) = &global.profile {
        keys.push_str(&format!(
            "profile = {}  # from --profile\n",
            quoted(profile)
        ));
    }
    keys
}

/// The config file `--config` names, else the default one.
fn config_path(global: &GlobalArgs) -> Result<std::path::PathBuf> {
    Ok(global
        .config
        .clone()
        .or_else(drtui_engine::config_file::default_config_path)
        .ok_or_else(|| {
            UsageError("no config directory on this platform: pass --config FILE".to_owned())
        })?)
}

/// Writes the ids found into the existing pair: the new text is checked as a config before it
/// replaces the file (written beside it, then renamed), so a failure leaves the file as it was.
fn update_section(global: &GlobalArgs, name: &str, section: &str) -> Result<()> {
    let path = config_path(global)?;
    let text = drtui_engine::files::read_input(&path, drtui_engine::files::MAX_CONFIG_BYTES)
        .map_err(std::io::Error::from)
        .wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let (updated, changed) = drtui_core::pair_update::update_pair(&text, name, section)
        .map_err(|why| UsageError(format!("{}: {why}", path.display())))?;
    if changed.is_empty() {
        errln!(
            "pair `{name}` in {} already holds what the stacks say",
            path.display()
        );
        return Ok(());
    }
    // Through a symlink to its target, keeping its mode, and never over an edit made since.
    drtui_engine::files::replace_if_unchanged(&path, &text, &updated, |staged| {
        drtui_engine::config_file::load_catalog(Some(staged))
            .map(|_| ())
            .map_err(|error| error.to_string())
    })?;
    errln!(
        "updated pair `{name}` in {}: {}",
        path.display(),
        changed.join(", ")
    );
    Ok(())
}

/// Appends a new pair's section to the config file, refusing to redefine a pair.
fn append_section(global: &GlobalArgs, name: &str, section: &str) -> Result<()> {
    let path = config_path(global)?;
    if path.exists()
        && drtui_engine::config_file::load_catalog(Some(&path))?
            .get(name)
            .is_ok()
    {
        return Err(UsageError(format!(
            "pair `{name}` already exists in {}: `--update` writes the ids found into it",
            path.display()
        ))
        .into());
    }
    let mut file = drtui_engine::files::private_append(&path)
        .wrap_err_with(|| format!("cannot open {}", path.display()))?;
    writeln!(file, "\n{section}").wrap_err_with(|| format!("cannot write {}", path.display()))?;
    drtui_engine::config_file::load_catalog(Some(&path))?;
    errln!("wrote pair `{name}` to {}", path.display());
    Ok(())
}
