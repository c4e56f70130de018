//! `drtui lock show|break`: the pair's run lock, as the operator sees and clears it.

use crate::output::outln;
use color_eyre::eyre::Result;
use drtui_core::runbook::journal::{Event, Record};
use drtui_core::text::sanitize;
use drtui_engine::journal_file::Journal;
use drtui_engine::lock;

use super::{clock_for, open_backend, select_pair, state_dir, user};
use crate::cli::{GlobalArgs, LockCommand};
use crate::exit::Exit;
use drtui_backend::aws::ClientPool;

pub async fn run(global: &GlobalArgs, command: &LockCommand) -> Result<Exit> {
    let pair = select_pair(global)?;
    let state = state_dir()?;
    if pair.lock_table.is_some() {
        let clock = clock_for(&pair);
        let opened = open_backend(&pair, global, &clock, &ClientPool::default()).await?;
        if let Some(remote) = opened.remote_lock {
            remote_command(&pair.name, remote.as_ref(), command).await?;
        }
    }
    match command {
        LockCommand::Show => {
            match lock::show(&state, &pair.commands())? {
                None => outln!("pair `{}` is not locked", pair.name),
                Some((holder, alive)) => outln!(
                    "pair `{}` is locked by run {} of {} (pid {} on {}, since {}){}",
                    pair.name,
                    sanitize(&holder.run_id),
                    sanitize(&holder.operator),
                    holder.pid,
                    sanitize(&holder.host),
                    sanitize(&holder.since),
                    if alive {
                        ""
                    } else {
                        "; that process is gone: the next run replaces the lock"
                    }
                ),
            }
            Ok(Exit::Ok)
        }
        LockCommand::Break { reason } => {
            let broken = lock::force_break(&state, &pair.name)?;
            match broken {
                None => outln!("pair `{}` was not locked", pair.name),
                Some(holder) => {
                    let by = user();
                    // The reason goes where the incident review will look: the holder's run.
                    if let Ok(mut journal) = Journal::open(&state, &holder.run_id) {
                        journal.append(&Record {
                            at: chrono::Utc::now(),
                            run_id: holder.run_id.clone(),
                            event: Event::LockBroken {
                                by,
                                reason: reason.clone(),
                            },
                        })?;
                    }
                    outln!(
                        "broke the lock of pair `{}` held by run {} of {}; reason recorded in its journal",
                        pair.name,
                        sanitize(&holder.run_id),
                        sanitize(&holder.operator)
                    );
                }
            }
            Ok(Exit::Ok)
        }
    }
}

/// `lock show|break` on the pair's cross-machine lock (its `lock_table`).
async fn remote_command(
    pair: &str,
    remote: &dyn drtui_core::ports::RemoteLock,
    command: &LockCommand,
) -> Result<()> {
    match command {
        LockCommand::Show => match remote.show().await? {
            None => outln!("pair `{pair}`: {} holds no lock", remote.describe()),
            Some((holder, live)) => outln!(
                "pair `{pair}` is locked in {} by {holder}{}",
                remote.describe(),
                if live {
                    ""
                } else {
                    "; its lease has expired: the next run takes it"
                }
            ),
        },
        LockCommand::Break { .. } => match remote.force_break().await? {
            None => outln!("pair `{pair}`: {} held no lock", remote.describe()),
            Some(holder) => outln!(
                "broke the lock of pair `{pair}` in {} held by {holder}",
                remote.describe()
            ),
        },
    }
    Ok(())
}
