//! `drtui discover`: reads stack outputs in both regions and prints (or appends) the pair's
//! config section.

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

pub async fn run(
    global: &GlobalArgs,
    prefix: &str,
    regions: [&String; 2],
    write: bool,
) -> Result<Exit> {
    let [primary, secondary] = regions;
    let name = global.pair_name()?;
    if name == config::DEMO_PAIR {
        return Err(UsageError(format!(
            "name the new pair with --region-pair NAME (`{}` is the built-in simulator)",
            config::DEMO_PAIR
        ))
        .into());
    }
    let skeleton = RegionPair::skeleton(name, primary, secondary);
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
    let section = discover::pair_section(
        name,
        [primary, secondary],
        [&primary_outputs, &secondary_outputs],
    );
    if write {
        append_section(global, name, &section)?;
    } else {
        out!("{section}");
    }
    Ok(Exit::Ok)
}

/// Appends a new pair's section to the config file, refusing to redefine a pair.
fn append_section(global: &GlobalArgs, name: &str, section: &str) -> Result<()> {
    let path = global
        .config
        .clone()
        .or_else(config::default_config_path)
        .ok_or_else(|| {
            UsageError("no config directory on this platform: pass --config FILE".to_owned())
        })?;
    if path.exists() && config::load_catalog(Some(&path))?.get(name).is_ok() {
        return Err(UsageError(format!(
            "pair `{name}` already exists in {}",
            path.display()
        ))
        .into());
    }
    let mut file = drtui_core::files::private_append(&path)
        .wrap_err_with(|| format!("cannot open {}", path.display()))?;
    writeln!(file, "\n{section}").wrap_err_with(|| format!("cannot write {}", path.display()))?;
    config::load_catalog(Some(&path))?;
    errln!("wrote pair `{name}` to {}", path.display());
    Ok(())
}
